"""Staff pages (blueprint ``supervision`` at /console/supervision): 催办/督办单 list and print, a 督办单 issued by
hand, the units on the escalation ladder (clearing strikes, the unit's written self-criticism)."""
from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from complaints import queries
from complaints.console.forms import optional_int, unit_choices
from complaints.models import Case
from complaints.supervision import escalation
from complaints.supervision import services as supervision
from complaints.supervision.models import NoticeKind, SupervisionNotice, UnitStrike
from portal.auth.models import Role
from portal.auth.permissions import Permission, require
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.forms import BaseForm
from portal.registry.models import Unit

bp = Blueprint("supervision", __name__, url_prefix="/console/supervision", template_folder="templates")

ID = "int(max=2147483647)"
PER_PAGE = 50

SUPERVISION_ERRORS = {
    "case_unknown": _l("No case has this number."),
    "case_not_with_unit": _l("Only a case that is with a unit (dispatched or being handled, not postponed) can "
                             "get a supervision notice."),
    "notice_exists": _l("This case already has a supervision notice for its current due time."),
    "reason_required": _l("Give a reason."),
    "nothing_to_clear": _l("This unit has no strikes to clear."),
    "not_your_unit": _l("Only the unit's own staff can hand in its self-criticism."),
    "no_statement_needed": _l("A written self-criticism is asked for at strike 2 only."),
    "strike_cleared": _l("These strikes have been cleared."),
    "statement_required": _l("Write the self-criticism."),
    "statement_too_long": _l("The self-criticism is too long (at most 5000 characters)."),
}
LEVEL_LABELS = {
    1: _l("Strike 1: rectification notice and internal criticism (通报批评)"),
    2: _l("Strike 2: exposure-board candidate and written self-criticism"),
    3: _l("Strike 3: reported to the superior authority (函告上级) and black list"),
}


class NoticeFilterForm(BaseForm):
    class Meta:
        csrf = False

    unit = SelectField(_l("Unit"), coerce=optional_int, validators=[Optional()], validate_choice=False)
    kind = SelectField(_l("Kind"), choices=[("", _l("Any kind"))] + [(k.value, k.label) for k in NoticeKind],
                       validators=[Optional()])
    issued_from = DateField(_l("Issued from"), validators=[Optional()])
    issued_to = DateField(_l("Issued to (inclusive)"), validators=[Optional()])


class IssueNoticeForm(BaseForm):
    case = StringField(_l("Case number"), validators=[DataRequired(), Length(max=20)])
    note = TextAreaField(_l("Note on the notice (optional)"), validators=[Optional(), Length(max=1000)])


class ClearStrikesForm(BaseForm):
    reason = TextAreaField(_l("Reason for clearing"), validators=[DataRequired(), Length(max=500)])


class StatementForm(BaseForm):
    text = TextAreaField(_l("Written self-criticism"), validators=[DataRequired(), Length(max=5000)])


@bp.app_template_global("case_supervision_notices")
def case_supervision_notices(case):
    """For the console's case page (complaints/supervision/_case_notices.html): the case's notices."""
    return supervision.case_notices(case)


def _error(error):
    return str(SUPERVISION_ERRORS.get(error.code, _("This step was refused.")))


# ---------------------------------------------------------------- notices

@bp.get("/")
@require(Permission.SUPERVISION_VIEW)
def notices():
    form = NoticeFilterForm(request.args)
    form.unit.choices = [("", _("Any unit"))] + unit_choices()[1:]
    form.validate()  # a bad value is shown and ignored

    def ok(field):
        return None if field.errors else field.data

    tz_name = get_city_settings().timezone
    start = queries.local_day_start(ok(form.issued_from), tz_name) if ok(form.issued_from) else None
    end = queries.local_day_start(ok(form.issued_to) + timedelta(days=1), tz_name) if ok(form.issued_to) else None
    kind = NoticeKind(ok(form.kind)) if ok(form.kind) else None
    query = supervision.filter_notices(supervision.visible_notices(current_user), unit_id=ok(form.unit), kind=kind,
                                       start=start, end=end)
    # what each row shows, loaded for the page at once (not a case, category, unit and issuer query per notice)
    query = query.options(selectinload(SupervisionNotice.case).selectinload(Case.category),
                          selectinload(SupervisionNotice.unit), selectinload(SupervisionNotice.issued_by))
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template("complaints/supervision/notices.html", form=form, page=page, NoticeKind=NoticeKind,
                           own_unit_only=current_user.role == Role.HANDLER)


def _visible_notice(notice_id):
    return db.first_or_404(supervision.visible_notices(current_user).where(SupervisionNotice.id == notice_id))


