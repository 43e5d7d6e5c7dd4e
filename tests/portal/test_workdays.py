"""Working-hour due times across holidays and 调休 make-up workdays (Asia/Shanghai)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from portal.workdays import add_working_hours, is_workday, parse_periods, working_hours_between

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
    # 2026: 10-01..10-07 holiday (10-08 too in the official notice? the calendar package decides);
    # Wednesday 2026-09-30 17:00 + 8 h must land after the holiday, on the first workday.
    due = add_working_hours(local(2026, 9, 30, 17, 0), 8, "Asia/Shanghai")
    first_workday = next(d for d in range(1, 15) if is_workday(datetime(2026, 10, d).date()))
    assert due.astimezone(SH).date() == datetime(2026, 10, first_workday).date()
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


def test_years_without_holiday_data_fall_back_to_weekdays():
    assert is_workday(datetime(2031, 3, 3).date()) and not is_workday(datetime(2031, 3, 1).date())


def test_working_periods_are_configurable_and_checked():
    assert parse_periods("09:00-17:00") == ((datetime(1, 1, 1, 9).time(), datetime(1, 1, 1, 17).time()),)
    for bad in ("17:00-09:00", "nonsense", "09:00-12:00,11:00-13:00"):
        with pytest.raises(ValueError):
            parse_periods(bad)
