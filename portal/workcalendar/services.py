"""What admins do with the working calendar: read a year's holidays and 调休 days from a pasted list, store or
confirm a year, and have the due times that ran on the old calendar recomputed. The caller commits."""
import re
from datetime import date, timedelta

from flask import g
from sqlalchemy.orm import selectinload

from portal import holidays
from portal.auth import audit
from portal.city import CitySettings, city_setting
from portal.clock import to_local, utcnow
from portal.extensions import db
from portal.hooks import CALENDAR_CHANGED, hook
from portal.sqlite import lock_for_write
from portal.workcalendar.models import CalendarDay, CalendarYear
from portal.workdays import SOURCE_CITY, WorkCalendar, YearCalendar

FIRST_YEAR, LAST_YEAR = holidays.FIRST_YEAR, holidays.LAST_YEAR
MAX_NAME = 40
MAX_RANGE_DAYS = 31


class CalendarError(Exception):
    """A list the calendar refuses: ``errors`` holds every bad line (LineError), or ``code`` says what is wrong."""

    def __init__(self, code, errors=()):
        super().__init__(code)
        self.code, self.errors = code, list(errors)


class LineError:
    """One bad line of a pasted list: its number (from 1), its text and what is wrong (``code`` with ``params``)."""

    def __init__(self, number, text, code, **params):
        self.number, self.text, self.code, self.params = number, text, code, params

    def __repr__(self):
        return f"LineError({self.number}, {self.code!r}, {self.params!r})"


# ---------------------------------------------------------------- the calendar in force

def _year_calendar(row):
    return YearCalendar(row.year,
                        holidays={d.day: d.name or "" for d in row.days if not d.workday},
                        workdays={d.day: d.name or "" for d in row.days if d.workday},
                        source=SOURCE_CITY, confirmed=row.is_confirmed)


def city_calendar():
    """The calendar in force: the years the city entered, else the package's, else the rules' (provisional).
    Loaded once per app context; the functions below that change it forget the loaded copy."""
    calendar = g.get("work_calendar")
    if calendar is None:
        rows = db.session.execute(db.select(CalendarYear).options(selectinload(CalendarYear.days))).scalars()
        calendar = g.work_calendar = WorkCalendar([_year_calendar(row) for row in rows])
    return calendar


def _forget_calendar():
    g.pop("work_calendar", None)


def provisional_years(now=None):
    """This year and next (in the city's time) where the calendar is still provisional: the banner's years."""
    this_year = to_local(now or utcnow(), city_setting("timezone")).year
    calendar = city_calendar()
    return [y for y in (this_year, this_year + 1) if calendar.year(y).provisional]


def check_year(year):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarError("year")
    return year


# ---------------------------------------------------------------- reading a pasted list

_DATE = r"(?:\d{4}\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
_END = r"(?:" + _DATE + r"|\d{1,2}\s*日)"
_LINE = re.compile(rf"^(?P<first>{_DATE})(?:\s*(?:至|到|~|～|—|–|\.\.)\s*(?P<last>{_END}))?"
                   r"\s*(?P<kind>放假调休|调休上班|holiday|workday|休息|放假|补班|上班|work|off|休|假|班|[^\s\d，,：:]+)?"
                   r"[\s，,：:]*(?P<name>.*)$", re.IGNORECASE)
_PARTS = re.compile(r"\d+")
_ASIDE = re.compile(r"[（(][^）)]*[）)]")  # "（周五）" after a date in the notice
OFF_WORDS = {"休", "休息", "放假", "放假调休", "假", "holiday", "off"}
WORK_WORDS = {"班", "上班", "补班", "调休上班", "workday", "work"}


def _read_date(text, year, month=None):
    """A date in ``year`` from '2027-02-05', '2027/2/5', '2027年2月5日', '2月5日' or (as a range's end) '8日'."""
    numbers = [int(n) for n in _PARTS.findall(text)]
    if len(numbers) == 1 and month is not None:
        numbers = [year, month, numbers[0]]
    elif len(numbers) == 2:
        numbers = [year] + numbers
    if len(numbers) != 3:
        raise ValueError(text)
    return date(*numbers)


