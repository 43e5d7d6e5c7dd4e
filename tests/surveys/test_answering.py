"""Taking responses: checks with every problem at once, display conditions, idempotency, tokens, once per
device and per phone, quotas, quizzes. A refused response stores nothing."""
from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.extensions import db
from surveys.answering import submit_response
from surveys.definition import SurveyError
from surveys.distribution import generate_tokens
from surveys.guards import send_phone_code, verify_phone_code
from surveys.models import QuotaAction, Source
from surveys.response_models import SurveyAnswer, SurveyPhoneCode, SurveyResponse, SurveyTally, SurveyToken
from surveys.services import close_survey
from tests.factories import make_area
from tests.surveys.factories import key, make_survey, matrix, multiple, satisfaction, single, text


def stored():
    return (db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse)),
            db.session.scalar(db.select(db.func.count()).select_from(SurveyAnswer)),
            db.session.scalar(db.select(db.func.coalesce(db.func.sum(SurveyTally.count), 0))))


def refused(survey, answers, **kw):
    with pytest.raises(SurveyError) as caught:
        submit_response(survey, answers, idempotency_key=kw.pop("idempotency_key", key()), **kw)
    db.session.rollback()
    return caught.value


def submit(survey, answers, **kw):
    response, created = submit_response(survey, answers, idempotency_key=kw.pop("idempotency_key", key()), **kw)
    db.session.commit()
    return response, created


def test_a_valid_response_is_stored_with_its_answers_and_counts(app):
    survey = make_survey([satisfaction(), single(), multiple(), text()])
    response, created = submit(survey, {"overall": ["2"], "age": ["b"], "problems": ["a", "c"],
                                        "comment": ["公厕要多打扫"]})
    assert created and response.headline_level == 2 and response.source == Source.SELF_SELECTED
    assert [(a.item, a.value, a.text) for a in response.answers] == [
        ("", 2, None), ("", 1, None), ("", 0, None), ("", 2, None), ("", None, "公厕要多打扫")]
    assert stored()[0] == 1


def test_every_problem_is_reported_at_once_and_nothing_is_stored(app):
    survey = make_survey([satisfaction(), single(), text(kind="short_text"), matrix()])
    error = refused(survey, {"overall": [], "age": ["z"], "comment": ["长" * 201], "bogus": ["1"],
                             "aspects": {"i1": ["1"], "i9": ["2"]}})
    assert error.code == "answers"
    assert error.problems == {"overall": "required", "age": "choice", "comment": "too_long",
                              "bogus": "unknown_question", "aspects": "choice"}
    assert stored() == (0, 0, 0)


def test_a_level_outside_the_scale_and_two_answers_to_a_single_choice_are_refused(app):
    survey = make_survey([satisfaction(), single()])
    assert refused(survey, {"overall": ["4"], "age": ["a", "b"]}).problems == {"overall": "choice", "age": "one"}
    assert stored() == (0, 0, 0)


def test_a_matrix_needs_every_item_when_required(app):
    survey = make_survey([satisfaction(), matrix()])
    error = refused(survey, {"overall": ["1"], "aspects": {"i1": ["1"], "i2": ["2"]}})
    assert error.problems == {"aspects": "required"}


def test_display_condition_shows_a_question_only_after_the_given_answer(app):
    follow_up = text(key="why", required=True, condition={"question": "overall", "values": ["3"]})
    survey = make_survey([satisfaction(), follow_up])
    # dissatisfied: the follow-up is shown, and required
    assert refused(survey, {"overall": ["3"]}).problems == {"why": "required"}
    response, _ = submit(survey, {"overall": ["3"], "why": ["垃圾清运不及时"]})
    assert any(a.text == "垃圾清运不及时" for a in response.answers)
    # satisfied: it is hidden, so it is not required and an answer to it is dropped
    response, _ = submit(survey, {"overall": ["1"], "why": ["这条不该保存"]})
    assert [a.value for a in response.answers] == [1]


