"""Fuzzing survey answering: every question type, quizzes, token cards, area links, the phone-code page and the
thank-you page. Never a 5xx; a refused answer stores no response, answer, tally or token use."""
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.extensions import db
from surveys.distribution import generate_tokens
from surveys.response_models import SurveyToken
from tests.factories import make_area
from tests.fuzz import strategies as hostile
from tests.fuzz.conftest import FUZZ, assert_no_server_error, row_counts
from tests.surveys.factories import make_survey, matrix, multiple, satisfaction, single, text

ENDPOINTS = {"surveys.index", "surveys.start", "surveys.submit", "surveys.area_link", "surveys.done",
             "surveys.phone", "surveys.token_link"}

REFUSED = {400, 404, 409, 410}
EVERY_KIND = [
    satisfaction(), single(), multiple(), matrix(),
    {"key": "score", "kind": "rating", "text": "打几分", "required": False},
    text(key="short", kind="short_text"), text(key="long", kind="long_text"),
    {"key": "people", "kind": "number", "text": "几口人", "required": False, "min_value": 1, "max_value": 20},
    {"key": "where", "kind": "area", "text": "您住在哪里", "required": False},
]
# Plausible answers per question field, mixed by the fuzzer with hostile ones.
PLAUSIBLE = {"q-overall": ["1", "2", "3"], "q-age": ["a", "b", "c"], "q-problems": ["a", "b", "c"],
             "q-aspects-i1": ["1", "3"], "q-aspects-i2": ["2"], "q-aspects-i3": ["1"], "q-aspects-i4": ["2"],
             "q-score": ["0", "10", "11"], "q-short": ["还行"], "q-long": ["好"], "q-people": ["3", "21", "0"],
             "q-where": ["1"]}


def form_token(page):
    return re.search(r'name="form" value="([^"]+)"', page).group(1)


@pytest.fixture
def surveys(app):
    district = make_area("东城区")
    PLAUSIBLE["q-where"] = [str(district.id)]
    every = make_survey(EVERY_KIND)
    quiz = make_survey([single("q1", options=("四月", "五月"), correct="a"),
                        multiple("q2", options=("鼠", "蚊", "花"), correct=("a", "b"), required=True)],
                       kind="quiz", pass_percent=50)
    cards = make_survey(guarantee="token", method="door")
    generate_tokens(cards, 3, None)
    areas = make_survey(areas=[(district, 100, 5000)])
    phone = make_survey(guarantee="phone", method="phone")
    db.session.commit()
    return {"every": every, "quiz": quiz, "cards": cards, "areas": areas, "phone": phone,
            "codes": list(db.session.scalars(db.select(SurveyToken.code)))}


def answer_fields(names):
    return hostile.form({name: st.one_of(hostile.form_value, st.sampled_from(PLAUSIBLE.get(name, ["1"])),
                                         st.lists(st.sampled_from(PLAUSIBLE.get(name, ["1"])), min_size=2,
                                                  max_size=3))
                         for name in names})


def assert_stored_once_or_nothing(response, before):
    after = row_counts()
    if response.status_code == 303:
        assert after["survey_responses"] - before["survey_responses"] in (0, 1)
    else:
        assert response.status_code in REFUSED, response.status_code
        assert after == before


@FUZZ
@given(data=st.data())
def test_answering_every_question_type_stores_one_response_or_nothing(app, surveys, fuzz_client, data):
    survey = data.draw(st.sampled_from(["every", "quiz"]), label="survey")
    slug = surveys[survey].slug
    names = list(PLAUSIBLE) if survey == "every" else ["q-q1", "q-q2"]
    fields = data.draw(answer_fields(names + ["q-nosuch", "q-overall-x"]), label="answers")
    page = fuzz_client.get(f"/surveys/{slug}").get_data(as_text=True)
    token = data.draw(st.one_of(st.just(form_token(page)), hostile.form_value), label="form token")
    if token is not None:
        fields["form"] = token
    fields.update(data.draw(hostile.form({"area": hostile.form_value, "token": hostile.form_value}), label="extra"))
    before = row_counts()

    response = fuzz_client.post(f"/surveys/{slug}", data=fields)

    assert_no_server_error(response)
    assert_stored_once_or_nothing(response, before)
    if response.status_code == 303:
        assert_no_server_error(fuzz_client.get(response.location))


@FUZZ
@given(data=st.data())
def test_a_token_card_counts_once_and_a_bad_code_stores_nothing(app, surveys, fuzz_client, data):
    codes = surveys["codes"]
    slug = surveys["cards"].slug
    code = data.draw(st.one_of(st.sampled_from(codes), st.sampled_from(codes).map(lambda c: f" {c[:5]}-{c[5:]} "),
                               hostile.text), label="card")
    link = fuzz_client.get(f"/surveys/t/{hostile.segment(code)}")
    assert_no_server_error(link)
    page = fuzz_client.get(f"/surveys/{slug}").get_data(as_text=True)
    fields = {"form": form_token(page), "token": code,
              **data.draw(answer_fields(["q-overall"]), label="answers")}
    before = row_counts()

    response = fuzz_client.post(f"/surveys/{slug}", data=fields)

    assert_no_server_error(response)
    assert_stored_once_or_nothing(response, before)
    used = db.session.scalar(db.select(db.func.count(SurveyToken.id)).where(SurveyToken.used_at.is_not(None)))
    answered = db.session.scalar(db.text("SELECT COUNT(*) FROM survey_responses WHERE survey_id = :s"),
                                 {"s": surveys["cards"].id})
    assert used == answered  # one card, one response


@FUZZ
@given(slug=hostile.text, key=hostile.text, receipt=hostile.text, query=st.dictionaries(
    st.sampled_from(["a", "lang", "page", "q"]), hostile.text, max_size=3))
def test_survey_addresses_answer_any_slug_key_and_receipt(app, surveys, fuzz_client, slug, key, receipt, query):
    real = surveys["areas"].slug
    before = row_counts()
    clean = [hostile.segment(part) for part in (slug, key, receipt)]

    for url in ("/surveys/", f"/surveys/{clean[0]}", f"/surveys/{real}/a/{clean[1]}", f"/surveys/{clean[0]}/a/x",
                f"/surveys/{real}/done/{clean[2]}", f"/surveys/{clean[0]}/phone", f"/surveys/t/{clean[1]}"):
        response = fuzz_client.get(url, query_string=query)
        assert_no_server_error(response)
    assert row_counts() == before


@FUZZ
@given(fields=hostile.form({"phone": st.one_of(hostile.form_value, st.just("13800138000")),
                            "code": hostile.form_value, "a": hostile.form_value}))
def test_the_phone_code_page_refuses_clearly_and_stores_no_code_on_refusal(app, surveys, fuzz_client, monkeypatch,
                                                                       fields):
    monkeypatch.setattr("surveys.guards._send_code", lambda *args: None)
    before = row_counts()

    response = fuzz_client.post(f"/surveys/{surveys['phone'].slug}/phone", data=fields)

    assert_no_server_error(response)
    if response.status_code == 400:
        assert row_counts() == before
        body = response.get_data(as_text=True)
        assert 'id="phone-error"' in body or "not allowed" in body  # the page's own message, or a NUL byte's
