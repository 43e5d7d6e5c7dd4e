"""The day-before-closing reminder through the service (surveys/distribution.py): the quota-shortfall rule and
the text, and that the job wrapper leaves the commit to the scheduler's run_job."""
from datetime import timedelta

from flask_babel import force_locale

from portal.city import get_city_settings
from portal.clock import utcnow
from portal.extensions import db
from portal.notify_models import Delivery
from surveys import distribution, jobs
from tests.factories import make_area
from tests.surveys.factories import make_survey


def test_only_areas_with_a_quota_not_reached_are_short(app):
    areas = [make_area(name) for name in ("东城区", "西城区", "南城区", "北城区", "中心区")]
    survey = make_survey(areas=[(areas[0], 100, 1000), (areas[1], 2, 1000), (areas[2], None, 1000),
                                (areas[3], 5, 1000), (areas[4], 3, 1000)])
    survey.areas[0].received = 99  # one short
    survey.areas[1].received = 2  # reached
    survey.areas[2].received = 50  # no quota: never short
    survey.areas[3].received = 7  # over (a warn-only quota lets answers past it)
    survey.areas[4].received = 0  # nothing yet
    db.session.commit()

    assert [link.area.name for link in distribution.areas_short_of_quota(survey)] == ["东城区", "中心区"]


def test_the_reminder_text_counts_every_response_and_names_the_short_areas(app):
    short, full = make_area("东城区"), make_area("西城区")
    survey = make_survey(areas=[(short, 100, 1000), (full, 2, 1000)], title="2026年卫生状况满意度调查")
    survey.ends_at = utcnow() + timedelta(hours=10)
    survey.areas[0].received, survey.areas[1].received = 40, 2
    db.session.commit()

    with force_locale("en"):
        text = distribution.closing_reminder_text(survey, get_city_settings())
    assert "2026年卫生状况满意度调查" in text and "with 42 responses so far" in text
    assert "Areas short of their quota: 东城区." in text and "西城区" not in text


def test_the_job_leaves_the_commit_to_run_job(make_app):
    app = make_app(NOTIFY_ROBOT_URL="https://robot.invalid/hook")
    with app.app_context():
        survey = make_survey()
        survey.ends_at = utcnow() + timedelta(hours=2)
        db.session.commit()
        assert jobs.remind_surveys_closing() == 1
        db.session.rollback()
        assert db.session.execute(db.select(Delivery)).first() is None
        assert jobs.remind_surveys_closing() == 1  # nothing was kept, so it is owed again
