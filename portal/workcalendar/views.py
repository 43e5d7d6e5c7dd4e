"""Staff console: the working calendar per year (admins)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import holidays
from portal.auth.permissions import Permission, require
from portal.city import city_setting
from portal.clock import to_local, utcnow
from portal.extensions import db
from portal.workcalendar import services
from portal.workcalendar.forms import CalendarYearForm
from portal.workcalendar.models import CalendarYear

bp = Blueprint("work_calendar", __name__, url_prefix="/console/calendar", template_folder="templates")


def _line_message(error):
    code, p = error.code, error.params
    if code == "kind":
        return _("say whether the days are off (休) or worked (班)")
    if code == "year":
        return _("the dates are not in %(year)d", year=p["year"])
    if code == "range":
        return _("the range ends before it starts or is longer than %(days)d days", days=p["days"])
    if code == "name":
        return _("the name is longer than %(length)d characters", length=p["length"])
    if code == "weekday":
        return _("%(day)s is a weekday: it is a workday anyway, only weekend days can be make-up workdays",
                 day=p["day"])
    if code == "twice":
        return _("%(day)s is already on line %(line)d", day=p["day"], line=p["line"])
    return _("no date this page can read (write 2027-02-05, 2027年2月5日 or 2月5日)")


def _year_or_404(year):
    try:
        return services.check_year(year)
    except services.CalendarError:
        abort(404)


@bp.get("/")
@require(Permission.SETTINGS_EDIT)
def index():
    wanted = request.args.get("year", type=int)
    if wanted is not None:
        return redirect(url_for("work_calendar.year_page", year=wanted))
    this_year = to_local(utcnow(), city_setting("timezone")).year
    calendar = services.city_calendar()
    years = [calendar.year(y) for y in range(this_year - 1, this_year + 3)]
    return render_template("workcalendar/index.html", years=years)


@bp.route("/<int:year>", methods=["GET", "POST"])
@require(Permission.SETTINGS_EDIT)
def year_page(year):
    _year_or_404(year)
    form = CalendarYearForm()
    line_errors = []
    if form.validate_on_submit():
        try:
            moved = services.save_year(year, form.days.data, current_user, confirm=form.confirm.data)
        except services.CalendarError as error:
            db.session.rollback()
            if error.code == "empty":
                form.days.errors.append(_("The list has no day off."))
            line_errors = [(e.number, e.text, _line_message(e)) for e in error.errors]
        else:
            db.session.commit()
            flash(_("The working calendar for %(year)d is saved.", year=year), "success")
            if moved:
                flash(ngettext("The due time of %(num)d open case was recalculated.",
                               "The due times of %(num)d open cases were recalculated.", len(moved)), "info")
            return redirect(url_for("work_calendar.year_page", year=year))
    current = services.city_calendar().year(year)
    if not form.is_submitted():
        form.days.data = services.list_text(current)
    row = db.session.get(CalendarYear, year)
    return render_template("workcalendar/year.html", year=year, current=current, row=row, form=form,
                           line_errors=line_errors, statutory=holidays.statutory_holidays(year),
                           missing=services.missing_statutory_days(year, current.holidays))


@bp.post("/<int:year>/confirm")
@require(Permission.SETTINGS_EDIT)
def confirm(year):
    _year_or_404(year)
    try:
        services.confirm_year(year, current_user)
    except services.CalendarError:
        db.session.rollback()
        flash(_("The working calendar for %(year)d is already confirmed.", year=year), "info")
    else:
        db.session.commit()
        flash(_("The working calendar for %(year)d is confirmed.", year=year), "success")
    return redirect(url_for("work_calendar.year_page", year=year))
