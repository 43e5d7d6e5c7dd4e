"""Working time: handling limits count working hours, skipping weekends and Chinese public holidays and
counting 调休 make-up workdays.

Which days are worked comes from a ``WorkCalendar``: for each year, the days the city's admins entered (from the
State Council's notice), else the maintained ``chinesecalendar`` package, else the statutory holidays computed
from the national rules (``portal.holidays``), marked provisional. Without an argument every function uses the
running app's calendar (``portal.workcalendar`` registers it), or outside an app the packaged one.
"""
import logging
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as packaged
from flask import current_app, has_app_context

from portal import holidays

log = logging.getLogger(__name__)

# The working day used unless the app configures another (WORKDAY_PERIODS): 08:30–12:00 and 13:30–17:30.
DEFAULT_PERIODS = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))

SOURCE_CITY = "city"  # entered by the city's admins
SOURCE_PACKAGE = "package"  # the chinesecalendar package (from the State Council's notices)
SOURCE_RULES = "rules"  # computed from the statutory rules: no 调休 known yet
EXTENSION_KEY = "work_calendar"  # app.extensions[...]: a function giving the app's WorkCalendar


class YearCalendar:
    """One year's exceptions to the Monday–Friday week: ``holidays`` {date: name} are days off, ``workdays``
    {date: name} are weekend days worked in exchange (调休). ``confirmed`` is False until the year comes from the
    State Council's notice (the package, or an admin who confirmed it)."""

    def __init__(self, year, holidays=None, workdays=None, source=SOURCE_CITY, confirmed=True):
        self.year, self.source, self.confirmed = year, source, confirmed
        self.holidays = dict(sorted((holidays or {}).items()))
        self.workdays = dict(sorted((workdays or {}).items()))

    @property
    def provisional(self):
        return not self.confirmed

    @property
    def weekday_holidays(self):
        """The days off that fall Monday to Friday (the others are off anyway)."""
        return [d for d in self.holidays if d.weekday() < 5]

    def is_workday(self, day):
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def same_days(self, other):
        """True when both years work on exactly the same days."""
        return self.holidays.keys() == other.holidays.keys() and self.workdays.keys() == other.workdays.keys()


def _packaged_year(year):
    try:
        chinese_calendar.is_workday(date(year, 7, 1))
    except NotImplementedError:
        return None
    name = {h.value: h.chinese for h in packaged.Holiday}
    return YearCalendar(
        year,
        holidays={d: name.get(v, v) for d, v in packaged.holidays.items() if d.year == year},
        workdays={d: name.get(v, v) for d, v in packaged.workdays.items() if d.year == year},
        source=SOURCE_PACKAGE)


@lru_cache(maxsize=64)
def default_year(year):
    """The year as known without the city's entries: the package's, else the rules' (provisional)."""
    known = _packaged_year(year)
    if known is not None:
        return known
    if not holidays.FIRST_YEAR <= year <= holidays.LAST_YEAR:
        raise ValueError(f"no working calendar for {year}")
    log.warning("no holiday notice for %s: using the statutory holidays computed from the rules (provisional)",
                year)
    return YearCalendar(year, holidays=holidays.provisional_holidays(year), source=SOURCE_RULES, confirmed=False)


class WorkCalendar:
    """Which days are worked, year by year: the years given (the city's entries) win over the defaults."""

    def __init__(self, years=()):
        self._entered = {y.year: y for y in years}

    def year(self, year):
        return self._entered.get(year) or default_year(year)

    def is_workday(self, day):
        return self.year(day.year).is_workday(day)


PACKAGED = WorkCalendar()


def current_calendar():
    """The running app's calendar (with the city's entries), or the packaged one outside an app."""
    if has_app_context():
        loader = current_app.extensions.get(EXTENSION_KEY)
        if loader is not None:
            return loader()
    return PACKAGED


def is_workday(day, calendar=None):
    """True on a working day."""
    return (calendar or current_calendar()).is_workday(day)


def parse_periods(text):
    """'08:30-12:00,13:30-17:30' -> periods; raises ValueError on anything else."""
    periods = []
    for part in text.split(","):
        start, end = (time.fromisoformat(v.strip()) for v in part.split("-"))
        if end <= start or (periods and start < periods[-1][1]):
            raise ValueError(f"bad working period {part!r}")
        periods.append((start, end))
    if not periods:
        raise ValueError("no working periods")
    return tuple(periods)


def add_working_time(start, amount, tz_name, periods=DEFAULT_PERIODS, calendar=None):
    """The moment (aware UTC) when the working time ``amount`` (a timedelta) has passed after ``start``."""
    calendar = calendar or current_calendar()
    tz = ZoneInfo(tz_name)
    remaining = amount
    cursor = start.astimezone(tz)
    day = cursor.date()
    for _ in range(3660):  # ten years of days: far beyond any limit, and a guard against a bad calendar
        if calendar.is_workday(day):
            for begin, end in periods:
                begin_at = datetime.combine(day, begin, tz)
                end_at = datetime.combine(day, end, tz)
                if cursor >= end_at:
                    continue
                cursor = max(cursor, begin_at)
                available = end_at - cursor
                if remaining <= available:
                    return (cursor + remaining).astimezone(ZoneInfo("UTC"))
                remaining -= available
                cursor = end_at
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0), tz)
    raise ValueError("working-hour limit too long")


def add_working_hours(start, hours, tz_name, periods=DEFAULT_PERIODS, calendar=None):
    """The moment (aware UTC) when ``hours`` working hours have passed after ``start`` (aware), in ``tz_name``."""
    return add_working_time(start, timedelta(hours=hours), tz_name, periods, calendar)


def working_time_between(start, end, tz_name, periods=DEFAULT_PERIODS, calendar=None):
    """Working time (a timedelta) from ``start`` to ``end``; zero when end is not after start."""
    if end <= start:
        return timedelta()
    calendar = calendar or current_calendar()
    tz = ZoneInfo(tz_name)
    start, end = start.astimezone(tz), end.astimezone(tz)
    total = timedelta()
    day = start.date()
    while day <= end.date():
        if calendar.is_workday(day):
            for begin, finish in periods:
                lo = max(start, datetime.combine(day, begin, tz))
                hi = min(end, datetime.combine(day, finish, tz))
                if hi > lo:
                    total += hi - lo
        day += timedelta(days=1)
    return total


def working_hours_between(start, end, tz_name, periods=DEFAULT_PERIODS, calendar=None):
    """Working hours (float) from ``start`` to ``end``; 0 when end is not after start."""
    return working_time_between(start, end, tz_name, periods, calendar).total_seconds() / 3600