def test_a_retried_submission_returns_the_first_response(app):
    survey = make_survey()
    first, created = submit(survey, {"overall": ["1"]}, idempotency_key="same-key")
    again, created_again = submit(survey, {"overall": ["3"]}, idempotency_key="same-key")
    assert created and not created_again and again.id == first.id
    assert stored() == (1, 1, 1)


def test_a_closed_survey_takes_no_answers(app):
    survey = make_survey()
    close_survey(survey, None)
    db.session.commit()
    assert refused(survey, {"overall": ["1"]}).code == "closed"


def test_a_survey_after_its_end_time_takes_no_answers(app):
    survey = make_survey(ends_at=utcnow() + timedelta(hours=1))
    assert refused(survey, {"overall": ["1"]}, now=utcnow() + timedelta(hours=2)).code == "closed"


# ---------------------------------------------------------------- tokens

def test_a_token_card_is_good_for_one_response(app):
    survey = make_survey(guarantee="token", method="door")
    generate_tokens(survey, 2, None)
    db.session.commit()
    token = db.session.execute(db.select(SurveyToken)).scalars().first()
    response, _ = submit(survey, {"overall": ["1"]}, token_code=token.code.lower())
    assert response.source == Source.SAMPLED and response.token_id == token.id
    assert db.session.get(SurveyToken, token.id).used_at is not None
    assert refused(survey, {"overall": ["1"]}, token_code=token.code).code == "token_used"
    assert stored()[0] == 1


def test_a_token_survey_refuses_answers_without_a_token_and_unknown_tokens(app):
    survey = make_survey(guarantee="token", method="door")
    assert refused(survey, {"overall": ["1"]}).code == "token_required"
    assert refused(survey, {"overall": ["1"]}, token_code="ABCDE-FGHJK").code == "token_unknown"
    assert refused(survey, {"overall": ["1"]}, token_code="not a token").code == "token_unknown"


def test_a_token_from_another_survey_is_refused(app):
    survey = make_survey(guarantee="token", method="door")
    other = make_survey(guarantee="token", method="door")
    generate_tokens(other, 1, None)
    db.session.commit()
    token = db.session.execute(db.select(SurveyToken)).scalar()
    assert refused(survey, {"overall": ["1"]}, token_code=token.code).code == "token_other_survey"
    assert db.session.get(SurveyToken, token.id).used_at is None and stored()[0] == 0


def test_a_token_with_an_area_attributes_the_response_there(app):
    district = make_area("东城区")
    survey = make_survey(guarantee="token", method="door", areas=[(district, None, 1000)])
    generate_tokens(survey, 1, None, area=district)
    db.session.commit()
    token = db.session.execute(db.select(SurveyToken)).scalar()
    response, _ = submit(survey, {"overall": ["1"]}, token_code=token.code)
    assert response.area_id == district.id and response.survey_area_id == survey.areas[0].id


# ---------------------------------------------------------------- device and phone

def test_once_per_device(app):
    survey = make_survey(guarantee="device")
    submit(survey, {"overall": ["1"]}, device_key="device-a")
    assert refused(survey, {"overall": ["2"]}, device_key="device-a").code == "already_answered"
    assert refused(survey, {"overall": ["2"]}).code == "device_required"
    submit(survey, {"overall": ["2"]}, device_key="device-b")
    assert stored()[0] == 2


def test_once_per_device_still_takes_token_cards_on_a_volunteers_tablet(app):
    survey = make_survey(guarantee="device")
    generate_tokens(survey, 2, None)
    db.session.commit()
    codes = db.session.execute(db.select(SurveyToken.code)).scalars().all()
    for code in codes:
        submit(survey, {"overall": ["1"]}, device_key="tablet", token_code=code)
    assert stored()[0] == 2


