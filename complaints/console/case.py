"""One case in the console: the raw report, its timeline, the steps the reader may take, photos, phone reveal.

Every step is ``POST /console/cases/<number>/<step>``: validate → one service → commit → flash → redirect.
A refused step rolls back, says why in the reader's language, and leaves the case as it was.
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from complaints import handling, intake, privacy, queries, steps
from complaints.console.actions import ACTIONS, FieldProblem, available_actions
from complaints.console.forms import CASE_ERRORS, SUGGESTION_REASONS
from complaints.models import Case, CasePhoto, EventKind, IllegalTransition
from portal import photos as photo_files
from portal.auth.permissions import Permission, can, require
from portal.extensions import db
from portal.i18n import localized
from portal.registry.models import Unit
from portal.registry.services import suggest_unit

bp = Blueprint("case", __name__)

CASE = "/<number>"


def visible_or_404(number):
    case = queries.find_visible(current_user, number)
    if case is None:
        abort(404)
    return case


def _unit_names(case):
    """Names of the units the timeline and the earlier rounds mention (dispatch and return events keep the unit id)."""
    ids = {e.data.get("unit_id") for e in case.events if e.data and e.data.get("unit_id")}
    ids |= {r.unit_id for r in case.rounds if r.unit_id}  # and the units of its earlier handling rounds
    if not ids:
        return {}
    return {u.id: u.display_name for u in db.session.execute(db.select(Unit).where(Unit.id.in_(ids))).scalars()}


def _answers(case):
    """The category's extra questions as (question, answer) in the reader's language; unknown keys as they are."""
    answers = dict(case.answers or {})
    shown = []
    for question in case.category.questions or []:
        if question.get("key") not in answers:
            continue
        value = answers.pop(question["key"])
        if question.get("type") == "yesno":
            value = _("Yes") if value in (True, "yes", "1", "true") else _("No")
        elif question.get("type") == "choice":
            choice = next((c for c in question.get("choices", []) if c.get("value") == value), None)
            if choice is not None:
                value = localized(choice["label"], choice.get("label_zh_hant"), choice.get("label_en"))
        shown.append((localized(question["label"], question.get("label_zh_hant"), question.get("label_en")), value))
    return shown + sorted(answers.items())


NEARBY_RADIUS_M = 100  # "the same problem" for a dispatcher looking for duplicates to merge


def nearby_open_cases(case, user):
    """Other open cases of the same category at the case's point or within NEARBY_RADIUS_M, that ``user`` may see."""
    if not case.is_open:
        return []
    position = case.position
    found = [s for s in intake.find_similar(category=case.category, point=case.point,
                                            latitude=position[0] if position else None,
                                            longitude=position[1] if position else None,
                                            radius_m=NEARBY_RADIUS_M) if s.case.id != case.id]
    if not found:
        return []
    visible = set(db.session.scalars(queries.visible_cases(user).with_only_columns(Case.id).where(
        Case.id.in_([s.case.id for s in found]))))
    return [s for s in found if s.case.id in visible]


def render_case(case, failed=None, revealed=False):
    """The case page; ``failed`` is (action name, bound form) to show a refused step with its errors."""
    actions = available_actions(case, current_user)
    forms = {a.name: (failed[1] if failed and failed[0] == a.name else a.build(case)) for a in actions}
    suggestion = None
    if "dispatch" in forms:
        suggestion = suggest_unit(case.category, point=case.point, area=case.area)
        if suggestion is not None and forms["dispatch"].unit.data is None:
            forms["dispatch"].unit.data = suggestion.unit.id
    return render_template(
        "complaints/console/detail.html", case=case, actions=actions, forms=forms, failed=failed,
        suggestion=suggestion, suggestion_reasons=SUGGESTION_REASONS,
        extension=handling.pending_extension(case), unit_names=_unit_names(case),
        contact=privacy.contact_for(case, current_user, revealed=revealed),
        answers=_answers(case), before_photos=[p for p in case.photos if p.stage == "before"],
        show_query_code=can(current_user, Permission.CASES_INTAKE), EventKind=EventKind,
        nearby=nearby_open_cases(case, current_user),
    )


@bp.get(CASE)
@require(Permission.CASES_VIEW)
def detail(number):
    case = visible_or_404(number)
    return render_case(case, revealed=privacy.take_reveal(case))


@bp.get(f"{CASE}/photos/<int(max=2147483647):photo_id>")
@bp.get(f"{CASE}/photos/<int(max=2147483647):photo_id>/thumb", defaults={"thumb": True})
@require(Permission.CASES_VIEW)
def photo(number, photo_id, thumb=False):
    case = visible_or_404(number)
    record = db.session.get(CasePhoto, photo_id)
    if record is None or record.case_id != case.id:
        abort(404)
    return photo_files.send_photo(record, thumb=thumb)


@bp.post(f"{CASE}/reveal-phone")
@require(Permission.PHONE_REVEAL)
def reveal_phone(number):
    case = visible_or_404(number)
    if not (case.reporter_phone or case.reporter_name):
        flash(_("This reporter left no contact details."), "info")
    else:
        privacy.reveal_contact(case, current_user)
        db.session.commit()
    return redirect(url_for(".detail", number=case.number, _anchor="reporter"))


def _refused(case, message=None):
    """Undo whatever a refused step began and say why; without ``message``, that the state does not allow it."""
    db.session.rollback()
    flash(message or _("This step is not possible now: the case is “%(state)s”.", state=case.state.label), "danger")
    return redirect(url_for(".detail", number=case.number))


def _problem(error):
    """(the form field it belongs to or None, messages) for a step a runner or a service refused."""
    if isinstance(error, FieldProblem):
        return error.field, error.messages
    return error.field, [str(CASE_ERRORS.get(error.code, _("This step was refused.")))]


def _step_view(action):
    """The POST view of one step."""

    def view(number):
        case = visible_or_404(number)
        if not action.available(case, current_user):
            return _refused(case)
        form = action.build(case, posted=True)
        if not form.validate_on_submit():
            return render_case(case, failed=(action.name, form))
        try:
            action.run(case, form, current_user)
        except IllegalTransition:
            return _refused(case)
        except (steps.CaseError, FieldProblem) as error:
            db.session.rollback()
            name, messages = _problem(error)
            if name and name in form:
                form[name].errors = list(form[name].errors or []) + messages
                return render_case(case, failed=(action.name, form))
            return _refused(case, " ".join(messages))
        db.session.commit()
        flash(str(action.done), "success")
        if queries.find_visible(current_user, case.number) is None:  # e.g. a unit returned it: no longer theirs
            return redirect(url_for("cases.queue" if can(current_user, Permission.CASES_HANDLE) else "cases.index"))
        return redirect(url_for(".detail", number=case.number))

    view.__name__ = action.endpoint
    view.__doc__ = f"POST step: {action.name}"
    return require(action.permission)(view)


for _action in ACTIONS:
    bp.add_url_rule(f"{CASE}/{_action.name}", endpoint=_action.endpoint, view_func=_step_view(_action),
                    methods=["POST"])
