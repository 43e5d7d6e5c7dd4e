"""The scheduler's entry points for cases, called directly and twice: nothing is ever issued twice."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from complaints import handling, jobs, services
from complaints.supervision.models import SupervisionNotice, UnitStrike
from portal.auth.models import Role
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.notify_models import Delivery
from tests.factories import make_case, make_category, make_point, make_unit, make_user

SH = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
REPORTER = "13800138000"


@pytest.fixture
def staff(app):
    unit = make_unit("市环卫处", contact_phone="13700137000")
    return {"dispatcher": make_user(Role.DISPATCHER), "handler": make_user(Role.HANDLER, unit=unit), "unit": unit,
            "category": make_category("暴露垃圾", limit_hours=8), "point": make_point()}


def dispatched(staff, **kw):
    case = make_case(category=staff["category"], point=staff["point"], **kw)
    handling.file_case(case, staff["dispatcher"])
    handling.dispatch_case(case, staff["unit"], staff["dispatcher"], now=MONDAY_9)
    db.session.commit()
    return case


def count(model, *where):
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where))


def test_the_watch_and_the_ladder_twice_issue_nothing_twice(staff):
    for _ in range(3):
        dispatched(staff)
    later = MONDAY_9 + timedelta(days=2)
    assert jobs.watch_time_limits(later) == {"urge": 0, "supervise": 3}
    assert jobs.watch_time_limits(later) == {"urge": 0, "supervise": 0}
    assert jobs.advance_escalation_ladder(later) == {"strikes": 1}
    assert jobs.advance_escalation_ladder(later) == {"strikes": 0}
    assert count(SupervisionNotice) == 3 and count(UnitStrike) == 1
    unit_messages = count(Delivery, Delivery.recipient == "13700137000")
    jobs.watch_time_limits(later + timedelta(minutes=5))
    jobs.advance_escalation_ladder(later + timedelta(minutes=5))
    assert count(Delivery, Delivery.recipient == "13700137000") == unit_messages == 4  # 3 notices + 1 strike


def closed(staff, closed_at, **kw):
    case = dispatched(staff, **kw)
    handling.accept_case(case, staff["handler"])
    handling.handle_case(case, staff["handler"], "已清运")
    handling.verify_case(case, staff["dispatcher"], True, "已清理干净")
    case.closed_at = closed_at
    db.session.commit()
    return case


def reminders():
    return db.session.execute(db.select(Delivery).where(Delivery.template == "case_rating_reminder")
                              .order_by(Delivery.id)).scalars().all()


def test_one_rating_reminder_after_the_configured_days_to_reporters_with_a_phone(staff):
    now = utcnow()
    due = closed(staff, now - timedelta(days=3, minutes=1), reporter_phone=REPORTER)
    closed(staff, now - timedelta(days=2), reporter_phone="13900139000")  # not yet
    closed(staff, now - timedelta(days=5))  # no phone
    closed(staff, now - timedelta(days=60), reporter_phone="13600136000")  # long past asking
    rated = closed(staff, now - timedelta(days=5), reporter_phone="13500135000")
    services.rate_case(rated, 1)
    db.session.commit()
    assert jobs.send_rating_reminders(now) == {"reminders": 1}
    assert jobs.send_rating_reminders(now) == {"reminders": 0}
    [reminder] = reminders()
    assert reminder.recipient == REPORTER and reminder.case_id == due.id
    assert due.number in reminder.payload["text"] and due.query_code not in reminder.payload["text"]
    assert jobs.send_rating_reminders(now + timedelta(days=1)) == {"reminders": 1}  # the second one's turn
    assert len(reminders()) == 2


def test_the_reminder_delay_is_a_city_setting(staff):
    get_city_settings().rating_reminder_days = 7
    db.session.commit()
    now = utcnow()
    closed(staff, now - timedelta(days=5), reporter_phone=REPORTER)
    assert jobs.send_rating_reminders(now) == {"reminders": 0}
    assert jobs.send_rating_reminders(now + timedelta(days=2, minutes=1)) == {"reminders": 1}


def test_the_demo_gets_amber_and_red_notices(staff):
    dispatched(staff)
    counts = jobs.seed_demo_supervision(MONDAY_9 + timedelta(days=2))
    assert counts["supervise"] == 1 and count(SupervisionNotice) == 1