@bp.get(f"/notices/<{ID}:notice_id>/print")
@require(Permission.SUPERVISION_VIEW)
def notice_print(notice_id):
    """The A4 督办单 (or 催办单) to print, sign and send."""
    notice = _visible_notice(notice_id)
    return render_template("complaints/supervision/notice_print.html", notice=notice, case=notice.case,
                           now=utcnow())


@bp.route("/issue", methods=["GET", "POST"])
@require(Permission.SUPERVISION_MANAGE)
def issue():
    """A 督办单 issued by hand for one case (the watch issues them on its own once a case is overdue)."""
    form = IssueNoticeForm(case=request.args.get("case", ""))
    if form.validate_on_submit():
        case = queries.find_visible(current_user, form.case.data)
        try:
            notice = supervision.issue_manual_notice(case, current_user, note=form.note.data)
        except supervision.SupervisionError as error:
            db.session.rollback()
            form.case.errors = list(form.case.errors or []) + [_error(error)]
        else:
            db.session.commit()
            flash(_("Supervision notice %(number)s issued to %(unit)s.", number=notice.number,
                    unit=notice.unit.display_name), "success")
            return redirect(url_for(".notices"))
    return render_template("complaints/supervision/issue.html", form=form)


# ---------------------------------------------------------------- the ladder

@bp.get("/strikes")
@require(Permission.SUPERVISION_VIEW)
def strikes():
    rows = escalation.ladder_overview(current_user)
    notice_ids = {i for _unit, _state, history in rows for strike in history for i in (strike.notice_ids or [])}
    statements = {strike.id: escalation.latest_statement(strike)
                  for _unit, _state, history in rows for strike in history if strike.level == 2}
    return render_template(
        "complaints/supervision/strikes.html", rows=rows, notices=supervision.notices_by_id(notice_ids),
        statements=statements, level_labels=LEVEL_LABELS, clear_form=ClearStrikesForm(formdata=None),
        statement_form=StatementForm(formdata=None), settings=get_city_settings(),
        may_write=lambda strike: (current_user.role == Role.HANDLER and current_user.unit_id == strike.unit_id
                                  and strike.level == 2 and strike.cleared_at is None))


def _visible_strike(strike_id):
    return db.first_or_404(escalation.visible_strikes(current_user).where(UnitStrike.id == strike_id))


@bp.get(f"/strikes/<{ID}:strike_id>/print")
@require(Permission.SUPERVISION_VIEW)
def strike_print(strike_id):
    """The strike's document: rectification notice (1), request for a self-criticism (2), letter to the superior (3)."""
    strike = _visible_strike(strike_id)
    notices = supervision.notices_by_id(strike.notice_ids or [])
    return render_template("complaints/supervision/strike_print.html", strike=strike,
                           notices=[notices[i] for i in (strike.notice_ids or []) if i in notices],
                           statement=escalation.latest_statement(strike), level_labels=LEVEL_LABELS, now=utcnow())


@bp.post(f"/units/<{ID}:unit_id>/clear")
@require(Permission.SUPERVISION_MANAGE)
def clear(unit_id):
    unit = db.get_or_404(Unit, unit_id)
    form = ClearStrikesForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for clearing (up to 500 characters)."), "danger")
        return redirect(url_for(".strikes"))
    try:
        escalation.clear_strikes(unit, current_user, form.reason.data)
    except supervision.SupervisionError as error:
        db.session.rollback()
        flash(_error(error), "danger")
        return redirect(url_for(".strikes"))
    db.session.commit()
    flash(_("Strikes of %(unit)s cleared; the next strike starts a new cycle.", unit=unit.display_name), "success")
    return redirect(url_for(".strikes"))


@bp.post(f"/strikes/<{ID}:strike_id>/statement")
@require(Permission.CASES_HANDLE)
def statement(strike_id):
    """A unit handler hands in the unit's written self-criticism for its strike 2."""
    strike = _visible_strike(strike_id)
    form = StatementForm()
    if not form.validate_on_submit():
        flash(_("Write the self-criticism (up to 5000 characters)."), "danger")
        return redirect(url_for(".strikes", _anchor=f"strike-{strike.id}"))
    try:
        escalation.submit_statement(strike, current_user, form.text.data)
    except supervision.SupervisionError as error:
        db.session.rollback()
        flash(_error(error), "danger")
        return redirect(url_for(".strikes", _anchor=f"strike-{strike.id}"))
    db.session.commit()
    flash(_("Self-criticism handed in."), "success")
    return redirect(url_for(".strikes", _anchor=f"strike-{strike.id}"))

