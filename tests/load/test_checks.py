"""The load test's database checks find what they are there to find: a lost acknowledged report, a duplicate, a
response without answers, tallies out of step, a counter out of step, a case without its intake event."""
import pytest

from complaints.models import Case, CaseEvent, EventKind
from portal.extensions import db
from surveys.answering import submit_response
from surveys.response_models import SurveyAnswer
from tests.factories import make_case, make_category, make_point
from tests.load.checks import Acknowledged, check_database
from tests.load.client import percentile
from tests.surveys.factories import make_survey, satisfaction

SOUND = {"lost": 0, "duplicated": 0, "cases_without_event": 0, "responses_without_answers": 0,
         "tally_mismatches": 0, "counter_mismatches": 0}


@pytest.fixture
def city(app):
    """Two reported cases and two survey responses (levels 1 and 2), all acknowledged to their clients."""
    category, point = make_category(), make_point()
    cases = [make_case(category=category, point=point, idempotency_key=f"report-key-{n}") for n in range(2)]
    survey = make_survey(questions=[satisfaction()])
    responses = []
    for level in (1, 2):
        response, _created = submit_response(survey, {"overall": [str(level)]}, idempotency_key=f"answer-{level}")
        responses.append(response)
    db.session.commit()
    acknowledged = Acknowledged()
    for case in cases:
        acknowledged.add_report(case.idempotency_key, case.number)
    for response in responses:
        acknowledged.add_response(response.idempotency_key, response.id)
    return cases, responses, acknowledged


def test_a_sound_database_passes_every_check(city):
    _cases, _responses, acknowledged = city
    assert check_database(acknowledged) == SOUND


def test_an_acknowledged_report_that_was_not_stored_is_lost(city):
    _cases, _responses, acknowledged = city
    acknowledged.add_report("never-stored-key", "20261206-9999")
    acknowledged.add_response("never-stored-answer", 987654)
    assert check_database(acknowledged) == dict(SOUND, lost=2)


def test_two_receipts_for_one_key_are_a_duplicate(city):
    cases, responses, acknowledged = city
    acknowledged.add_report(cases[0].idempotency_key, cases[1].number)  # a retry answered with another case
    acknowledged.add_response(responses[0].idempotency_key, responses[1].id)
    assert check_database(acknowledged) == dict(SOUND, duplicated=2)


def test_a_response_without_answers_and_its_stale_tally_are_found(city):
    _cases, responses, acknowledged = city
    db.session.execute(db.delete(SurveyAnswer).where(SurveyAnswer.response_id == responses[1].id))
    db.session.commit()
    # the tally of level 2 still says 1 while no answer of level 2 is left: one tally key out of step
    assert check_database(acknowledged) == dict(SOUND, responses_without_answers=1, tally_mismatches=1)


def test_a_counter_out_of_step_with_its_rows_is_found(city):
    cases, _responses, acknowledged = city
    db.session.execute(db.update(Case).where(Case.id == cases[0].id).values(me_too_count=3))
    db.session.execute(db.update(Case).where(Case.id == cases[1].id).values(reopen_count=1))
    db.session.commit()
    assert check_database(acknowledged) == dict(SOUND, counter_mismatches=2)


def test_a_case_without_its_intake_event_is_found(city):
    cases, _responses, acknowledged = city
    db.session.execute(db.delete(CaseEvent).where(CaseEvent.case_id == cases[0].id,
                                                  CaseEvent.kind == EventKind.RECEIVE))
    db.session.commit()
    assert check_database(acknowledged) == dict(SOUND, cases_without_event=1)


def test_percentile_is_an_observed_value_by_nearest_rank():
    values = list(range(1, 101))  # 1..100 ms
    assert percentile(values, 0.99) == 99
    assert percentile(values, 0.5) == 50
    assert percentile([7], 0.99) == 7
    assert percentile([], 0.99) == 0
