"""回访 reminders through the service (complaints/followups.py): who is owed one, what it says, and that the job
wrapper leaves the commit to the scheduler's run_job."""
from datetime import timedelta

import pytest

from complaints import followups, handling, jobs, services
from portal.auth.models import Role
from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.notify_models import Delivery
from portal.scheduler import jobs as scheduler_jobs
from tests.factories import make_case, make_category, make_point, make_unit, make_user

REPORTER = "13800138000"


@pytest.fixture
def staff(app):
    unit = make_unit("市环卫处")
    return {"dispatcher": make_user(Role.DISPATCHER), "handler": make_user(Role.HANDLER, unit=unit), "unit": unit,
            "category": make_category("暴露垃圾", limit_hours=8), "point": make_point()}


def closed(staff, days_ago, **kw):
    case = make_case(category=staff["category"], point=staff["point"], **kw)
    handling.file_case(case, staff["dispatcher"])
    handling.dispatch_case(case, staff["unit"], staff["dispatcher"])
    handling.accept_case(case, staff["handler"])
    handling.handle_case(case, staff["handler"], "已清运")
    handling.verify_case(case, staff["dispatcher"], True, "已清理干净")
    case.closed_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return case


def deliveries():
    return db.session.scalars(db.select(Delivery).where(Delivery.template == "case_rating_reminder")).all()


def test_only_named_reporters_with_a_phone_whose_case_waits_long_enough_are_owed_a_reminder(staff):
    # city default: 3 days after closing, and not after 30 days more
    owed = closed(staff, 4, reporter_phone=REPORTER)
    closed(staff, 4, reporter_phone=REPORTER, anonymous=True)  # anonymous: never called back
    closed(staff, 4, reporter_phone="")  # no phone
    closed(staff, 1, reporter_phone="13900139000")  # too early
    closed(staff, 40, reporter_phone="13600136000")  # past asking
    rated = closed(staff, 4, reporter_phone="13500135000")
    services.rate_case(rated, 1)
    db.session.commit()

    assert [case.id for case in followups.cases_to_remind(utcnow())] == [owed.id]


def test_the_reminder_names_the_case_and_links_to_it_but_never_carries_the_query_code(staff):
    case = closed(staff, 4, reporter_phone=REPORTER)
    settings = get_city_settings()
    text, params = followups.rating_reminder(case, settings, "en")
    assert case.number in text and f"/track/{case.number}" in text
    assert case.query_code not in text and REPORTER not in text
    assert "How satisfied are you" in text  # in the language asked for
    assert params["number"] == case.number


def test_the_job_leaves_the_commit_to_run_job(staff):
    closed(staff, 4, reporter_phone=REPORTER)
    assert jobs.send_rating_reminders(utcnow()) == {"reminders": 1}
    db.session.rollback()  # what run_job does when a job fails: nothing of it stays
    assert deliveries() == []

    [spec] = [spec for spec in scheduler_jobs.job_specs() if spec.name == "rating_reminders"]
    run = scheduler_jobs.run_job(spec, "Asia/Shanghai", holder="test")
    assert run.outcome == "success" and run.result
    db.session.rollback()  # run_job committed: the reminder stays
    [delivery] = deliveries()
    assert delivery.recipient == REPORTER
