"""事事有反馈: which case steps tell the reporter, the "me too"s and the unit's group robot, and what they say."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask_babel.speaklater import LazyString

from complaints import handling, notifications, reopening, services
from complaints.models import CaseEvent, CaseState, EventKind
from portal.auth.models import Role
from portal.city import get_city_settings
from portal.extensions import db
from portal.notify_models import Delivery
from tests.complaints.test_lifecycle import walk_to
from tests.factories import make_case, make_point, make_unit, make_user

SH = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
REPORTER, NEIGHBOUR = "13800138000", "13900139000"
ROBOT_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test-key"


@pytest.fixture
def staff(app):
    unit = make_unit("市环卫处")
    return {"dispatcher": make_user(Role.DISPATCHER), "handler": make_user(Role.HANDLER, unit=unit), "unit": unit}


def deliveries(**filters):
    query = db.select(Delivery).filter_by(**filters).order_by(Delivery.id)
    return db.session.execute(query).scalars().all()


def reported_with_a_neighbour():
    case = make_case(reporter_phone=REPORTER, reporter_name="张三", point=make_point(name="人民公园公厕"))
    services.add_me_too(case, phone=NEIGHBOUR)
    db.session.commit()
    return case


def test_every_public_step_of_the_main_line_tells_the_reporter_and_each_me_too(staff):
    case = walk_to(reported_with_a_neighbour(), CaseState.CLOSED, staff)
    sent = [(d.template, d.recipient) for d in deliveries()]
    assert sent == [(f"case_{kind}", phone) for kind in ("file", "dispatch", "handle", "close")
                    for phone in (REPORTER, NEIGHBOUR)]
    assert {d.status for d in deliveries()} == {"pending"} and {d.channel for d in deliveries()} == {"log"}
    assert all(d.case_id == case.id for d in deliveries())


def test_messages_carry_the_case_number_and_tracking_url_but_never_the_query_code(staff):
    case = walk_to(reported_with_a_neighbour(), CaseState.CLOSED, staff)
    for delivery in deliveries():
        text = delivery.payload["text"]
        assert case.number in text and f"http://minsheng.test/track/{case.number}" in text
        assert case.query_code not in text and REPORTER not in text
    dispatch = deliveries(template="case_dispatch")[0].payload
    assert dispatch["params"]["unit"] == "市环卫处" and dispatch["params"]["due"].startswith("2026-11-")
    assert "现场核查已清理干净" in deliveries(template="case_close")[0].payload["text"]


def test_texts_use_the_city_language_not_the_language_of_the_staff_member(app, staff):
    settings = get_city_settings()
    settings.default_locale = "zh_Hant"
    db.session.commit()
    case = reported_with_a_neighbour()
    with app.test_request_context("/console/?lang=en"):  # the dispatcher reads the console in English
        handling.file_case(case, staff["dispatcher"])
        db.session.commit()
    text = deliveries()[0].payload["text"]
    assert "示範市" in text and "示范市" not in text  # the city name in 繁體, as the city speaks


def test_an_anonymous_reporter_gets_nothing(staff):
    case = make_case(anonymous=True, reporter_phone=REPORTER)
    walk_to(case, CaseState.CLOSED, staff)
    assert deliveries() == []


def test_internal_steps_and_notes_tell_nobody(staff):
    case = walk_to(reported_with_a_neighbour(), CaseState.IN_PROGRESS, staff)
    before = len(deliveries())
    handling.add_note(case, staff["handler"], "内部备注：明早处理")
    handling.request_extension(case, staff["handler"], "extend", "需要调车", hours=8)
    handling.return_case(case, staff["handler"], "不属于本单位")
    db.session.commit()
    assert len(deliveries()) == before


def test_a_rolled_back_step_queues_nothing(staff):
    case = reported_with_a_neighbour()
    handling.file_case(case, staff["dispatcher"])
    db.session.rollback()
    db.session.commit()
    assert deliveries() == []
    assert db.session.get(type(case), case.id).state == CaseState.RECEIVED


def test_a_step_in_a_rolled_back_savepoint_queues_nothing(staff):
    case = reported_with_a_neighbour()
    savepoint = db.session.begin_nested()
    handling.file_case(case, staff["dispatcher"])
    savepoint.rollback()
    db.session.commit()
    assert deliveries() == []


def test_queueing_the_same_event_again_adds_nothing(staff):
    case = walk_to(reported_with_a_neighbour(), CaseState.FILED, staff)
    event = db.session.execute(db.select(CaseEvent).filter_by(case_id=case.id, kind=EventKind.FILE)).scalar_one()
    assert notifications.queue_for_event(event) == []
    db.session.commit()
    assert len(deliveries()) == 2


def test_a_rejection_gives_the_reason(staff):
    case = reported_with_a_neighbour()
    handling.reject_case(case, staff["dispatcher"], "不属于本平台受理范围，请拨打110")
    db.session.commit()
    assert [d.recipient for d in deliveries(template="case_reject")] == [REPORTER, NEIGHBOUR]
    assert "不属于本平台受理范围，请拨打110" in deliveries()[0].payload["text"]


def test_a_merged_report_tells_its_reporter_which_case_to_follow(staff):
    target = make_case(reporter_phone=REPORTER)
    duplicate = make_case(reporter_phone=NEIGHBOUR, point=target.point, category=target.category)
    handling.merge_cases(duplicate, target, staff["dispatcher"])
    db.session.commit()
    [merged] = deliveries(template="case_merge")
    assert merged.recipient == NEIGHBOUR and merged.case_id == duplicate.id
    assert target.number in merged.payload["text"] and duplicate.number in merged.payload["text"]


def test_reopening_and_a_rebound_are_announced(staff):
    case = walk_to(make_case(reporter_phone=REPORTER), CaseState.CLOSED, staff)
    reopening.reopen_case(case, staff["dispatcher"], "群众不满意，重新派遣")
    db.session.commit()
    walk_to(case, CaseState.CLOSED, staff)
    reopening.mark_rebound(case, staff["dispatcher"], "三天后垃圾又堆积")
    db.session.commit()
    templates = [d.template for d in deliveries()]
    assert templates.count("case_reopen") == 1 and templates.count("case_rebound") == 1
    assert templates.count("case_close") == 2 and templates.count("case_dispatch") == 2


def test_a_dispatch_posts_to_the_group_robot_when_one_is_configured(make_app):
    app = make_app(NOTIFY_ROBOT_URL=ROBOT_URL)
    with app.app_context():
        unit = make_unit("市环卫处")
        dispatcher = make_user(Role.DISPATCHER)
        case = make_case(reporter_phone=REPORTER, point=make_point(name="人民公园公厕"))
        handling.file_case(case, dispatcher)
        handling.dispatch_case(case, unit, dispatcher, now=MONDAY_9)
        db.session.commit()
        [robot] = deliveries(channel="robot")
        text = robot.payload["text"]
        assert robot.template == "unit_dispatch" and robot.recipient == "robot"
        for part in (case.number, "市环卫处", case.category.name, "人民公园公厕", "2026-11-"):
            assert part in text
        assert case.query_code not in text and REPORTER not in text
        assert [d.template for d in deliveries(channel="log")] == ["case_file", "case_dispatch"]


def test_without_a_robot_url_no_robot_message_is_queued(staff):
    walk_to(make_case(reporter_phone=REPORTER), CaseState.DISPATCHED, staff)
    assert deliveries(channel="robot") == []


def test_a_broken_translation_falls_back_to_the_source_text(staff, monkeypatch):
    source = "[%(city)s] Case %(number)s: %(url)s"
    mistyped = LazyString(lambda msgid: "%(numbr)s " + msgid, source)  # a translator's typo in a placeholder
    monkeypatch.setitem(notifications.TEXTS, EventKind.FILE, mistyped)
    case = walk_to(make_case(reporter_phone=REPORTER), CaseState.FILED, staff)
    assert deliveries()[0].payload["text"] == f"[示范市] Case {case.number}: http://minsheng.test/track/{case.number}"


def test_a_step_committed_without_a_flush_is_queued_in_its_own_transaction(staff):
    case = reported_with_a_neighbour()
    case.transition(EventKind.FILE, staff["dispatcher"])  # no flush before the commit
    db.session.commit()
    assert [d.template for d in deliveries()] == ["case_file", "case_file"]


def test_the_reporter_of_a_merged_duplicate_follows_the_case_it_was_merged_into(staff):
    target = make_case(reporter_phone=REPORTER)
    duplicate = make_case(reporter_phone="13700137000", point=target.point, category=target.category)
    services.add_me_too(duplicate, phone="13600136000")
    same_phone = make_case(reporter_phone=REPORTER, point=target.point, category=target.category)
    anonymous = make_case(reporter_phone=None, anonymous=True, point=target.point, category=target.category)
    db.session.commit()
    for case in (duplicate, same_phone, anonymous):
        handling.merge_cases(case, target, staff["dispatcher"])
        db.session.commit()
    walk_to(target, CaseState.DISPATCHED, staff)
    for template in ("case_file", "case_dispatch"):
        assert sorted(d.recipient for d in deliveries(template=template, case_id=target.id)) == sorted(
            [REPORTER, "13700137000", "13600136000"]), template  # each phone once


def test_followers_of_a_duplicate_merged_twice_still_hear_of_the_final_case(staff):
    final = make_case(reporter_phone=REPORTER)
    middle = make_case(reporter_phone="13700137000", point=final.point, category=final.category)
    first = make_case(reporter_phone="13600136000", point=final.point, category=final.category)
    handling.merge_cases(first, middle, staff["dispatcher"])
    handling.merge_cases(middle, final, staff["dispatcher"])
    db.session.commit()
    walk_to(final, CaseState.FILED, staff)
    assert sorted(d.recipient for d in deliveries(template="case_file", case_id=final.id)) == sorted(
        [REPORTER, "13700137000", "13600136000"])
