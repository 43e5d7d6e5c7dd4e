"""Working-hour due times across holidays and 调休 make-up workdays (Asia/Shanghai)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from portal.workdays import (
    SOURCE_RULES,
    add_working_hours,
    default_year,
    is_workday,
    parse_periods,
    working_hours_between,
)

SH = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime(*args, tzinfo=SH)


def test_a_limit_inside_one_morning():
    due = add_working_hours(local(2026, 11, 23, 9, 0), 2, "Asia/Shanghai")  # Monday
    assert due == local(2026, 11, 23, 11, 0)


def test_the_lunch_break_and_the_evening_do_not_count():
    # Monday 11:00 + 4 h: 1 h before lunch, 3 h after -> 16:30
    assert add_working_hours(local(2026, 11, 23, 11, 0), 4, "Asia/Shanghai") == local(2026, 11, 23, 16, 30)
    # Monday 17:00 + 1 h: 0.5 h left today, 0.5 h tomorrow morning -> Tuesday 09:00
    assert add_working_hours(local(2026, 11, 23, 17, 0), 1, "Asia/Shanghai") == local(2026, 11, 24, 9, 0)


def test_a_report_at_night_starts_counting_next_morning():
    assert add_working_hours(local(2026, 11, 23, 22, 0), 1, "Asia/Shanghai") == local(2026, 11, 24, 9, 30)


def test_the_weekend_is_skipped():
    # Friday 2026-11-20 17:00 + 2 h -> Monday 2026-11-23 10:00
    assert add_working_hours(local(2026, 11, 20, 17, 0), 2, "Asia/Shanghai") == local(2026, 11, 23, 10, 0)


def test_national_day_holiday_is_skipped_and_the_make_up_saturday_counts():
    # State Council notice for 2026: 10-01..10-07 off, Sunday 09-20 and Saturday 10-10 worked.
    # Wednesday 2026-09-30 17:00 + 8 h: 0.5 h that evening, nothing 10-01..10-07, then Thursday 10-08:
    # 08:30–12:00 (3.5 h, 4 h done) and 13:30–17:30 (4 h, 8 h done) -> due 10-08 17:30.
    assert add_working_hours(local(2026, 9, 30, 17, 0), 8, "Asia/Shanghai") == local(2026, 10, 8, 17, 30)
    assert not is_workday(datetime(2026, 10, 1).date())
    # 2026-10-10 is a Saturday 调休 workday: a Friday-evening case is due on that Saturday
    assert datetime(2026, 10, 10).weekday() == 5 and is_workday(datetime(2026, 10, 10).date())
    assert add_working_hours(local(2026, 10, 9, 17, 30), 2, "Asia/Shanghai") == local(2026, 10, 10, 10, 30)


def test_spring_festival_week_is_skipped():
    # 2026 Spring Festival: 02-15..02-23 off, 02-14 (Saturday) and 02-28 (Saturday) are make-up workdays
    assert is_workday(datetime(2026, 2, 14).date()) and not is_workday(datetime(2026, 2, 16).date())
    due = add_working_hours(local(2026, 2, 14, 17, 0), 1, "Asia/Shanghai")
    assert due == local(2026, 2, 24, 9, 0)


def test_results_are_utc_and_inputs_may_be_in_any_zone():
    due = add_working_hours(datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc), 1, "Asia/Shanghai")  # 09:00 local
    assert due.tzinfo is not None and due.utcoffset().total_seconds() == 0
    assert due == local(2026, 11, 23, 10, 0)


def test_hours_between_counts_only_working_time():
    assert working_hours_between(local(2026, 11, 20, 16, 0), local(2026, 11, 23, 10, 0), "Asia/Shanghai") == 3.0
    assert working_hours_between(local(2026, 11, 23, 10, 0), local(2026, 11, 23, 9, 0), "Asia/Shanghai") == 0.0


def test_a_year_the_package_does_not_know_keeps_its_statutory_holidays():
    # chinesecalendar 1.11.0 stops at 2026, so the rules answer for 2031 (and say the year is provisional):
    assert (default_year(2031).source, default_year(2031).confirmed) == (SOURCE_RULES, False)
    # 2031-01-01 (元旦) is a Wednesday: Monday–Friday would work it.
    assert datetime(2031, 1, 1).weekday() == 2 and not is_workday(datetime(2031, 1, 1).date())
    # 2031 春节: 正月初一 is Thursday 2031-01-23, so 除夕 Wednesday 01-22 to 初三 Saturday 01-25 are off, and
    # 初三 on a Saturday is made up on Monday 01-27 (Sunday 01-26 is off anyway); Tuesday 01-28 is worked.
    for day in (22, 23, 24, 27):
        assert not is_workday(datetime(2031, 1, day).date()), day
    assert is_workday(datetime(2031, 1, 21).date()) and is_workday(datetime(2031, 1, 28).date())
    # weekends stay off, ordinary weekdays stay worked
    assert is_workday(datetime(2031, 3, 3).date()) and not is_workday(datetime(2031, 3, 1).date())


def test_a_case_dispatched_on_new_years_eve_2026_is_not_due_on_new_years_day_2027():
    # Thursday 2026-12-31 16:00 + 8 h: 16:00–17:30 is 1.5 h; Friday 2027-01-01 is 元旦; the weekend follows;
    # Monday 01-04: 08:30–12:00 is 3.5 h (5 h done), then 13:30 + 3 h -> 16:30.
    due = add_working_hours(local(2026, 12, 31, 16, 0), 8, "Asia/Shanghai")
    assert due == local(2027, 1, 4, 16, 30)


def test_a_case_dispatched_on_chuxi_2027_is_not_due_during_the_spring_festival():
    # 2027: 正月初一 is Saturday 02-06 (published lunar calendar), so 除夕 is Friday 02-05 and 初三 Monday 02-08.
    # 初一 and 初二 fall on the weekend: made up on Tuesday 02-09 and Wednesday 02-10. Friday 02-05 16:00 + 8 h:
    # nothing until Thursday 02-11, which gives 3.5 h + 4 h = 7.5 h; the last 0.5 h -> Friday 02-12 09:00.
    due = add_working_hours(local(2027, 2, 5, 16, 0), 8, "Asia/Shanghai")
    assert due == local(2027, 2, 12, 9, 0)
    assert not any(is_workday(datetime(2027, 2, day).date()) for day in (5, 6, 7, 8))


def test_hours_between_skip_the_2027_holidays():
    # Thursday 2026-12-31 09:00 to Monday 2027-01-04 12:00: 09:00–12:00 and 13:30–17:30 on 12-31 (3 h + 4 h),
    # 元旦 and the weekend off, 08:30–12:00 on 01-04 (3.5 h): 10.5 h
    assert working_hours_between(local(2026, 12, 31, 9, 0), local(2027, 1, 4, 12, 0), "Asia/Shanghai") == 10.5


def test_working_periods_are_configurable_and_checked():
    assert parse_periods("09:00-17:00") == ((datetime(1, 1, 1, 9).time(), datetime(1, 1, 1, 17).time()),)
    for bad in ("17:00-09:00", "nonsense", "09:00-12:00,11:00-13:00"):
        with pytest.raises(ValueError):
            parse_periods(bad)
