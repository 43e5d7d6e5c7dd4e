"""The statutory holidays computed from the national rules, checked against dates read off a published calendar."""
from datetime import date

import pytest

from portal.holidays import provisional_holidays, statutory_holidays


def test_the_statutory_days_of_2027_follow_the_rules():
    # Published lunar calendar for 2027: 正月初一 Saturday 02-06, so 除夕 (the day before) is Friday 02-05;
    # 清明 (solar term) 04-05; 端午 (五月初五) 06-09; 中秋 (八月十五) 09-15.
    assert statutory_holidays(2027) == [
        (date(2027, 1, 1), "元旦"),
        (date(2027, 2, 5), "春节"), (date(2027, 2, 6), "春节"), (date(2027, 2, 7), "春节"), (date(2027, 2, 8), "春节"),
        (date(2027, 4, 5), "清明节"),
        (date(2027, 5, 1), "劳动节"), (date(2027, 5, 2), "劳动节"),
        (date(2027, 6, 9), "端午节"),
        (date(2027, 9, 15), "中秋节"),
        (date(2027, 10, 1), "国庆节"), (date(2027, 10, 2), "国庆节"), (date(2027, 10, 3), "国庆节"),
    ]


def test_the_statutory_days_of_2028_follow_the_rules():
    # 2028: 正月初一 Wednesday 01-26 (除夕 01-25); 清明 04-04 (a leap year); 端午 05-28; 中秋 10-03, the same
    # day as the third day of 国庆: thirteen holidays on twelve dates.
    days = statutory_holidays(2028)
    assert len(days) == 13
    assert sorted(set(d for d, _name in days)) == [
        date(2028, 1, 1), date(2028, 1, 25), date(2028, 1, 26), date(2028, 1, 27), date(2028, 1, 28),
        date(2028, 4, 4), date(2028, 5, 1), date(2028, 5, 2), date(2028, 5, 28),
        date(2028, 10, 1), date(2028, 10, 2), date(2028, 10, 3)]
    assert (date(2028, 10, 3), "中秋节") in days and (date(2028, 10, 3), "国庆节") in days


def test_a_holiday_on_a_weekend_or_on_another_holiday_is_made_up_on_the_next_working_day():
    off = provisional_holidays(2028)
    # 元旦 Saturday 01-01 -> Monday 01-03 (Sunday 01-02 is off anyway)
    assert off[date(2028, 1, 3)] == "元旦补假" and date(2028, 1, 2) not in off
    # 端午 Sunday 05-28 -> Monday 05-29
    assert off[date(2028, 5, 29)] == "端午节补假"
    # 国庆 Sunday 10-01 and 中秋 on 国庆's 10-03: two days owed after 10-01..10-03 -> Wednesday 10-04, Thursday 10-05
    assert [d for d in off if d.month == 10] == [date(2028, 10, d) for d in (1, 2, 3, 4, 5)]
    assert off[date(2028, 10, 3)] == "中秋节、国庆节"
    # 2027: 初一 and 初二 on the weekend -> Tuesday 02-09 and Wednesday 02-10 (Monday 02-08 is 初三 itself)
    spring = [d for d in provisional_holidays(2027) if d.month == 2]
    assert spring == [date(2027, 2, d) for d in (5, 6, 7, 8, 9, 10)]


def test_a_year_outside_the_rules_is_refused():
    with pytest.raises(ValueError):
        statutory_holidays(1999)
    with pytest.raises(ValueError):
        statutory_holidays(2100)