def read_days(year, text):
    """A year's days off and weekend days worked from a pasted list, one date or range a line:

        2027-02-05 至 2027-02-11 休 春节
        2月14日（周日） 班 春节

    Returns ({date: name} off, {date: name} worked); raises CalendarError with every bad line at once."""
    check_year(year)
    off, worked, seen, errors = {}, {}, {}, []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _ASIDE.sub("", raw.split("#", 1)[0]).strip()
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            errors.append(LineError(number, raw, "date"))
            continue
        try:
            first = _read_date(match["first"], year)
            last = _read_date(match["last"], first.year, first.month) if match["last"] else first
        except ValueError:
            errors.append(LineError(number, raw, "date"))
            continue
        kind = (match["kind"] or "").lower()
        name = match["name"].strip()
        if kind not in OFF_WORDS | WORK_WORDS:
            errors.append(LineError(number, raw, "kind"))
            continue
        if first.year != year or last.year != year:
            errors.append(LineError(number, raw, "year", year=year))
            continue
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            errors.append(LineError(number, raw, "range", days=MAX_RANGE_DAYS))
            continue
        if len(name) > MAX_NAME:
            errors.append(LineError(number, raw, "name", length=MAX_NAME))
            continue
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        if kind in WORK_WORDS:
            weekdays = [d for d in days if d.weekday() < 5]
            if weekdays:
                errors.append(LineError(number, raw, "weekday", day=weekdays[0].isoformat()))
                continue
        twice = next((d for d in days if d in seen), None)
        if twice is not None:
            errors.append(LineError(number, raw, "twice", day=twice.isoformat(), line=seen[twice]))
            continue
        for day in days:
            seen[day] = number
            (worked if kind in WORK_WORDS else off)[day] = name
    if errors:
        raise CalendarError("lines", errors)
    if not off:
        raise CalendarError("empty")
    return off, worked


def list_text(year_calendar):
    """A year as the list ``read_days`` reads: consecutive days off with one name make one range."""
    lines = []
    days = sorted([(d, "休", n) for d, n in year_calendar.holidays.items()]
                  + [(d, "班", n) for d, n in year_calendar.workdays.items()])
    i = 0
    while i < len(days):
        first, kind, name = days[i]
        j = i
        while (j + 1 < len(days) and days[j + 1][1:] == (kind, name)
               and days[j + 1][0] == days[j][0] + timedelta(days=1)):
            j += 1
        last = days[j][0]
        span = first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"
        lines.append(f"{span} {kind} {name}".rstrip())
        i = j + 1
    return "\n".join(lines)


def missing_statutory_days(year, off):
    """Statutory holidays on a weekday that a list leaves as working days: (date, name) pairs."""
    return [(d, n) for d, n in holidays.statutory_holidays(year) if d.weekday() < 5 and d not in off]


# ---------------------------------------------------------------- storing and confirming

def _store(year, off, worked, actor, confirm):
    row = db.session.get(CalendarYear, year)
    if row is None:
        row = CalendarYear(year=year)
        db.session.add(row)
    else:
        row.days = []
        db.session.flush()  # the old days go before new ones with the same dates arrive
    row.days = ([CalendarDay(day=d, year=year, workday=False, name=n or None) for d, n in off.items()]
                + [CalendarDay(day=d, year=year, workday=True, name=n or None) for d, n in worked.items()])
    now = utcnow()
    row.updated_at, row.updated_by_id = now, getattr(actor, "id", None)
    row.confirmed_at = now if confirm else None
    row.confirmed_by_id = getattr(actor, "id", None) if confirm else None
    return row


def _change(year, actor, store):
    """Run ``store`` (which writes the year, given the year as it stands), then move the open cases' due times
    from the old calendar to the new one. Returns the cases whose due time moved."""
    lock_for_write()
    # one calendar change at a time: the single settings row is the lock on PostgreSQL (a no-op on SQLite)
    db.session.execute(db.select(CitySettings.id).with_for_update())
    _forget_calendar()
    before = city_calendar()
    store(before.year(year))
    db.session.flush()
    _forget_calendar()
    after = city_calendar()
    if before.year(year).same_days(after.year(year)):
        return []
    move_due_times = hook(CALENDAR_CHANGED)  # complaints.services.recalculate_due_times, plugged in by composition
    return move_due_times(before, after, [year], actor) if move_due_times else []


def save_year(year, text, actor, confirm=False):
    """Store ``year`` from a pasted list (all of it or nothing); ``confirm`` when it is the State Council's
    notice. Returns the cases whose due time moved."""
    off, worked = read_days(year, text)

    def store(_current):
        _store(year, off, worked, actor, confirm)
        audit.record(actor, "confirm" if confirm else "update", object_type=CalendarYear.__tablename__,
                     summary=str(year), changes={"days_off": len(off), "workdays": len(worked)})

    return _change(year, actor, store)


def confirm_year(year, actor):
    """An admin checked ``year`` as it stands against the State Council's notice: it stops being provisional.
    Returns the cases whose due time moved (none: the days stay the same)."""
    check_year(year)

    def store(current):
        if current.confirmed:
            raise CalendarError("confirmed")
        _store(year, current.holidays, current.workdays, actor, confirm=True)
        audit.record(actor, "confirm", object_type=CalendarYear.__tablename__, summary=str(year))

    return _change(year, actor, store)
