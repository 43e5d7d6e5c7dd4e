"""The statutory public holidays of a year computed from the national rules (全国年节及纪念日放假办法, as amended
in 2024), for years that neither the city nor the ``chinesecalendar`` package knows yet. Lunar dates and the
清明 solar term come from ``lunar_python``; the bridging days (调休) only the State Council's notice can say."""
from datetime import date, timedelta

from lunar_python import Lunar

# The calendar the rules can be computed for (the lunar library's range is far wider; these are the years a
# handling limit can plausibly reach).
FIRST_YEAR, LAST_YEAR = 2000, 2099
COMPENSATION = "补假"


def _solar(lunar):
    solar = lunar.getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def statutory_holidays(year):
    """The 13 statutory days off of ``year`` as (date, name) pairs in date order; a date may appear twice when two
    holidays fall on it (中秋 on 3 October in 2028)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"no holiday rules for {year}")
    new_year = _solar(Lunar.fromYmd(year, 1, 1))  # 正月初一 of the lunar year that starts in this solar year
    qingming = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
    days = [(date(year, 1, 1), "元旦")]
    days += [(new_year + timedelta(days=offset), "春节") for offset in (-1, 0, 1, 2)]  # 除夕 to 初三
    days.append((date(qingming.getYear(), qingming.getMonth(), qingming.getDay()), "清明节"))
    days += [(date(year, 5, 1), "劳动节"), (date(year, 5, 2), "劳动节")]
    days.append((_solar(Lunar.fromYmd(year, 5, 5)), "端午节"))
    days.append((_solar(Lunar.fromYmd(year, 8, 15)), "中秋节"))
    days += [(date(year, 10, day), "国庆节") for day in (1, 2, 3)]
    return sorted(days, key=lambda pair: pair[0])


def provisional_holidays(year):
    """{date: name} of the days off that the rules alone give: the statutory days, and for each one that falls on a
    Saturday or Sunday or on another holiday, a compensation day (补假) on the next working day after it."""
    days = statutory_holidays(year)
    off = {}
    owed = []
    for day, name in days:
        if day in off or day.weekday() >= 5:
            owed.append((day, name))
        off[day] = f"{off[day]}、{name}" if day in off else name
    for day, name in owed:
        extra = day + timedelta(days=1)
        while extra.weekday() >= 5 or extra in off:
            extra += timedelta(days=1)
        off[extra] = f"{name}{COMPENSATION}"
    return dict(sorted(off.items()))