def test_once_per_phone_with_a_verification_code(app, monkeypatch):
    sent = []
    monkeypatch.setattr("surveys.guards._send_code", lambda phone, code, survey, locale: sent.append((phone, code)))
    survey = make_survey(guarantee="phone", method="phone")
    assert refused(survey, {"overall": ["1"]}).code == "phone_required"
    send_phone_code(survey, "138 0013 8000")
    db.session.commit()
    (phone, code), = sent
    assert phone == "13800138000"
    with pytest.raises(SurveyError) as wrong:
        verify_phone_code(survey, "13800138000", "000000" if code != "000000" else "111111")
    assert wrong.value.code == "code_wrong"
    db.session.commit()
    hashed = verify_phone_code(survey, "+86 13800138000", code)
    db.session.commit()
    response, _ = submit(survey, {"overall": ["1"]}, phone_hash=hashed)
    assert response.source == Source.SELF_SELECTED  # verified, but not on the call list: it walked up
    assert refused(survey, {"overall": ["2"]}, phone_hash=hashed).code == "already_answered"
    with pytest.raises(SurveyError) as again:
        send_phone_code(survey, "13800138000")
    assert again.value.code == "already_answered"
    stored_hashes = db.session.execute(db.select(SurveyPhoneCode.phone_hash, SurveyPhoneCode.code_hash)).all()
    assert all("13800138000" not in h and code not in c for h, c in stored_hashes)


def test_phone_codes_are_limited_per_hour_and_attempts_per_code(app, monkeypatch):
    monkeypatch.setattr("surveys.guards._send_code", lambda *a: None)
    survey = make_survey(guarantee="phone")
    for _ in range(3):
        send_phone_code(survey, "13800138000")
    db.session.commit()  # a code is tried from later requests: tries are counted in their own transaction
    with pytest.raises(SurveyError) as limited:
        send_phone_code(survey, "13800138000")
    assert limited.value.code == "too_many_codes"
    for _ in range(5):
        with pytest.raises(SurveyError):
            verify_phone_code(survey, "13800138000", "not-it")
    with pytest.raises(SurveyError) as locked:
        verify_phone_code(survey, "13800138000", "not-it")
    assert locked.value.code == "too_many_attempts"


def test_a_bad_phone_number_is_refused(app):
    survey = make_survey(guarantee="phone")
    with pytest.raises(SurveyError) as caught:
        send_phone_code(survey, "12345")
    assert caught.value.code == "phone"


def test_phone_codes_go_out_through_the_notifications(app):
    survey = make_survey(guarantee="phone")
    send_phone_code(survey, "13800138000")
    from portal.notify_models import Delivery

    delivery = db.session.execute(db.select(Delivery)).scalar()
    assert delivery.recipient == "13800138000" and delivery.template == "survey_code"
    assert delivery.payload["params"]["code"] in delivery.payload["text"]


# ---------------------------------------------------------------- quotas

def test_a_full_quota_stops_responses_in_that_area(app):
    district = make_area("东城区")
    survey = make_survey(areas=[(district, 2, None)])
    link = survey.areas[0]
    submit(survey, {"overall": ["1"]}, survey_area=link)
    submit(survey, {"overall": ["1"]}, survey_area=link)
    assert refused(survey, {"overall": ["1"]}, survey_area=link).code == "quota_full"
    assert stored()[0] == 2 and db.session.get(type(link), link.id).received == 2


def test_a_warn_only_quota_accepts_and_marks_responses_over_it(app):
    district = make_area("东城区")
    survey = make_survey(areas=[(district, 1, None, QuotaAction.WARN)])
    link = survey.areas[0]
    first, _ = submit(survey, {"overall": ["1"]}, survey_area=link)
    second, _ = submit(survey, {"overall": ["1"]}, survey_area=link)
    assert not first.over_quota and second.over_quota


def test_quotas_count_responses_from_sub_areas(app):
    district = make_area("东城区")
    street = make_area("东华门街道", parent=district)
    survey = make_survey([satisfaction(), {"key": "where", "kind": "area", "text": "您住在哪里", "required": True}],
                         areas=[(district, 1, None)])
    response, _ = submit(survey, {"overall": ["1"], "where": [str(street.id)]})
    assert response.area_id == street.id and response.survey_area_id == survey.areas[0].id
    assert refused(survey, {"overall": ["1"], "where": [str(street.id)]}).code == "quota_full"


