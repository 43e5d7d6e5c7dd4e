"""The time-limit watch (黄灯 催办, 红灯 督办单), numbering, the escalation ladder and the supervision pages."""
import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from complaints import handling
from complaints.supervision import escalation
from complaints.supervision import services as supervision
from complaints.supervision.models import NoticeKind, StrikeStatement, SupervisionNotice, UnitStrike
from portal.auth.models import Role
from portal.city import get_city_settings
from portal.extensions import db
from portal.notify_models import Delivery
from tests.factories import make_case, make_category, make_point, make_unit, make_user

SH = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
# 8 working hours from Monday 09:00 (08:30-12:00, 13:30-17:30): due Tuesday 09:30.
DUE = datetime(2026, 11, 24, 9, 30, tzinfo=SH)
# 80 % of 8 h = 6 h 24 min of working time: 3 h to noon, then 3 h 24 min from 13:30.
AMBER = datetime(2026, 11, 23, 16, 54, tzinfo=SH)
UNIT_PHONE = "13700137000"


@pytest.fixture
def staff(app):
    unit = make_unit("市环卫处", contact_phone=UNIT_PHONE)
    return {"dispatcher": make_user(Role.DISPATCHER), "handler": make_user(Role.HANDLER, unit=unit), "unit": unit,
            "category": make_category("暴露垃圾", limit_hours=8), "point": make_point()}


def dispatched(staff, at=MONDAY_9, **kw):
    case = make_case(category=staff["category"], point=staff["point"], **kw)
    handling.file_case(case, staff["dispatcher"])
    handling.dispatch_case(case, staff["unit"], staff["dispatcher"], now=at)
    db.session.commit()
    return case


def notices(**filters):
    return db.session.execute(db.select(SupervisionNotice).filter_by(**filters)
                              .order_by(SupervisionNotice.id)).scalars().all()


def watch(now):
    counts = supervision.watch_time_limits(now)
    db.session.commit()
    return counts


# ---------------------------------------------------------------- the watch

def test_the_due_time_and_amber_point_are_counted_in_working_time(staff):
    case = dispatched(staff)
    assert case.due_at == DUE
    assert supervision.amber_at(case) == AMBER


def test_amber_starts_exactly_at_the_warning_share_with_one_reminder(staff):
    case = dispatched(staff)
    assert watch(AMBER - timedelta(seconds=1)) == {"urge": 0, "supervise": 0}
    assert watch(AMBER) == {"urge": 1, "supervise": 0}
    assert watch(AMBER + timedelta(minutes=5)) == {"urge": 0, "supervise": 0}
    [notice] = notices()
    assert (notice.kind, notice.case_id, notice.unit_id, notice.number) == (NoticeKind.URGE, case.id,
                                                                            staff["unit"].id, None)
    assert notice.due_at == DUE and notice.issued_by_id is None


def test_red_starts_after_the_due_time_with_one_numbered_supervision_notice(staff):
    case = dispatched(staff)
    assert watch(DUE) == {"urge": 1, "supervise": 0}  # at the due time itself it is not overdue yet
    assert watch(DUE + timedelta(seconds=1)) == {"urge": 0, "supervise": 1}
    assert watch(DUE + timedelta(hours=3)) == {"urge": 0, "supervise": 0}
    [notice] = notices(kind=NoticeKind.SUPERVISE)
    assert notice.number == "督〔2026〕0001号" and notice.case_id == case.id


def test_a_case_first_seen_overdue_gets_only_the_supervision_notice(staff):
    dispatched(staff)
    assert watch(DUE + timedelta(days=1)) == {"urge": 0, "supervise": 1}
    assert [n.kind for n in notices()] == [NoticeKind.SUPERVISE]


def test_postponed_handled_and_closed_cases_are_not_watched(staff):
    postponed = dispatched(staff)
    request = handling.request_extension(postponed, staff["handler"], "postpone", "等待雨停")
    handling.decide_extension(request, staff["dispatcher"], approve=True)
    handled = dispatched(staff)
    handling.accept_case(handled, staff["handler"])
    handling.handle_case(handled, staff["handler"], "已清运")
    db.session.commit()
    assert watch(DUE + timedelta(days=2)) == {"urge": 0, "supervise": 0}
    assert notices() == []


