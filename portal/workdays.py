"""Working time: handling limits count working hours, skipping weekends and Chinese public holidays and
counting 调休 make-up workdays (from the maintained ``chinesecalendar`` package)."""
import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

# The working day used unless the app configures another (WORKDAY_PERIODS): 08:30–12:00 and 13:30–17:30.
DEFAULT_PERIODS = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
_warned_years = set()


def is_workday(day):
    """True on a working day. Years the calendar does not know yet fall back to Monday–Friday (and say so once)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("no holiday data for %s: counting Monday–Friday as workdays (upgrade chinesecalendar)",
                        day.year)
        return day.weekday() < 5


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


def add_working_hours(start, hours, tz_name, periods=DEFAULT_PERIODS):
    """The moment (aware UTC) when ``hours`` working hours have passed after ``start`` (aware), in ``tz_name``."""
    tz = ZoneInfo(tz_name)
    remaining = timedelta(hours=hours)
    cursor = start.astimezone(tz)
    day = cursor.date()
    for _ in range(3660):  # ten years of days: far beyond any limit, and a guard against a bad calendar
        if is_workday(day):
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


def working_hours_between(start, end, tz_name, periods=DEFAULT_PERIODS):
    """Working hours (float) from ``start`` to ``end``; 0 when end is not after start."""
    if end <= start:
        return 0.0
    tz = ZoneInfo(tz_name)
    start, end = start.astimezone(tz), end.astimezone(tz)
    total = timedelta()
    day = start.date()
    while day <= end.date():
        if is_workday(day):
            for begin, finish in periods:
                lo = max(start, datetime.combine(day, begin, tz))
                hi = min(end, datetime.combine(day, finish, tz))
                if hi > lo:
                    total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 3600


