"""The staff case console (blueprint ``cases`` under /console/cases): the case list with filters, saved filters
and bulk steps, and a unit handler's queue. One case's page and steps live in ``console_case``, the hotline
console in ``console_intake``; both are registered here as nested blueprints.
"""
from datetime import date
from urllib.parse import parse_qsl

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from complaints import handling, queries, steps
from complaints.console import case as console_case
from complaints.console import casemap
from complaints.console import intake as console_intake
from complaints.console.forms import (
    CASE_ERRORS,
    BulkForm,
    CaseFilterForm,
    SavedFilterForm,
    unit_choices,
)
from complaints.models import Case, CaseState, Channel, IllegalTransition
from portal import coords
from portal.auth.permissions import Permission, require
from portal.extensions import db
from portal.i18n import colon, list_separator
from portal.registry import services as registry
from portal.registry.models import Area, Category, Unit
from portal.sqlite import lock_for_write

bp = Blueprint("cases", __name__, url_prefix="/console/cases", template_folder="templates")
bp.register_blueprint(console_case.bp)
bp.register_blueprint(console_intake.bp)

PER_PAGE = 50


@bp.context_processor
def case_helpers():
    """黄灯/红灯 for the case pages: ``case_light(case)`` is 'red', 'amber', 'green' or None (no clock)."""
    return {"case_light": handling.light}


def _filter_form():
    form = CaseFilterForm(request.args)
    form.unit.choices = [("", _("Any unit"))] + unit_choices()[1:]
    form.area.choices = [("", _("Any area"))] + registry.area_choices()
    form.category.choices = [("", _("Any category"))] + registry.group_and_category_choices()
    form.validate()  # a bad value is shown as an error and ignored
    return form


def _spec(form, extra):
    def ok(field):
        return None if field.errors else field.data

    return queries.CaseFilter(
        text=ok(form.q) or "", state=ok(form.state) or "", overdue=bool(ok(form.overdue)),
        amber=bool(ok(form.amber)), followup_due=bool(ok(form.followup_due)),
        unit_id=ok(form.unit), area_id=ok(form.area), category_id=ok(form.category), channel=ok(form.channel) or "",
        created_from=ok(form.created_from), created_to=ok(form.created_to), **extra)


def _range_filters():
    """The scorecards' filters (due, outcome, supervised), which have no field on the filter form: ({CaseFilter
    field: value}, [(label, error)]). A bad value is reported and ignored, like a bad value in the form."""
    values, errors = {}, []
    ranges = (("due", _("Due")), ("supervised", _("Supervision notice (督办单) issued")))
    for name, label in ranges:
        days = {}
        for end in ("from", "to"):
            raw = request.args.get(f"{name}_{end}", "").strip()
            if not raw:
                continue
            try:
                days[end] = date.fromisoformat(raw)
                if not date(1900, 1, 1) <= days[end] <= date(2999, 12, 31):  # 9999-12-31 + 1 day overflows
                    raise ValueError(raw)
            except ValueError:
                days.pop(end, None)
                errors.append((label, _("“%(value)s” is not a date (YYYY-MM-DD).", value=raw[:20])))
        if days.get("from") and days.get("to") and days["from"] > days["to"]:
            errors.append((label, _("The first day is after the last day.")))
        elif days:
            values[f"{name}_from"], values[f"{name}_to"] = days.get("from"), days.get("to")
    outcome = request.args.get("outcome", "").strip()
    if outcome in queries.OUTCOMES:
        values["outcome"] = outcome
    elif outcome:
        errors.append((_("Outcome"), _("“%(value)s” is not a known outcome.", value=outcome[:20])))
    return values, errors


def _day(day):
    return day.isoformat() if day else "…"


