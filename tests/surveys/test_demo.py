"""The demo survey: answered by two methods through the real services, so both figures show side by side."""
from datetime import timedelta

from portal.clock import utcnow
from portal.extensions import db
from portal.registry.models import AreaLevel
from portal.scorecards.figures import city_figures
from portal.scorecards.periods import Period, local_today
from surveys.demo import CARDS, OPEN_ANSWERS, seed_survey_demo
from tests.factories import make_area


def test_the_demo_survey_has_sampled_and_self_selected_answers_side_by_side(app):
    east = make_area("东城区")
    make_area("西城区")
    make_area("东华街道", level=AreaLevel.STREET, parent=east)
    now = utcnow()
    survey = seed_survey_demo(now)
    db.session.commit()
    assert survey is not None and seed_survey_demo(now) is None  # once only
    today = local_today(now, "Asia/Shanghai")
    # the answers span the last 20 days: a range of 25 days up to today counts every one
    figures = city_figures(Period.custom(today - timedelta(days=25), today), tz="Asia/Shanghai", now=now)
    assert figures.survey["sampled"]["n"] == CARDS == 40  # the token cards
    assert figures.survey["self"]["n"] == OPEN_ANSWERS == 150  # the open link on devices
    assert figures.survey["sampled"]["method"] == figures.survey["self"]["method"] == "door"
