"""Periods in the city's calendar: 旬 and month ends in Asia/Shanghai, keys, labels and validation."""
from datetime import date, datetime, timezone

import pytest
from flask_babel import force_locale

from oversight.scorecards.figures import compute_many
from oversight.scorecards.periods import Period, previous_period
from tests.factories import make_area, make_category
from tests.oversight.scorecards.helpers import local, put_case


def test_xun_are_days_1_to_10_11_to_20_and_21_to_the_month_end():
    assert Period.containing("xun", date(2026, 11, 10)) == Period("xun", date(2026, 11, 1), date(2026, 11, 10))
    assert Period.containing("xun", date(2026, 11, 11)) == Period("xun", date(2026, 11, 11), date(2026, 11, 20))
    assert Period.containing("xun", date(2026, 2, 25)) == Period("xun", date(2026, 2, 21), date(2026, 2, 28))
    assert Period.containing("xun", date(2028, 2, 29)).end == date(2028, 2, 29)
    assert Period.containing("xun", date(2026, 12, 31)).start == date(2026, 12, 21)


def test_bounds_are_local_midnights_in_utc():
    start, end = Period.containing("xun", date(2026, 11, 5)).bounds_utc("Asia/Shanghai")
    assert start == datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 11, 10, 16, 0, tzinfo=timezone.utc)


def test_a_case_late_on_the_tenth_is_in_the_first_xun_and_one_after_local_midnight_in_the_second(app):
    area, category = make_area(), make_category()
    put_case(category=category, area=area, received=local(2026, 11, 10, 23, 30))
    put_case(category=category, area=area, received=datetime(2026, 11, 10, 16, 30, tzinfo=timezone.utc))
    first = Period.containing("xun", date(2026, 11, 1))
    (upper,), (middle,) = compute_many([first, first.next()], "city", tz="Asia/Shanghai",
                                       now=local(2026, 11, 22, 9))
    assert (upper.received, middle.received) == (1, 1)


def test_a_case_on_new_years_eve_local_time_belongs_to_the_old_year(app):
    area, category = make_area(), make_category()
    put_case(category=category, area=area, received=datetime(2026, 12, 31, 15, 59, tzinfo=timezone.utc))
    put_case(category=category, area=area, received=datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc))
    y2026, y2027 = Period.containing("year", date(2026, 6, 1)), Period.containing("year", date(2027, 6, 1))
    (old,), (new,) = compute_many([y2026, y2027], "city", tz="Asia/Shanghai", now=local(2027, 1, 2))
    assert (old.received, new.received) == (1, 1)


@pytest.mark.parametrize("key", ["day:2026-11-03", "xun:2026-11-1", "xun:2026-02-3", "month:2026-11",
                                 "quarter:2026-Q4", "year:2026", "custom:2026-11-03:2026-11-09"])
def test_keys_read_back_to_the_same_period(key):
    assert Period.parse(key).key == key


@pytest.mark.parametrize("text", ["", "month:2026-13", "xun:2026-11-4", "quarter:2026-Q5", "week:2026-11",
                                  "day:2026-02-30", "custom:2026-11-09:2026-11-03", "custom:2024-01-01:2026-01-01"])
def test_bad_keys_are_refused_with_a_message(text):
    with pytest.raises(ValueError) as error:
        Period.parse(text)
    assert str(error.value)


def test_the_previous_period_of_each_kind():
    assert Period.parse("xun:2026-11-1").previous().key == "xun:2026-10-3"
    assert Period.parse("month:2026-01").previous().key == "month:2025-12"
    assert Period.parse("quarter:2026-Q1").previous().key == "quarter:2025-Q4"
    assert Period.parse("custom:2026-11-03:2026-11-09").previous().key == "custom:2026-10-27:2026-11-02"


def test_the_last_complete_period_before_now_uses_local_time():
    # 2026-11-10 16:30 UTC is 11-11 00:30 in Shanghai: the first 旬 has just ended
    now = datetime(2026, 11, 10, 16, 30, tzinfo=timezone.utc)
    assert previous_period("xun", now, "Asia/Shanghai").key == "xun:2026-11-1"
    assert previous_period("xun", now, "UTC").key == "xun:2026-10-3"
    assert previous_period("month", now, "Asia/Shanghai").key == "month:2026-10"


def test_labels_in_three_languages(app):
    xun = Period.parse("xun:2026-11-1")
    with force_locale("en"):
        assert xun.label == "Nov 2026, days 1–10"
    assert Period.parse("month:2026-11").label_in("zh_Hans") == "2026年11月"
    assert Period.parse("day:2026-11-03").label_in("zh_Hant") == "2026年11月3日"
    assert Period.parse("quarter:2026-Q4").label_in("en") == "Q4 2026"