def _in_words(spec):
    """The active filters as sentences, so a reader (a leader who followed a scorecard number) knows what the list
    holds."""
    words = []
    if spec.text:
        words.append(_("Number or description contains “%(text)s”", text=spec.text))
    if spec.state == queries.OPEN:
        words.append(_("Open cases"))
    elif spec.state in {state.value for state in CaseState}:
        words.append(_("State: %(state)s", state=CaseState(spec.state).label))
    if spec.overdue:
        words.append(_("Overdue: with a unit, not postponed, past the due time"))
    if spec.amber:
        words.append(_("Nearly due (黄灯): with a unit, not overdue, past the warning share of the limit"))
    if spec.followup_due:
        words.append(_("Waiting for a follow-up (回访): closed, not rated, the reporter left a phone"))
    for model, key, label in ((Unit, spec.unit_id, _("Unit")), (Area, spec.area_id, _("Area (and its sub-areas)")),
                              (Category, spec.category_id, _("Category"))):
        record = db.session.get(model, key) if key else None
        if record is not None:
            words.append(f"{label}{colon()}{record.display_name}")
    if spec.channel in {channel.value for channel in Channel}:
        words.append(_("Channel: %(channel)s", channel=Channel(spec.channel).label))
    if spec.created_from or spec.created_to:
        words.append(_("Received from %(first)s to %(last)s", first=_day(spec.created_from),
                       last=_day(spec.created_to)))
    if spec.due_from or spec.due_to:
        words.append(_("Due from %(first)s to %(last)s, due times already past (应结案)", first=_day(spec.due_from),
                       last=_day(spec.due_to)))
    if spec.outcome:
        words.append(str(queries.OUTCOMES[spec.outcome]))
    if spec.supervised_from or spec.supervised_to:
        words.append(_("A supervision notice (督办单) issued from %(first)s to %(last)s",
                       first=_day(spec.supervised_from), last=_day(spec.supervised_to)))
    return words


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
    extra, extra_errors = _range_filters()
    spec = _spec(form, extra)
    scoped = queries.visible_cases(current_user)
    query = queries.apply_filter(scoped, spec)
    page = db.paginate(queries.with_list_relations(queries.list_order(query)), per_page=PER_PAGE, error_out=False)
    current = queries.filter_query_string(request.args.items(multi=True))
    return render_template(
        "complaints/console/list.html", form=form, page=page, counts=queries.counts(scoped),
        saved=queries.saved_filters(current_user), current_query=current,
        save_form=SavedFilterForm(formdata=None, query=current), bulk_form=_bulk_form(formdata=None),
        list_url=_list_url, extra_errors=extra_errors, in_words=_in_words(spec))


@bp.get("/map")
@require(Permission.CASES_VIEW)
def case_map():
    """The case list's filters over a map; the markers come from ``map_data`` as the map moves."""
    form = _filter_form()
    return render_template("complaints/console/map.html", form=form, tiles=coords.tiles(),
                           data_url=url_for("cases.map_data", **request.args),
                           areas_url=url_for("areamap.areas", level="street"))


@bp.get("/map.json")
@require(Permission.CASES_VIEW)
def map_data():
    """Clusters and cases inside ``bbox`` (in the tiles' coordinate system) at ``zoom``, with the list's filters."""
    try:
        box = casemap.Box.parse(request.args.get("bbox"), request.args.get("zoom"))
    except casemap.BadBox:
        return jsonify(error=_("The map's area or zoom level is not valid.")), 400
    extra, _errors = _range_filters()
    query = queries.apply_filter(queries.visible_cases(current_user), _spec(_filter_form(), extra))
    system = coords.tile_system()
    result = casemap.cluster(query, casemap.box_from_tiles(box, system))
    for marker in result["cases"]:
        marker["url"] = url_for("cases.case.detail", number=marker["number"])
    return jsonify(casemap.for_tiles(result, system))


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


class ExposeForm(BulkForm):
    """The bulk form's selection alone: making a board item needs neither a unit nor a case to merge into."""

    action = unit = target = None


MAX_EXPOSE_CHARS = 2000  # what the board's "new from cases" page reads of its ``cases`` parameter


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
            handling.dispatch_case(case, unit, current_user)  # refuses cases not in 立案 (FILED)
    else:
        target = queries.find_visible(current_user, form.target.data)
        if target is None:
            flash(str(CASE_ERRORS["merge_target_unknown"]), "danger")
            return redirect(back)
        cases = [c for c in cases if c.id != target.id]

        def step(case):
            handling.merge_cases(case, target, current_user)

    done, refused = [], []
    lock_for_write()  # each savepoint below reads the case before it writes
    for case in cases:
        try:
            with db.session.begin_nested():
                step(case)
        except (steps.CaseError, IllegalTransition) as error:
            refused.append(_("%(number)s (%(why)s)", number=case.number, why=_why(error, case)))
        else:
            done.append(case.number)
    db.session.commit()
    if done:
        message = (_("Dispatched: %(numbers)s.", numbers=", ".join(done)) if form.action.data == "dispatch"
                   else _("Merged into %(target)s: %(numbers)s.", target=target.number, numbers=", ".join(done)))
        flash(message, "success")
    if refused:
        flash(_("Not done: %(cases)s.", cases=list_separator().join(refused)), "danger")
    if not done and not refused:
        flash(_("Select at least one case."), "danger")
    return redirect(back)


@bp.post("/bulk/expose")
@require(Permission.BOARD_EDIT)
def bulk_expose():
    """Open the board's "new item from cases" page with the selected cases' numbers filled in."""
    form = ExposeForm(prefix="bulk")
    back = _list_url(request.form.get("bulk-back"))
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "danger")
        return redirect(back)
    numbers = db.session.execute(
        queries.visible_cases(current_user).where(Case.id.in_(form.cases.data)).order_by(Case.id)
        .with_only_columns(Case.number)).scalars().all()
    joined = ",".join(numbers)
    if not numbers:
        flash(_("Select at least one case."), "danger")
        return redirect(back)
    if len(joined) > MAX_EXPOSE_CHARS:
        flash(_("Too many cases for one board item: select fewer."), "danger")
        return redirect(back)
    return redirect(url_for("board_console.new_from_cases", cases=joined))
