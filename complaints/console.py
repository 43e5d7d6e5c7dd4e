"""The staff case console (blueprint ``cases`` under /console/cases): the case list with filters, saved filters
and bulk steps, and a unit handler's queue. One case's page and steps live in ``console_case``, the hotline
console in ``console_intake``; both are registered here as nested blueprints.
"""
from urllib.parse import parse_qsl

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from complaints import console_case, console_intake, queries, services
from complaints.console_forms import (
    CASE_ERRORS,
    BulkForm,
    CaseFilterForm,
    SavedFilterForm,
    category_filter_choices,
    unit_choices,
)
from complaints.models import Case, IllegalTransition
from portal.auth.permissions import Permission, require
from portal.extensions import db
from portal.registry import services as registry
from portal.registry.models import Unit
from portal.sqlite import lock_for_write

bp = Blueprint("cases", __name__, url_prefix="/console/cases", template_folder="templates")
bp.register_blueprint(console_case.bp)
bp.register_blueprint(console_intake.bp)

PER_PAGE = 50


@bp.context_processor
def case_helpers():
    """黄灯/红灯 for the case pages: ``case_light(case)`` is 'red', 'amber', 'green' or None (no clock)."""
    return {"case_light": services.light}


def _filter_form():
    form = CaseFilterForm(request.args)
    form.unit.choices = [("", _("Any unit"))] + unit_choices()[1:]
    form.area.choices = [("", _("Any area"))] + registry.area_choices()
    form.category.choices = [("", _("Any category"))] + category_filter_choices()[1:]
    form.validate()  # a bad value is shown as an error and ignored
    return form


def _spec(form):
    def ok(field):
        return None if field.errors else field.data

    return queries.CaseFilter(
        text=ok(form.q) or "", state=ok(form.state) or "", overdue=bool(ok(form.overdue)),
        unit_id=ok(form.unit), area_id=ok(form.area), category_id=ok(form.category), channel=ok(form.channel) or "",
        created_from=ok(form.created_from), created_to=ok(form.created_to))


def _list_url(query_string):
    """The case list with a (re-parsed, filter keys only) query string: never a redirect elsewhere."""
    pairs = parse_qsl(query_string or "")
    args = {}
    for key, value in pairs:
        if key in queries.FILTER_KEYS and value:
            args.setdefault(key, value)
    return url_for("cases.index", **args)


@bp.get("/")
@require(Permission.CASES_VIEW)
def index():
    form = _filter_form()
    scoped = queries.visible_cases(current_user)
    query = queries.apply_filter(scoped, _spec(form))
    page = db.paginate(queries.with_list_relations(queries.list_order(query)), per_page=PER_PAGE, error_out=False)
    current = queries.filter_query_string(request.args.items(multi=True))
    return render_template(
        "complaints/console/list.html", form=form, page=page, counts=queries.counts(scoped),
        saved=queries.saved_filters(current_user), current_query=current,
        save_form=SavedFilterForm(formdata=None, query=current), bulk_form=_bulk_form(formdata=None),
        list_url=_list_url)


@bp.get("/queue")
@require(Permission.CASES_HANDLE)
def queue():
    cases = db.session.execute(queries.with_list_relations(queries.unit_queue(current_user))).scalars().all()
    return render_template("complaints/console/queue.html", cases=cases)


# ---------------------------------------------------------------- saved filters

@bp.post("/filters")
@require(Permission.CASES_VIEW)
def save_filter():
    form = SavedFilterForm()
    if form.validate_on_submit():
        queries.save_filter(current_user, form.name.data, form.query.data)
        db.session.commit()
        flash(_("Filter saved: %(name)s", name=form.name.data.strip()), "success")
    else:
        flash(_("Give the filter a name (up to 60 characters)."), "danger")
    return redirect(_list_url(form.query.data))


@bp.post("/filters/<int(max=2147483647):filter_id>/delete")
@require(Permission.CASES_VIEW)
def delete_filter(filter_id):
    if not queries.delete_filter(current_user, filter_id):
        abort(404)
    db.session.commit()
    flash(_("Filter deleted."), "success")
    return redirect(url_for("cases.index"))


# ---------------------------------------------------------------- bulk steps

def _bulk_form(**kwargs):
    form = BulkForm(prefix="bulk", **kwargs)
    form.unit.choices = unit_choices()
    return form


def _why(error, case):
    if isinstance(error, IllegalTransition):
        return _("the case is “%(state)s”", state=case.state.label)
    return str(CASE_ERRORS.get(error.code, _("refused")))


@bp.post("/bulk")
@require(Permission.CASES_DISPATCH)
def bulk():
    """Dispatch the selected cases to one unit, or merge them into one case. Each case is done in its own
    savepoint, so one refusal does not undo the others; the flash lists what was done and what was not."""
    form = _bulk_form()
    back = _list_url(request.form.get("bulk-back"))
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "danger")
        return redirect(back)
    cases = db.session.execute(
        queries.visible_cases(current_user).where(Case.id.in_(form.cases.data)).order_by(Case.id)).scalars().all()
    if form.action.data == "dispatch":
        unit = db.session.get(Unit, form.unit.data) if form.unit.data else None
        if unit is None or not unit.active:
            flash(str(CASE_ERRORS["unit"]), "danger")
            return redirect(back)

        def step(case):
            services.dispatch_case(case, unit, current_user)  # refuses cases not in 立案 (FILED)
    else:
        target = queries.find_visible(current_user, form.target.data)
        if target is None:
            flash(str(CASE_ERRORS["merge_target_unknown"]), "danger")
            return redirect(back)
        cases = [c for c in cases if c.id != target.id]

        def step(case):
            services.merge_cases(case, target, current_user)

    done, refused = [], []
    lock_for_write()  # each savepoint below reads the case before it writes
    for case in cases:
        try:
            with db.session.begin_nested():
                step(case)
        except (services.CaseError, IllegalTransition) as error:
            refused.append(_("%(number)s (%(why)s)", number=case.number, why=_why(error, case)))
        else:
            done.append(case.number)
    db.session.commit()
    if done:
        message = (_("Dispatched: %(numbers)s.", numbers=", ".join(done)) if form.action.data == "dispatch"
                   else _("Merged into %(target)s: %(numbers)s.", target=target.number, numbers=", ".join(done)))
        flash(message, "success")
    if refused:
        flash(_("Not done: %(cases)s.", cases="; ".join(refused)), "danger")
    if not done and not refused:
        flash(_("Select at least one case."), "danger")
    return redirect(back)
