"""Quality flags: speeders against the median time, bursts from one device or network; flagged responses are
excluded only by a recorded decision."""
from datetime import timedelta

from portal.clock import utcnow
from portal.extensions import db
from surveys.answering import submit_response
from surveys.models import Source
from surveys.response_models import SurveyExclusion, SurveyResponse
from surveys.results.aggregates import survey_results
from surveys.results.quality import exclude_flagged, flag_responses, median_duration
from tests.surveys.factories import key, make_survey


def respond(survey, seconds=None, device=None, network=None, at=None, level="1"):
    now = at or utcnow()
    started = now - timedelta(seconds=seconds) if seconds is not None else None
    response, _ = submit_response(survey, {"overall": [level]}, idempotency_key=key(), started_at=started,
                                  device_key=device, network=network, now=now)
    return response


def flagged(column):
    return db.session.execute(db.select(SurveyResponse.id).where(column.is_(True))).scalars().all()


def test_speeders_are_flagged_against_the_median_time(app):
    survey = make_survey()
    slow = [respond(survey, seconds=90 + n) for n in range(10)]
    fast = [respond(survey, seconds=20), respond(survey, seconds=5)]
    db.session.commit()
    assert median_duration(survey) == (93.5, 12)  # 5, 20, 90 … 99: the 6th and 7th are 93 and 94
    found = flag_responses(survey)
    db.session.commit()
    assert found["speeders"] == 2 and sorted(flagged(SurveyResponse.is_speeder)) == sorted(r.id for r in fast)
    assert slow[0].id not in flagged(SurveyResponse.is_speeder)


def test_no_speeder_check_on_a_handful_of_responses(app):
    survey = make_survey()
    for seconds in (100, 100, 2):
        respond(survey, seconds=seconds)
    assert flag_responses(survey)["speeders"] == 0


def test_several_responses_from_one_device_within_minutes_are_a_burst(app):
    survey = make_survey()
    now = utcnow()
    burst = [respond(survey, device="dev-1", at=now + timedelta(minutes=n)) for n in range(3)]
    spread = [respond(survey, device="dev-2", at=now + timedelta(hours=n)) for n in range(3)]
    network = [respond(survey, network="net-1", at=now + timedelta(seconds=n)) for n in range(5)]
    db.session.commit()
    assert flag_responses(survey)["bursts"] == 3
    assert sorted(flagged(SurveyResponse.is_burst)) == sorted(r.id for r in burst)
    assert not set(flagged(SurveyResponse.is_burst)) & {r.id for r in spread + network}


def test_excluding_every_flagged_response_is_recorded_and_counted(app):
    survey = make_survey()
    now = utcnow()
    for n in range(3):
        respond(survey, device="dev-1", at=now + timedelta(minutes=n), level="3")
    respond(survey, device="dev-2", level="1")
    flag_responses(survey)
    assert exclude_flagged(survey, "burst", "同一设备十分钟内提交三次", actor=None) == 3
    db.session.commit()
    results = survey_results(survey)
    assert (results.headline[Source.SELF_SELECTED].x, results.headline[Source.SELF_SELECTED].n) == (1, 1)
    assert results.counts[Source.SELF_SELECTED]["excluded"] == 3
    reasons = db.session.execute(db.select(SurveyExclusion.reason)).scalars().all()
    assert reasons == ["同一设备十分钟内提交三次"] * 3


def test_the_nightly_job_flags_open_surveys(app):
    from surveys.jobs import check_quality_of_open_surveys

    survey = make_survey()
    now = utcnow()
    for n in range(3):
        respond(survey, device="dev-1", at=now + timedelta(minutes=n))
    db.session.commit()
    assert check_quality_of_open_surveys()[survey.id]["bursts"] == 3
    assert check_quality_of_open_surveys()[survey.id]["bursts"] == 3  # idempotent
