"""The city's working calendar: admins enter a year from the State Council's notice, provisional years say so, and
open cases' due times follow the calendar when it changes."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from complaints import handling as cases
from complaints.models import CaseEvent, EventKind
from portal.auth.models import AuditEntry, Role
from portal.extensions import db
from portal.workcalendar import services
from portal.workcalendar.models import CalendarDay, CalendarYear
from portal.workdays import PACKAGED, is_workday
from tests.factories import make_case, make_category, make_unit, make_user

SH = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")

# An arrangement for 2027 as a State Council notice would give it (made up for the test: the real one is not out).
NOTICE_2027 = """\
2027-01-01 至 2027-01-03 休 元旦
2027-02-05 至 2027-02-11 休 春节
2027-02-20 班 春节
2027-04-03 至 2027-04-05 休 清明节
2027-04-25 班 劳动节
2027-05-01 至 2027-05-05 休 劳动节
2027-06-09 休 端午节
2027-09-15 休 中秋节
2027-09-26 班 国庆节
2027-10-01 至 2027-10-07 休 国庆节
2027-10-09 班 国庆节
"""

BAD_LIST = """\
2027-01-01 休 元旦
2027-02-30 休 春节
2027-02-05 至 2027-02-11 休 春节
2月14日（周日） 班 春节
2027-02-15 班
2027-02-07 休
2026-10-01 休 国庆节
2027-10-01 上课
"""


def local(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def staff(app):
    unit = make_unit("市环卫处")
    return {"admin": make_user(Role.ADMIN), "dispatcher": make_user(Role.DISPATCHER),
            "leader": make_user(Role.LEADER), "unit": unit}


def dispatched(staff, at, hours=8):
    case = make_case(category=make_category(limit_hours=hours))
    cases.file_case(case, staff["dispatcher"])
    cases.dispatch_case(case, staff["unit"], staff["dispatcher"], now=at)
    db.session.commit()
    return case


def recalculations(case):
    return db.session.execute(db.select(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.DUE_RECALCULATED)).scalars().all()


def test_a_case_dispatched_on_new_years_eve_is_due_after_the_2027_new_year(staff):
    # Thursday 2026-12-31 16:00 + 8 h: 1.5 h that day; 元旦 Friday 2027-01-01 and the weekend are off;
    # Monday 01-04: 3.5 h by 12:00 (5 h), then 13:30 + 3 h -> 16:30.
    case = dispatched(staff, local(2026, 12, 31, 16, 0))
    assert case.due_at == local(2027, 1, 4, 16, 30)


def test_a_case_dispatched_on_chuxi_2027_is_not_due_in_the_spring_festival(staff):
    # 2027 has no notice yet: 除夕 Friday 02-05 to 初三 Monday 02-08 off, 初一/初二 (weekend) made up on 02-09 and
    # 02-10. Thursday 02-11 gives 7.5 h; the last 0.5 h -> Friday 02-12 09:00.
    case = dispatched(staff, local(2027, 2, 5, 16, 0))
    assert case.due_at == local(2027, 2, 12, 9, 0)


def test_every_bad_line_is_reported_at_once_and_nothing_is_stored(staff):
    with pytest.raises(services.CalendarError) as caught:
        services.save_year(2027, BAD_LIST, staff["admin"], confirm=True)
    found = [(e.number, e.code) for e in caught.value.errors]
    # line 2: no 30 February; 4 is fine (2027-02-14 is a Sunday); 5: Monday 02-15 is worked anyway;
    # 6: 02-07 is inside line 3's range; 7: not 2027; 8: 上课 is neither 休 nor 班
    assert found == [(2, "date"), (5, "weekday"), (6, "twice"), (7, "year"), (8, "kind")]
    assert caught.value.errors[2].params == {"day": "2027-02-07", "line": 3}
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(CalendarDay)) == 0
    assert db.session.get(CalendarYear, 2027) is None


def test_the_console_lists_every_bad_line_in_the_readers_language(staff, client, login):
    login(staff["admin"])
    page = client.post("/console/calendar/2027?lang=en", data={"days": BAD_LIST, "confirm": "y"}).get_data(True)
    assert "Nothing was saved" in page
    for number in (2, 5, 6, 7, 8):
        assert f"Line {number} " in page, number
    assert "2027-02-07 is already on line 3" in page
    assert "2027-02-15 is a weekday" in page
    assert db.session.get(CalendarYear, 2027) is None


def test_a_notice_moves_the_due_times_of_open_cases_and_says_so_on_each(staff, client, login):
    # Provisional 2027: Thursday 02-04 16:00 + 8 h = 1.5 h, 02-05..02-10 off, Thursday 02-11 3.5 h (5 h) and
    # 13:30 + 3 h -> 02-11 16:30. The notice keeps 02-11 off too: Friday 02-12 16:30.
    moved = dispatched(staff, local(2027, 2, 4, 16, 0))
    assert moved.due_at == local(2027, 2, 11, 16, 30)
    # Monday 2027-01-04 09:00 + 8 h: 7 h that day, 1 h on Tuesday -> 01-05 09:30 either way
    kept = dispatched(staff, local(2027, 1, 4, 9, 0))
    assert kept.due_at == local(2027, 1, 5, 9, 30)

    login(staff["admin"])
    response = client.post("/console/calendar/2027", data={"days": NOTICE_2027, "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert moved.due_at == local(2027, 2, 12, 16, 30)
    assert kept.due_at == local(2027, 1, 5, 9, 30)
    [event] = recalculations(moved)
    assert event.actor_id == staff["admin"].id and not event.public
    assert event.data["from"] == local(2027, 2, 11, 16, 30).astimezone(UTC).isoformat()
    assert event.data["to"] == local(2027, 2, 12, 16, 30).astimezone(UTC).isoformat()
    assert recalculations(kept) == []
    year = db.session.get(CalendarYear, 2027)
    assert year.is_confirmed and year.confirmed_by_id == staff["admin"].id
    # the notice's make-up Saturday is worked, its bridging Thursday is not
    assert is_workday(date(2027, 2, 20)) and not is_workday(date(2027, 2, 11))

    # the same notice again (a double tap) changes nothing and records nothing more
    client.post("/console/calendar/2027", data={"days": NOTICE_2027, "confirm": "y"})
    db.session.expire_all()
    assert len(recalculations(moved)) == 1 and moved.due_at == local(2027, 2, 12, 16, 30)


def test_an_extension_survives_the_recalculation(staff):
    # Thursday 2027-02-04 16:00 + 8 h -> 02-11 16:30 (provisional); an approved 4 h extension: 1 h to 17:30,
    # then Friday 02-12 08:30 + 3 h -> 11:30. With 02-11 off as well, the same 12 h are 1.5 h on 02-04, 7.5 h on
    # Friday 02-12 (9 h), the weekend off, then Monday 02-15 08:30 + 3 h -> 11:30.
    case = dispatched(staff, local(2027, 2, 4, 16, 0))
    request = cases.request_extension(case, make_user(Role.HANDLER, unit=staff["unit"]), "extend", "需要更多时间",
                                      hours=4)
    cases.decide_extension(request, staff["dispatcher"], approve=True)
    assert case.due_at == local(2027, 2, 12, 11, 30)
    services.save_year(2027, NOTICE_2027, staff["admin"], confirm=True)
    assert case.due_at == local(2027, 2, 15, 11, 30)


def test_confirming_the_computed_year_as_it_stands_moves_nothing(staff):
    case = dispatched(staff, local(2027, 2, 4, 16, 0))
    assert services.confirm_year(2027, staff["admin"]) == []
    assert case.due_at == local(2027, 2, 11, 16, 30) and recalculations(case) == []
    assert services.city_calendar().year(2027).confirmed
    assert services.city_calendar().year(2027).holidays == PACKAGED.year(2027).holidays
    with pytest.raises(services.CalendarError):
        services.confirm_year(2027, staff["admin"])  # twice
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.object_type == "calendar_years")) == 1


def test_a_year_saved_without_confirming_stays_provisional(staff):
    services.save_year(2027, NOTICE_2027, staff["admin"])
    assert services.city_calendar().year(2027).provisional
    assert services.city_calendar().year(2027).source == "city"


def test_the_citys_entries_win_over_the_package_for_a_year_it_knows(staff):
    # chinesecalendar works Saturday 2026-10-10; a city that entered the year without it does not
    text = services.list_text(PACKAGED.year(2026)).replace("2026-10-10 班 国庆节", "")
    services.save_year(2026, text, staff["admin"], confirm=True)
    assert not is_workday(date(2026, 10, 10)) and PACKAGED.is_workday(date(2026, 10, 10))


@pytest.mark.parametrize("year", [2026, 2027, 2028])
def test_the_list_shown_for_a_year_reads_back_as_the_same_days(year):
    known = PACKAGED.year(year)
    off, worked = services.read_days(year, services.list_text(known))
    assert off.keys() == known.holidays.keys() and worked.keys() == known.workdays.keys()


def test_dates_as_the_notice_writes_them_are_read(app):
    off, worked = services.read_days(2027, "2月5日（周五）至11日（周四）放假调休 春节\n2027年2月20日 上班")
    assert list(off) == [date(2027, 2, d) for d in range(5, 12)] and set(off.values()) == {"春节"}
    assert list(worked) == [date(2027, 2, 20)]
    with pytest.raises(services.CalendarError) as caught:
        services.read_days(2027, "\n# nothing but a comment\n")
    assert caught.value.code == "empty"


def test_the_banner_shows_on_the_console_and_the_scorecards_until_the_year_is_confirmed(
        staff, client, login, monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: local(2026, 12, 1, 10, 0))  # the city's 1 December 2026
    login(staff["leader"])
    page = client.get("/console/scorecards/?lang=en").get_data(True)
    assert "Provisional working calendar for 2027" in page
    assert "Enter or confirm the calendar" not in page  # a leader cannot edit it
    services.save_year(2027, NOTICE_2027, staff["admin"], confirm=True)
    db.session.commit()
    assert "Provisional working calendar" not in client.get("/console/scorecards/?lang=en").get_data(True)


def test_the_admin_sees_the_banner_with_the_way_to_confirm(staff, client, login, monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: local(2026, 12, 1, 10, 0))
    login(staff["admin"])
    page = client.get("/console/?lang=en").get_data(True)
    assert "Provisional working calendar for 2027" in page and "/console/calendar/2027" in page
    year_page = client.get("/console/calendar/2027?lang=en").get_data(True)
    assert "2027-02-05 至 2027-02-08 休 春节\n2027-02-09 至 2027-02-10 休 春节补假" in year_page
    assert client.post("/console/calendar/2027/confirm").status_code == 302
    assert "Provisional working calendar" not in client.get("/console/?lang=en").get_data(True)


def test_a_year_outside_the_rules_is_not_found(staff, client, login):
    login(staff["admin"])
    assert client.get("/console/calendar/1999").status_code == 404
    assert client.get("/console/calendar/2100").status_code == 404
