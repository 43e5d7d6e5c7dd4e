"""Reporting periods in the city's local calendar: day, 旬, month, quarter, year and custom ranges.

A period is a run of whole local days, ``start`` to ``end`` inclusive. 旬 are days 1–10 (上旬), 11–20 (中旬) and
21 to the end of the month (下旬) (DOMAIN.md §7). ``key`` is a stable text form (stored with snapshots, used in
URLs) and ``Period.parse`` reads it back.
"""
import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from portal.city import city_today

KINDS = ("day", "xun", "month", "quarter", "year", "custom")
MAX_CUSTOM_DAYS = 366


def _zone(tz):
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz or "Asia/Shanghai")


def _locale():
    try:
        locale = get_locale()
    except RuntimeError:  # outside any application context
        locale = None
    return str(locale) if locale else "zh_Hans"


def _month_end(year, month):
    return date(year, month, calendar.monthrange(year, month)[1])


def _xun_of(day):
    return 1 if day.day <= 10 else (2 if day.day <= 20 else 3)


def _xun_bounds(year, month, xun):
    if xun == 1:
        return date(year, month, 1), date(year, month, 10)
    if xun == 2:
        return date(year, month, 11), date(year, month, 20)
    return date(year, month, 21), _month_end(year, month)


def _shift_month(year, month, delta):
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Period:
    """``kind`` is one of KINDS; ``start`` and ``end`` are local days, both inclusive."""

    kind: str
    start: date
    end: date

    # ------------------------------------------------------------ building

    @classmethod
    def containing(cls, kind, day):
        """The period of ``kind`` (not custom) that contains the local day ``day``."""
        if isinstance(day, datetime):
            day = day.date()
        if kind == "day":
            return cls("day", day, day)
        if kind == "xun":
            return cls("xun", *_xun_bounds(day.year, day.month, _xun_of(day)))
        if kind == "month":
            return cls("month", date(day.year, day.month, 1), _month_end(day.year, day.month))
        if kind == "quarter":
            first = 3 * ((day.month - 1) // 3) + 1
            return cls("quarter", date(day.year, first, 1), _month_end(day.year, first + 2))
        if kind == "year":
            return cls("year", date(day.year, 1, 1), date(day.year, 12, 31))
        raise ValueError(_("Unknown kind of period: %(kind)s", kind=kind))

    @classmethod
    def custom(cls, start, end):
        """A custom range of local days; raises ValueError with a message for the reader when it is not one."""
        if start is None or end is None:
            raise ValueError(_("Give both the first and the last day of the range."))
        if start > end:
            raise ValueError(_("The first day must not be after the last day."))
        if (end - start).days + 1 > MAX_CUSTOM_DAYS:
            raise ValueError(_("A custom range covers at most %(days)d days.", days=MAX_CUSTOM_DAYS))
        return cls("custom", start, end)

    def previous(self):
        """The period of the same kind just before (for a custom range: as many days just before)."""
        if self.kind == "custom":
            length = (self.end - self.start).days + 1
            return Period("custom", self.start - timedelta(days=length), self.start - timedelta(days=1))
        return Period.containing(self.kind, self.start - timedelta(days=1))

    def next(self):
        if self.kind == "custom":
            length = (self.end - self.start).days + 1
            return Period("custom", self.end + timedelta(days=1), self.end + timedelta(days=length))
        return Period.containing(self.kind, self.end + timedelta(days=1))

    # ------------------------------------------------------------ time

    def bounds_utc(self, tz):
        """[start 00:00 local, end + 1 day 00:00 local) as aware UTC datetimes."""
        zone = _zone(tz)
        start = datetime.combine(self.start, time.min, tzinfo=zone).astimezone(timezone.utc)
        end = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone).astimezone(timezone.utc)
        return start, end

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def contains(self, day):
        return self.start <= day <= self.end

    # ------------------------------------------------------------ text

    @property
    def key(self):
        """A stable text key: day:2026-11-03, xun:2026-11-1, month:2026-11, quarter:2026-Q4, year:2026,
        custom:2026-11-03:2026-11-09."""
        if self.kind == "day":
            return f"day:{self.start.isoformat()}"
        if self.kind == "xun":
            return f"xun:{self.start.year:04d}-{self.start.month:02d}-{_xun_of(self.start)}"
        if self.kind == "month":
            return f"month:{self.start.year:04d}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"quarter:{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"year:{self.start.year:04d}"
        return f"custom:{self.start.isoformat()}:{self.end.isoformat()}"

    @classmethod
    def parse(cls, text):
        """The period a ``key`` names; ValueError with a message for the reader when it names none."""
        text = (text or "").strip()
        kind, _sep, rest = text.partition(":")
        custom = re.fullmatch(r"(\d{4}-\d{2}-\d{2}):(\d{4}-\d{2}-\d{2})", rest)
        try:
            if kind == "custom" and custom:
                start, end = date.fromisoformat(custom[1]), date.fromisoformat(custom[2])
            else:
                period = cls._parse_calendar(kind, rest)
                if period is not None:
                    return period
                start = end = None
        except ValueError:
            start = end = None
        if start is None:
            raise ValueError(_("“%(text)s” is not a period. Choose one with the period picker.", text=text[:40]))
        return cls.custom(start, end)

    @classmethod
    def _parse_calendar(cls, kind, rest):
        if kind == "day" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", rest):
            return cls.containing("day", date.fromisoformat(rest))
        match = re.fullmatch(r"(\d{4})-(\d{2})-([123])", rest)
        if kind == "xun" and match:
            year, month, xun = (int(part) for part in match.groups())
            date(year, month, 1)  # raises on a month that does not exist
            return cls("xun", *_xun_bounds(year, month, xun))
        match = re.fullmatch(r"(\d{4})-(\d{2})", rest)
        if kind == "month" and match:
            return cls.containing("month", date(int(match[1]), int(match[2]), 1))
        match = re.fullmatch(r"(\d{4})-Q([1-4])", rest)
        if kind == "quarter" and match:
            return cls.containing("quarter", date(int(match[1]), 3 * int(match[2]) - 2, 1))
        if kind == "year" and re.fullmatch(r"\d{4}", rest) and int(rest) >= 1:
            return cls.containing("year", date(int(rest), 1, 1))
        return None

    @property
    def label(self):
        """The period in words, in the current language: 2026年11月上旬 / Nov 2026, days 1–10."""
        return self.label_in(_locale())

    def label_in(self, locale):
        with force_locale(locale):
            return self._label(locale)

    def _label(self, locale):
        month = format_skeleton("yMMM", self.start, locale=locale)
        if self.kind == "day":
            return format_skeleton("yMMMd", self.start, locale=locale)
        if self.kind == "xun":
            xun = _xun_of(self.start)
            if xun == 1:
                return _("%(month)s, days 1–10", month=month)
            if xun == 2:
                return _("%(month)s, days 11–20", month=month)
            return _("%(month)s, days 21–%(last)d", month=month, last=self.end.day)
        if self.kind == "month":
            return month
        if self.kind == "quarter":
            return _("Q%(quarter)d %(year)d", quarter=(self.start.month - 1) // 3 + 1, year=self.start.year)
        if self.kind == "year":
            return format_skeleton("y", self.start, locale=locale)
        return _("%(start)s – %(end)s", start=format_skeleton("yMMMd", self.start, locale=locale),
                 end=format_skeleton("yMMMd", self.end, locale=locale))

    def __str__(self):
        return self.key


def current_period(kind, now_utc, tz):
    """The period of ``kind`` that contains the local day of ``now_utc`` (still running)."""
    return Period.containing(kind, city_today(now_utc, tz))


def previous_period(kind, now_utc, tz):
    """The last COMPLETE period of ``kind`` before ``now_utc`` (e.g. on 11 Nov: 上旬 of November)."""
    return current_period(kind, now_utc, tz).previous()


def shift(period, delta):
    """The period ``delta`` steps after (positive) or before (negative) ``period``, of the same kind."""
    for _step in range(abs(delta)):
        period = period.next() if delta > 0 else period.previous()
    return period


def recent(kind, until, count):
    """``count`` consecutive periods of ``kind`` ending with the one containing local day ``until``, oldest first."""
    if kind == "month":  # fast path without walking day by day
        periods = []
        for back in range(count - 1, -1, -1):
            year, month = _shift_month(until.year, until.month, -back)
            periods.append(Period.containing("month", date(year, month, 1)))
        return periods
    last = Period.containing(kind, until)
    periods = [last]
    for _step in range(count - 1):
        periods.append(periods[-1].previous())
    return periods[::-1]
