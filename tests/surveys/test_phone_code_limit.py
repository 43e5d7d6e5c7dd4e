"""The phone-code guessing limit, through the public code page: five tries per code, counted whatever becomes of
the request's own transaction (an error after the check, a rollback) and however many tries arrive at once."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from portal.extensions import db
from surveys.response_models import SurveyPhoneCode
from tests.surveys.factories import make_survey

PHONE = "13800138000"
WRONG = "The code is not right"
LOCKED = "Too many wrong codes"


@pytest.fixture
def sent(monkeypatch):
    codes = []
    monkeypatch.setattr("surveys.guards._send_code", lambda phone, code, survey, locale: codes.append(code))
    return codes


def a_wrong_code(right):
    return "000000" if right != "000000" else "111111"


def english(app):
    client = app.test_client()
    client.set_cookie("lang", "en")
    return client


def ask_for_a_code(client, slug):
    response = client.post(f"/surveys/{slug}/phone", data={"phone": PHONE})
    assert response.status_code == 200


def try_code(client, slug, code):
    return client.post(f"/surveys/{slug}/phone", data={"phone": PHONE, "code": code})


def stored_attempts():
    db.session.expire_all()
    return db.session.scalar(db.select(SurveyPhoneCode.attempts))


def test_five_wrong_codes_lock_the_code_even_the_right_one_after(app, sent):
    survey = make_survey(guarantee="phone", method="phone")
    client = english(app)
    ask_for_a_code(client, survey.slug)
    right = sent[0]

    answers = [try_code(client, survey.slug, a_wrong_code(right)) for _ in range(5)]
    after = try_code(client, survey.slug, right)

    assert [a.status_code for a in answers] == [400] * 5
    assert all(WRONG in a.get_data(as_text=True) for a in answers)
    assert after.status_code == 400 and LOCKED in after.get_data(as_text=True)
    assert stored_attempts() == 5


def test_wrong_codes_count_even_when_the_request_fails_afterwards(app, sent, monkeypatch):
    survey = make_survey(guarantee="phone", method="phone")
    client = english(app)
    ask_for_a_code(client, survey.slug)
    right = sent[0]

    def broken_page(*args, **kwargs):
        raise RuntimeError("the page failed after the code was checked")

    monkeypatch.setattr("surveys.views.render_template", broken_page)
    for _ in range(5):
        with pytest.raises(RuntimeError):
            try_code(client, survey.slug, a_wrong_code(right))
    monkeypatch.undo()
    monkeypatch.setattr("surveys.guards._send_code", lambda *args: None)

    after = try_code(client, survey.slug, right)

    assert after.status_code == 400 and LOCKED in after.get_data(as_text=True)
    assert stored_attempts() == 5


def test_a_right_code_within_the_limit_still_verifies(app, sent):
    survey = make_survey(guarantee="phone", method="phone")
    client = english(app)
    ask_for_a_code(client, survey.slug)

    for _ in range(4):
        try_code(client, survey.slug, a_wrong_code(sent[0]))
    verified = try_code(client, survey.slug, sent[0])

    assert verified.status_code == 302 and verified.location == f"/surveys/{survey.slug}"


def test_eight_guesses_at_once_get_five_tries_between_them(app, served, sent):
    survey = make_survey(guarantee="phone", method="phone")
    slug = survey.slug
    ask_for_a_code(english(served), slug)
    wrong = a_wrong_code(sent[0])
    start = threading.Barrier(8)

    def guess(_n):
        client = english(served)
        start.wait()
        return try_code(client, slug, wrong).get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = list(pool.map(guess, range(8)))

    # 8 guesses at once (fewer than the connection pool's 10, DB_POOL_SIZE + DB_MAX_OVERFLOW: each request holds one
    # connection and takes a second, short one to count): exactly 5 were checked (and wrong), the other 3 locked
    assert sum(WRONG in page for page in pages) == 5
    assert sum(LOCKED in page for page in pages) == 3
    assert stored_attempts() == 5
    assert try_code(english(served), slug, sent[0]).status_code == 400