# ---------------------------------------------------------------- quizzes

def test_a_quiz_is_scored_and_passes_at_the_pass_mark(app):
    questions = [single("q1", options=("4月", "5月"), correct="a"),
                 single("q2", options=("是", "否"), correct="b"),
                 multiple("q3", options=("鼠", "蚊", "蝇", "花"), correct=("a", "b", "c"), required=True)]
    survey = make_survey(questions, kind="quiz", pass_percent=60)
    response, _ = submit(survey, {"q1": ["a"], "q2": ["b"], "q3": ["a", "b"]})
    assert (response.score, response.max_score, response.passed) == (2, 3, True)
    response, _ = submit(survey, {"q1": ["b"], "q2": ["b"], "q3": ["a", "b", "c"]})
    assert (response.score, response.passed) == (2, True)
    response, _ = submit(survey, {"q1": ["b"], "q2": ["a"], "q3": ["a", "b", "c"]})
    assert (response.score, response.passed) == (1, False)


# ---------------------------------------------------------------- quality flags on arrival

def test_the_same_answer_to_every_matrix_item_flags_a_straight_liner(app):
    survey = make_survey([satisfaction(), matrix()])
    flat, _ = submit(survey, {"overall": ["1"], "aspects": {f"i{n}": ["2"] for n in range(1, 5)}})
    varied, _ = submit(survey, {"overall": ["1"], "aspects": {"i1": ["1"], "i2": ["2"], "i3": ["2"], "i4": ["2"]}})
    assert flat.is_straightliner and not varied.is_straightliner


def test_concurrent_submissions_on_sqlite_never_fail_with_a_locked_database(app, tmp_path):
    """Sixteen residents answering at once: every answer is stored, none gets 'database is locked'."""
    import threading

    from portal.extensions import db as database
    from surveys.answering import submit_response
    from surveys.response_models import SurveyResponse

    survey = make_survey(areas=[(make_area("东城区"), None, 1000)])  # a quota counter every answer updates
    survey_id, link_id, link_type = survey.id, survey.areas[0].id, type(survey.areas[0])
    errors = []

    def answer(index):
        with app.app_context():
            try:
                submit_response(database.session.get(type(survey), survey_id), {"overall": ["1"]},
                                idempotency_key=f"concurrent-{index}",
                                survey_area=database.session.get(link_type, link_id))
                database.session.commit()
            except Exception as error:  # noqa: BLE001 - the test reports any failure
                errors.append(repr(error))
                database.session.rollback()
            finally:
                database.session.remove()

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = database.session.scalar(database.select(database.func.count()).select_from(SurveyResponse))
    assert stored == 64


def test_the_same_submission_sent_at_once_from_many_threads_is_stored_and_counted_once(app):
    """A double tap that reaches two workers at once: one response, the area's count bumped once, and every
    request answered with that response (the losers' writes are undone, not committed)."""
    import threading

    from portal.extensions import db as database
    from surveys.answering import submit_response
    from surveys.response_models import SurveyResponse

    survey = make_survey(areas=[(make_area("东城区"), None, 1000)])
    survey_id, link_id, link_type = survey.id, survey.areas[0].id, type(survey.areas[0])
    answered, errors, start = [], [], threading.Barrier(16)

    def answer():
        with app.app_context():
            try:
                start.wait()
                response, _created = submit_response(
                    database.session.get(type(survey), survey_id), {"overall": ["1"]}, idempotency_key="double-tap",
                    survey_area=database.session.get(link_type, link_id))
                answered.append(response.id)
                database.session.commit()
            except Exception as error:  # noqa: BLE001 - the test reports any failure
                errors.append(repr(error))
                database.session.rollback()
            finally:
                database.session.remove()

    threads = [threading.Thread(target=answer) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert database.session.scalar(database.select(database.func.count()).select_from(SurveyResponse)) == 1
    assert set(answered) == {database.session.scalar(database.select(SurveyResponse.id))}
    database.session.expire_all()
    assert database.session.get(link_type, link_id).received == 1
