"""The scheduler's entry points for surveys, called directly and twice."""
from datetime import timedelta

from portal.clock import utcnow
from portal.extensions import db
from portal.notify_models import Delivery
from surveys import jobs
from surveys.models import SurveyState
from tests.factories import make_area
from tests.surveys.factories import make_survey


def test_ended_surveys_are_closed_once(app):
    survey = make_survey()
    survey.state = SurveyState.OPEN
    survey.ends_at = utcnow() - timedelta(minutes=1)
    running = make_survey()
    running.state = SurveyState.OPEN
    running.ends_at = utcnow() + timedelta(days=1)
    db.session.commit()
    assert jobs.close_ended_surveys() == 1
    assert jobs.close_ended_surveys() == 0
    assert (survey.state, running.state) == (SurveyState.CLOSED, SurveyState.OPEN)


def test_the_nightly_quality_check_runs_twice_with_the_same_result(app):
    survey = make_survey()
    survey.state = SurveyState.OPEN
    db.session.commit()
    first = jobs.check_quality_of_open_surveys(now=utcnow())
    assert first.keys() == {survey.id} and jobs.check_quality_of_open_surveys(now=utcnow()) == first


def test_a_survey_closing_within_a_day_is_announced_to_the_staff_robot_once(make_app):
    app = make_app(NOTIFY_ROBOT_URL="https://robot.invalid/hook")
    with app.app_context():
        short, full = make_area("东城区"), make_area("西城区")
        survey = make_survey(areas=[(short, 100, 1000), (full, 2, 1000)], title="2026年卫生状况满意度调查")
        survey.ends_at = utcnow() + timedelta(hours=10)
        survey.areas[1].received = 2
        later = make_survey(title="明年的调查")
        later.ends_at = utcnow() + timedelta(days=3)
        db.session.commit()
        assert jobs.remind_surveys_closing() == 1
        assert jobs.remind_surveys_closing() == 0  # once per survey and end time
        (delivery,) = db.session.execute(db.select(Delivery)).scalars().all()
        text = delivery.payload["text"]
        assert delivery.channel == "robot" and "2026年卫生状况满意度调查" in text
        assert "东城区" in text and "西城区" not in text  # only the area still short of its quota
        survey.ends_at += timedelta(hours=5)  # a moved end time earns a new reminder
        db.session.commit()
        assert jobs.remind_surveys_closing() == 1


def test_no_survey_reminder_without_a_group_robot(app):
    survey = make_survey()
    survey.ends_at = utcnow() + timedelta(hours=2)
    db.session.commit()
    assert jobs.remind_surveys_closing() == 0
    assert db.session.execute(db.select(Delivery)).first() is None