def test_an_approved_extension_moves_the_due_time_and_a_later_miss_earns_a_new_notice(staff):
    case = dispatched(staff)
    watch(DUE + timedelta(minutes=1))
    request = handling.request_extension(case, staff["handler"], "extend", "需要更换井盖", hours=4)
    handling.decide_extension(request, staff["dispatcher"], approve=True)
    db.session.commit()
    new_due = datetime(2026, 11, 24, 15, 0, tzinfo=SH)
    assert case.due_at == new_due
    assert watch(new_due)["supervise"] == 0
    assert watch(new_due + timedelta(seconds=1))["supervise"] == 1
    assert [(n.number, n.due_at) for n in notices(kind=NoticeKind.SUPERVISE)] == [
        ("督〔2026〕0001号", DUE), ("督〔2026〕0002号", new_due)]


def test_the_unit_is_told_once_per_notice_by_its_contact_phone(staff):
    case = dispatched(staff)
    watch(AMBER)
    watch(DUE + timedelta(seconds=1))
    watch(DUE + timedelta(hours=1))
    sent = db.session.execute(db.select(Delivery).where(Delivery.template.like("supervision_%"))
                              .order_by(Delivery.id)).scalars().all()
    assert [(d.template, d.recipient) for d in sent] == [("supervision_urge", UNIT_PHONE),
                                                         ("supervision_supervise", UNIT_PHONE)]
    assert case.number in sent[1].payload["text"] and "督〔2026〕0001号" in sent[1].payload["text"]


def test_numbers_run_per_local_year_without_gaps(staff):
    first = dispatched(staff, at=datetime(2026, 12, 30, 9, 0, tzinfo=SH))
    second = dispatched(staff, at=datetime(2026, 12, 30, 9, 0, tzinfo=SH))
    # 12-30 15:30 + 8 h: 2 h to 17:30, then 12-31 3.5 h to noon and 2.5 h from 13:30 -> due 2026-12-31 16:00
    # (元旦 2027 is not worked, so the last hours of 2026 are the place for a due time at the turn of the year)
    third = dispatched(staff, at=datetime(2026, 12, 30, 15, 30, tzinfo=SH))
    watch(datetime(2026, 12, 31, 15, 0, tzinfo=SH))
    # 2027-01-01 00:30 in Shanghai is still 2026 in UTC: the local year counts
    watch(datetime(2027, 1, 1, 0, 30, tzinfo=SH))
    numbers = {n.case_id: n.number for n in notices(kind=NoticeKind.SUPERVISE)}
    assert numbers == {first.id: "督〔2026〕0001号", second.id: "督〔2026〕0002号", third.id: "督〔2027〕0001号"}


def test_a_number_taken_by_another_writer_is_not_reused_or_skipped(staff, monkeypatch):
    first, second = dispatched(staff), dispatched(staff)
    supervision.issue_notice(first, NoticeKind.SUPERVISE, now=DUE + timedelta(hours=1))
    db.session.commit()
    real = supervision.next_notice_number
    stale = iter(["督〔2026〕0001号"])  # what a writer that read the count before the first commit would get
    monkeypatch.setattr(supervision, "next_notice_number", lambda now: next(stale, None) or real(now))
    notice = supervision.issue_notice(second, NoticeKind.SUPERVISE, now=DUE + timedelta(hours=1))
    db.session.commit()
    assert notice.number == "督〔2026〕0002号"


def test_concurrent_watches_issue_each_notice_once_with_consecutive_numbers(app, staff):
    cases = [dispatched(staff) for _ in range(5)]
    errors = []

    def run():
        try:
            with app.app_context():
                supervision.watch_time_limits(DUE + timedelta(hours=1))
                db.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    found = notices(kind=NoticeKind.SUPERVISE)
    assert sorted(n.case_id for n in found) == sorted(c.id for c in cases)
    assert sorted(n.number for n in found) == [f"督〔2026〕{i:04d}号" for i in range(1, 6)]


