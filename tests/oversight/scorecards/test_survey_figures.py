"""Survey 满意率 and quiz 知晓率 on the area scorecards: sub-areas included, n and interval, sampled never pooled
with self-selected, rehearsals and excluded responses left out."""
from datetime import date

import pytest

from oversight.scorecards.figures import compute
from oversight.scorecards.periods import Period
from portal.extensions import db
from portal.registry.models import AreaLevel
from surveys.models import SurveyKind, SurveyMethod
from surveys.rates import wilson
from surveys.response_models import Source, SurveyResponse
from tests.factories import make_area
from tests.oversight.scorecards.helpers import local
from tests.surveys.factories import make_survey, single

NOVEMBER = Period.containing("month", date(2026, 11, 1))
NOW = local(2026, 12, 5)
_n = iter(range(1, 10_000))


def answer(survey, area, source, day="2026-11-10", level=None, passed=None, excluded=False, count=1):
    for _i in range(count):
        db.session.add(SurveyResponse(survey_id=survey.id, source=source, idempotency_key=f"sc-{next(_n)}",
                                      area_id=area.id, day=day, headline_level=level, passed=passed,
                                      excluded=excluded, submitted_at=local(2026, 11, 10)))
    db.session.commit()


@pytest.fixture
def areas(app):
    district = make_area("东城区")
    north = make_area("北街道", level=AreaLevel.STREET, parent=district)
    south = make_area("南街道", level=AreaLevel.STREET, parent=district)
    return district, north, south


def by_key(figures):
    return {f.key: f for f in figures}


def test_the_sampled_rate_is_reported_with_n_and_interval_and_sub_areas_count(areas):
    district, north, south = areas
    door = make_survey(method=SurveyMethod.DOOR_TO_DOOR.value, satisfied_levels=[1, 2])
    answer(door, north, Source.SAMPLED, level=1, count=7)
    answer(door, south, Source.SAMPLED, level=2, count=1)
    answer(door, south, Source.SAMPLED, level=3, count=2)
    # self-selected answers of the same area are not pooled with the sampled ones
    answer(door, north, Source.SELF_SELECTED, level=3, count=30)
    # excluded responses and answers outside the period do not count
    answer(door, north, Source.SAMPLED, level=3, count=5, excluded=True)
    answer(door, north, Source.SAMPLED, level=3, count=5, day="2026-12-01")
    figures = by_key(compute(NOVEMBER, "area", tz="Asia/Shanghai", now=NOW))
    survey = figures[district.id].survey
    low, high = wilson(8, 10)
    assert survey["sampled"] == {"rate": 0.8, "low": pytest.approx(low), "high": pytest.approx(high), "n": 10,
                                 "x": 8, "source": "sampled", "method": "door", "guarantee": "open"}
    assert (survey["self"]["x"], survey["self"]["n"]) == (0, 30)  # beside it, never pooled
    assert figures[south.id].survey["sampled"]["rate"] == pytest.approx(1 / 3)


def test_without_sampled_answers_the_self_selected_rate_is_reported_as_such(areas):
    district, north, _south = areas
    poster = make_survey(method=SurveyMethod.QR_OPEN.value, satisfied_levels=[1, 2])
    answer(poster, north, Source.SELF_SELECTED, level=1, count=3)
    answer(poster, north, Source.SELF_SELECTED, level=3, count=1)
    survey = by_key(compute(NOVEMBER, "area", tz="Asia/Shanghai", now=NOW))[district.id].survey
    assert list(survey) == ["self"]
    assert (survey["self"]["x"], survey["self"]["n"], survey["self"]["source"], survey["self"]["method"]) == (
        3, 4, "self", "qr_open")


def test_rehearsals_are_never_reported(areas):
    district, north, _south = areas
    rehearsal = make_survey(method=SurveyMethod.REHEARSAL.value, satisfied_levels=[1, 2])
    answer(rehearsal, north, Source.SAMPLED, level=1, count=10)
    assert by_key(compute(NOVEMBER, "area", tz="Asia/Shanghai", now=NOW))[district.id].survey is None


def test_the_quiz_pass_rate_is_the_awareness_rate_of_the_city(areas):
    _district, north, south = areas
    quiz = make_survey([single(key="q1", correct="a", points=1)], kind=SurveyKind.QUIZ.value,
                       method=SurveyMethod.PHONE.value, pass_percent=60, satisfied_levels=[1, 2])
    answer(quiz, north, Source.SAMPLED, passed=True, count=9)
    answer(quiz, south, Source.SAMPLED, passed=False, count=1)
    (city,) = compute(NOVEMBER, "city", tz="Asia/Shanghai", now=NOW)
    sampled = city.awareness["sampled"]
    assert (sampled["x"], sampled["n"], sampled["method"], sampled["headline"]) == (9, 10, "phone", "passed")
    assert city.survey is None
    assert compute(NOVEMBER, "unit", tz="Asia/Shanghai", now=NOW) == [] or all(
        f.survey is None for f in compute(NOVEMBER, "unit", tz="Asia/Shanghai", now=NOW))