def test_the_public_tracking_page_never_shows_supervision(staff, client):
    case = dispatched(staff, reporter_phone="13800138000")
    watch(DUE + timedelta(hours=1))
    response = client.get(f"/track/{case.number}?code={case.query_code}", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and case.number in page
    assert "督〔2026〕" not in page and "督办" not in page and "Supervision" not in page
    # nor does the reporter get a message about it
    assert [d.recipient for d in db.session.execute(db.select(Delivery).where(
        Delivery.template.like("supervision_%"))).scalars()] == [UNIT_PHONE]


# ---------------------------------------------------------------- the ladder

def add_notices(staff, count, issued_at, unit=None):
    """``count`` 督办单 for the unit, issued at ``issued_at`` (one case, distinct due times)."""
    if "ladder_case" not in staff:
        staff["ladder_case"] = dispatched(staff)
    case = staff["ladder_case"]
    unit = unit or staff["unit"]
    made = []
    for _ in range(count):
        staff["seq"] = staff.get("seq", 0) + 1
        notice = SupervisionNotice(kind=NoticeKind.SUPERVISE, case_id=case.id, unit_id=unit.id,
                                   due_at=issued_at - timedelta(minutes=staff["seq"]), issued_at=issued_at,
                                   number=f"督〔2030〕{staff['seq']:04d}号")
        db.session.add(notice)
        made.append(notice)
    db.session.commit()
    return made


def strikes(unit):
    return db.session.execute(db.select(UnitStrike).where(UnitStrike.unit_id == unit.id)
                              .order_by(UnitStrike.cycle, UnitStrike.level)).scalars().all()


def ladder(now):
    made = escalation.advance_ladder(now)
    db.session.commit()
    return made


def test_three_notices_make_one_strike_and_the_same_notices_never_count_again(staff):
    day = datetime(2026, 11, 2, 10, 0, tzinfo=SH)
    add_notices(staff, 2, day)
    assert ladder(day + timedelta(hours=1)) == []
    made = add_notices(staff, 1, day + timedelta(days=1))
    [strike] = ladder(day + timedelta(days=1, hours=1))
    assert (strike.level, strike.cycle) == (1, 1)
    assert len(strike.notice_ids) == 3 and made[0].id in strike.notice_ids
    assert "3" in strike.reason and "督〔2030〕0003号" in strike.reason
    assert ladder(day + timedelta(days=2)) == [] and ladder(day + timedelta(days=3)) == []


def test_the_ladder_steps_one_two_three_and_stops_at_the_top(staff):
    day = datetime(2026, 11, 2, 10, 0, tzinfo=SH)
    for step in range(4):
        add_notices(staff, 3, day + timedelta(days=step))
        ladder(day + timedelta(days=step, hours=1))
        ladder(day + timedelta(days=step, hours=2))  # a second run changes nothing
    assert [(s.cycle, s.level) for s in strikes(staff["unit"])] == [(1, 1), (1, 2), (1, 3)]
    templates = [d.template for d in db.session.execute(db.select(Delivery).where(
        Delivery.template.like("unit_strike_%")).order_by(Delivery.id)).scalars()]
    assert templates == ["unit_strike_1", "unit_strike_2", "unit_strike_3"]


def test_only_notices_within_the_window_count(staff):
    start = datetime(2026, 10, 1, 10, 0, tzinfo=SH)
    add_notices(staff, 1, start)
    add_notices(staff, 1, start + timedelta(days=20))
    add_notices(staff, 1, start + timedelta(days=31))
    assert ladder(start + timedelta(days=31, hours=1)) == []  # the first one is older than 30 days
    get_city_settings().strike_window_days = 40
    db.session.commit()
    assert [s.level for s in ladder(start + timedelta(days=31, hours=2))] == [1]


def test_the_thresholds_are_city_settings(staff):
    settings = get_city_settings()
    settings.strike_notice_count = 2
    db.session.commit()
    day = datetime(2026, 11, 2, 10, 0, tzinfo=SH)
    add_notices(staff, 2, day)
    assert [s.level for s in ladder(day + timedelta(hours=1))] == [1]


def test_clearing_starts_a_new_cycle_and_old_notices_do_not_count(staff):
    day = datetime(2026, 11, 2, 10, 0, tzinfo=SH)
    add_notices(staff, 3, day)
    ladder(day + timedelta(hours=1))
    add_notices(staff, 2, day + timedelta(hours=2))
    with pytest.raises(supervision.SupervisionError):
        escalation.clear_strikes(staff["unit"], staff["dispatcher"], "  ")
    escalation.clear_strikes(staff["unit"], staff["dispatcher"], "整改到位，经复查同意", now=day + timedelta(hours=3))
    db.session.commit()
    add_notices(staff, 1, day + timedelta(hours=4))
    assert ladder(day + timedelta(hours=5)) == []  # the two before the clearing are gone with it
    add_notices(staff, 2, day + timedelta(hours=6))
    [strike] = ladder(day + timedelta(hours=7))
    assert (strike.cycle, strike.level) == (2, 1)
    first = strikes(staff["unit"])[0]
    assert first.cleared_note == "整改到位，经复查同意" and first.cleared_by_id == staff["dispatcher"].id
    with pytest.raises(supervision.SupervisionError):
        escalation.clear_strikes(make_unit("市园林局"), staff["dispatcher"], "无")


def test_only_the_units_handler_hands_in_the_self_criticism_at_strike_two(staff):
    day = datetime(2026, 11, 2, 10, 0, tzinfo=SH)
    for step in range(2):
        add_notices(staff, 3, day + timedelta(days=step))
        ladder(day + timedelta(days=step, hours=1))
    first, second = strikes(staff["unit"])
    other = make_user(Role.HANDLER, unit=make_unit("市园林局"))
    with pytest.raises(supervision.SupervisionError):
        escalation.submit_statement(second, other, "检查")
    with pytest.raises(supervision.SupervisionError):
        escalation.submit_statement(first, staff["handler"], "检查")
    with pytest.raises(supervision.SupervisionError):
        escalation.submit_statement(second, staff["handler"], "   ")
    escalation.submit_statement(second, staff["handler"], "我单位对超期问题深刻检讨")
    db.session.commit()
    assert escalation.latest_statement(second).text == "我单位对超期问题深刻检讨"


# ---------------------------------------------------------------- pages

def sign_in(client, user):
    response = client.post("/login", data={"username": user.username, "password": "password123"})
    assert response.status_code == 302
    return user


def test_the_notice_list_filters_and_a_handler_sees_only_their_unit(staff, client):
    case = dispatched(staff)
    other_unit = make_unit("市园林局")
    other = make_case(category=staff["category"], point=staff["point"])
    handling.file_case(other, staff["dispatcher"])
    handling.dispatch_case(other, other_unit, staff["dispatcher"], now=MONDAY_9)
    db.session.commit()
    watch(AMBER)
    watch(DUE + timedelta(hours=1))
    sign_in(client, staff["dispatcher"])
    page = client.get("/console/supervision/?lang=en").get_data(as_text=True)
    assert page.count("notice-supervise") == 2 and page.count("notice-urge") == 2
    page = client.get(f"/console/supervision/?lang=en&kind=supervise&unit={other_unit.id}").get_data(as_text=True)
    assert page.count("notice-supervise") == 1 and other.number in page and case.number not in page
    page = client.get("/console/supervision/?lang=en&issued_from=2026-11-24&issued_to=2026-11-24").get_data(True)
    assert page.count("notice-supervise") == 2 and "notice-urge" not in page
    page = client.get("/console/supervision/?lang=en&issued_from=not-a-date").get_data(as_text=True)
    assert "Not a valid date value" in page and page.count("notice-") >= 4

    client.post("/logout")
    sign_in(client, staff["handler"])
    page = client.get("/console/supervision/?lang=en").get_data(as_text=True)
    assert case.number in page and other.number not in page
    theirs = notices(case_id=other.id, kind=NoticeKind.SUPERVISE)[0]
    assert client.get(f"/console/supervision/notices/{theirs.id}/print").status_code == 404


def _add_notices_of_strangers(count, start):
    """``count`` 督办单, each about a case of its own category, to a unit of its own, issued by a user of its own:
    every relation a row of the list shows is a different record."""
    for n in range(start, start + count):
        unit = make_unit(f"单位{n}")
        case = make_case(category=make_category(f"小类{n}"), point=make_point(name=f"点位{n}"))
        db.session.add(SupervisionNotice(kind=NoticeKind.SUPERVISE, case_id=case.id, unit_id=unit.id,
                                         due_at=MONDAY_9, issued_at=MONDAY_9, number=f"督〔2026〕{n:04d}号",
                                         issued_by_id=make_user(Role.DISPATCHER).id))
    db.session.commit()


def test_the_notice_list_sends_as_many_statements_for_eight_notices_as_for_two(staff, client):
    """The list loads each notice's case, category, unit and issuer with the page, not one query per notice
    (without that, 2 → 8 notices took it from 13 to 37 statements)."""
    from tests.sqlcount import statements_for_two_and_eight_rows

    sign_in(client, staff["dispatcher"])
    few, many = statements_for_two_and_eight_rows(client, "/console/supervision/?lang=en", _add_notices_of_strangers,
                                                  lambda page: page.count("notice-supervise"))
    assert few == many, (few, many)


def test_the_printed_supervision_notice_names_number_unit_and_case(staff, client):
    case = dispatched(staff)
    watch(DUE + timedelta(hours=1))
    [notice] = notices()
    sign_in(client, staff["dispatcher"])
    page = client.get(f"/console/supervision/notices/{notice.id}/print").get_data(as_text=True)
    assert "督〔2026〕0001号" in page and "市环卫处" in page and case.number in page
    stylesheet = re.search(r'href="(/static/css/print-notice\.[0-9a-f]{12}\.css)"', page)[1]
    assert "@page { size: A4" in client.get(stylesheet).get_data(as_text=True)


def test_a_supervision_notice_issued_by_hand_once_per_due_time(staff, client):
    case = dispatched(staff)
    filed = make_case(category=staff["category"], point=staff["point"])
    sign_in(client, staff["dispatcher"])
    response = client.post("/console/supervision/issue?lang=en", data={"case": case.number, "note": "领导批示"})
    assert response.status_code == 302
    [notice] = notices()
    assert (notice.number, notice.issued_by_id, notice.note) == ("督〔2026〕0001号", staff["dispatcher"].id, "领导批示")
    again = client.post("/console/supervision/issue?lang=en", data={"case": case.number}).get_data(as_text=True)
    assert "already has a supervision notice" in again
    page = client.post("/console/supervision/issue?lang=en", data={"case": filed.number}).get_data(as_text=True)
    assert "Only a case that is with a unit" in page
    page = client.post("/console/supervision/issue?lang=en", data={"case": "20990101-9999"}).get_data(True)
    assert "No case has this number" in page
    assert len(notices()) == 1
    watch(DUE + timedelta(hours=1))  # the watch does not add a second one for the same due time
    assert len(notices(kind=NoticeKind.SUPERVISE)) == 1


def test_strikes_page_clears_with_a_reason_and_takes_the_self_criticism(staff, client):
    day = datetime(2026, 11, 2, 10, 0, tzinfo=SH)
    for step in range(2):
        add_notices(staff, 3, day + timedelta(days=step))
        ladder(day + timedelta(days=step, hours=1))
    second = strikes(staff["unit"])[1]
    sign_in(client, staff["handler"])
    page = client.get("/console/supervision/strikes?lang=en").get_data(as_text=True)
    assert "市环卫处" in page and "outstanding" in page and f"/strikes/{second.id}/statement" in page
    client.post(f"/console/supervision/strikes/{second.id}/statement", data={"text": "深刻检讨，立即整改"})
    assert db.session.execute(db.select(StrikeStatement.text)).scalars().all() == ["深刻检讨，立即整改"]
    client.post("/logout")

    sign_in(client, staff["dispatcher"])
    page = client.get("/console/supervision/strikes?lang=en").get_data(as_text=True)
    assert "深刻检讨，立即整改" in page and "Strike 2 (cycle 1)" in page
    response = client.post(f"/console/supervision/units/{staff['unit'].id}/clear?lang=en", data={"reason": ""},
                           follow_redirects=True)
    assert "Give a reason for clearing" in response.get_data(as_text=True)
    assert all(s.cleared_at is None for s in strikes(staff["unit"]))
    client.post(f"/console/supervision/units/{staff['unit'].id}/clear", data={"reason": "已约谈整改"})
    db.session.expire_all()
    assert all(s.cleared_note == "已约谈整改" for s in strikes(staff["unit"]))
    page = client.get(f"/console/supervision/strikes/{second.id}/print?lang=en").get_data(as_text=True)
    assert "Notice of exposure and self-criticism" in page and "深刻检讨，立即整改" in page


@pytest.mark.parametrize("lang, html_lang", [("zh_Hans", "zh-Hans"), ("zh_Hant", "zh-Hant"), ("en", "en")])
def test_supervision_pages_in_three_languages(staff, client, lang, html_lang):
    dispatched(staff)
    watch(DUE + timedelta(hours=1))
    add_notices(staff, 3, DUE + timedelta(hours=2))
    ladder(DUE + timedelta(hours=3))
    sign_in(client, make_user(Role.ADMIN))
    [notice] = notices(number="督〔2026〕0001号")
    strike = strikes(staff["unit"])[0]
    for url in ("/console/supervision/", "/console/supervision/strikes", "/console/supervision/issue",
                f"/console/supervision/notices/{notice.id}/print", f"/console/supervision/strikes/{strike.id}/print",
                "/console/scheduler/"):
        response = client.get(f"{url}?lang={lang}")
        assert response.status_code == 200, url
        assert f'lang="{html_lang}"' in response.get_data(as_text=True), url
