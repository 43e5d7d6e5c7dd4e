"""The public pages: answering without JavaScript, retries, tokens, device and phone guarantees, clear messages."""
import re

from portal.extensions import db
from surveys.distribution import generate_tokens
from surveys.response_models import SurveyResponse, SurveyToken
from surveys.services import close_survey
from tests.factories import make_area
from tests.surveys.factories import make_survey, matrix, satisfaction, single, text


def form_token(page):
    found = re.search(r'name="form" value="([^"]+)"', page)
    assert found, " ".join(re.sub(r"<[^>]+>", " ", page).split())[-600:]  # the page's words, to see which page
    return found.group(1)


def count():
    return db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse))


def test_the_list_shows_open_surveys_but_not_token_only_ones(app, client):
    make_survey(title="卫生满意度")
    make_survey(title="入户调查", guarantee="token", method="door")
    page = client.get("/surveys/").get_data(as_text=True)
    assert "卫生满意度" in page and "入户调查" not in page


def test_answering_without_javascript_in_one_long_page(app, client):
    follow_up = text(key="why", condition={"question": "overall", "values": ["3"]})
    survey = make_survey([satisfaction(), matrix(), follow_up])
    page = client.get(f"/surveys/{survey.slug}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "ms_device" in page.headers.get("Set-Cookie", "")
    assert 'name="q-aspects-i1"' in html and "基本满意" in html and "仅当“" in html  # the display condition
    data = {"form": form_token(html), "q-overall": "3", "q-why": "清运不及时",
            **{f"q-aspects-i{n}": "2" for n in range(1, 5)}}
    response = client.post(f"/surveys/{survey.slug}", data=data)
    assert response.status_code == 303 and "/done/" in response.headers["Location"]
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you" in done or "感谢" in done or "謝謝" in done
    assert count() == 1


def test_a_retried_submission_does_not_count_twice(app, client):
    survey = make_survey()
    token = form_token(client.get(f"/surveys/{survey.slug}").get_data(as_text=True))
    first = client.post(f"/surveys/{survey.slug}", data={"form": token, "q-overall": "1"})
    again = client.post(f"/surveys/{survey.slug}", data={"form": token, "q-overall": "1"})
    assert first.headers["Location"] == again.headers["Location"] and count() == 1


def test_bad_answers_are_listed_on_the_page_and_kept(app, client):
    survey = make_survey([satisfaction(), single(), text(kind="short_text")])
    token = form_token(client.get(f"/surveys/{survey.slug}").get_data(as_text=True))
    response = client.post(f"/surveys/{survey.slug}", data={
        "form": token, "q-age": "zz", "q-comment": "很长" * 200, "q-nosuch": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and count() == 0
    assert html.count('class="ms-q ms-q-error"') == 3 and 'id="form-error"' in html
    assert 'class="ms-unknown"' in html and "很长很长" in html  # the typed text is kept


def test_a_forged_form_token_is_refused(app, client):
    survey = make_survey()
    response = client.post(f"/surveys/{survey.slug}", data={"form": "forged", "q-overall": "1"})
    assert response.status_code == 400 and 'data-code="form_expired"' in response.get_data(as_text=True)
    assert count() == 0


def test_a_closed_survey_says_so(app, client):
    survey = make_survey()
    close_survey(survey, None)
    db.session.commit()
    page = client.get(f"/surveys/{survey.slug}")
    assert page.status_code == 410 and 'data-code="closed"' in page.get_data(as_text=True)


def test_a_draft_is_not_public(app, client):
    survey = make_survey(open_it=False)
    assert client.get(f"/surveys/{survey.slug}").status_code == 404


def test_a_token_card_link_opens_the_survey_once(app, client):
    survey = make_survey(guarantee="token", method="door")
    generate_tokens(survey, 1, None)
    db.session.commit()
    code = db.session.execute(db.select(SurveyToken.code)).scalar()
    html = client.get(f"/surveys/t/{code}").get_data(as_text=True)
    assert f'value="{code[:5]}-{code[5:]}"' in html
    response = client.post(f"/surveys/{survey.slug}", data={"form": form_token(html), "token": code,
                                                          "q-overall": "1"})
    assert response.status_code == 303
    used = client.get(f"/surveys/t/{code}")
    assert used.status_code == 409 and 'data-code="token_used"' in used.get_data(as_text=True)
    assert client.get("/surveys/t/AAAAABBBBB").status_code == 404


def test_a_token_survey_asks_for_the_card_code(app, client):
    survey = make_survey(guarantee="token", method="door")
    html = client.get(f"/surveys/{survey.slug}").get_data(as_text=True)
    response = client.post(f"/surveys/{survey.slug}", data={"form": form_token(html), "q-overall": "1"})
    assert response.status_code == 400 and 'data-code="token_required"' in response.get_data(as_text=True)


def test_once_per_device_through_the_cookie(app, client):
    survey = make_survey(guarantee="device")
    html = client.get(f"/surveys/{survey.slug}").get_data(as_text=True)
    assert client.post(f"/surveys/{survey.slug}", data={"form": form_token(html), "q-overall": "1"}).status_code == 303
    again = client.get(f"/surveys/{survey.slug}")
    assert again.status_code == 409 and 'data-code="already_answered"' in again.get_data(as_text=True)


def test_once_per_phone_through_the_code_page(app, client, monkeypatch):
    sent = []
    monkeypatch.setattr("surveys.guards._send_code", lambda phone, code, survey, locale: sent.append(code))
    survey = make_survey(guarantee="phone", method="phone")
    first = client.get(f"/surveys/{survey.slug}")
    assert first.status_code == 302 and "/phone" in first.headers["Location"]
    assert "code" in client.post(f"/surveys/{survey.slug}/phone", data={"phone": "13800138000"}).get_data(as_text=True)
    verified = client.post(f"/surveys/{survey.slug}/phone", data={"phone": "13800138000", "code": sent[0]})
    assert verified.status_code == 302
    html = client.get(f"/surveys/{survey.slug}").get_data(as_text=True)
    assert client.post(f"/surveys/{survey.slug}", data={"form": form_token(html), "q-overall": "2"}).status_code == 303
    again = client.get(f"/surveys/{survey.slug}")
    assert again.status_code == 409


def test_an_area_link_attributes_and_a_full_quota_is_announced(app, client):
    district = make_area("东城区")
    survey = make_survey(areas=[(district, 1, 5000)])
    link = survey.areas[0]
    html = client.get(f"/surveys/{survey.slug}/a/{link.key}").get_data(as_text=True)
    assert "东城区" in html
    client.post(f"/surveys/{survey.slug}", data={"form": form_token(html), "area": link.key, "q-overall": "1"})
    assert db.session.execute(db.select(SurveyResponse.area_id)).scalar() == district.id
    full = client.get(f"/surveys/{survey.slug}/a/{link.key}")
    assert full.status_code == 409 and 'data-code="quota_full"' in full.get_data(as_text=True)


def test_a_quiz_shows_the_score_and_the_right_answers(app, client):
    survey = make_survey([single("q1", options=("四月", "五月"), correct="a")], kind="quiz", pass_percent=100)
    html = client.get(f"/surveys/{survey.slug}").get_data(as_text=True)
    done = client.post(f"/surveys/{survey.slug}", data={"form": form_token(html), "q-q1": "b"},
                       follow_redirects=True).get_data(as_text=True)
    assert 'id="quiz-score"' in done and "四月" in done and "ms-result-wrong" in done


def test_the_thank_you_page_needs_its_signed_receipt(app, client):
    survey = make_survey()
    assert client.get(f"/surveys/{survey.slug}/done/1").status_code == 404


def test_the_submission_limit_per_address_is_configured(make_app):
    limited = make_app(RATELIMIT_ENABLED=True, SURVEY_RATE_LIMIT="2 per minute")
    with limited.app_context():
        survey = make_survey()
        slug = survey.slug
    client = limited.test_client()
    codes = []
    for _ in range(3):  # three residents behind one address, each with a fresh form
        token = form_token(client.get(f"/surveys/{slug}").get_data(as_text=True))
        codes.append(client.post(f"/surveys/{slug}", data={"form": token, "q-overall": "1"}).status_code)
    assert codes == [303, 303, 429]
    with limited.app_context():
        assert count() == 2


def test_an_area_key_of_another_survey_or_no_such_key_attributes_nothing(app, client):
    district = make_area("东城区")
    survey = make_survey(areas=[(district, None, 5000)])
    other = make_survey(areas=[(make_area("西城区"), None, 5000)])
    html = client.get(f"/surveys/{survey.slug}").get_data(as_text=True)
    for key in (other.areas[0].key, "nosuch", ""):
        token = form_token(client.get(f"/surveys/{survey.slug}").get_data(as_text=True))
        assert client.post(f"/surveys/{survey.slug}", data={"form": token, "area": key,
                                                            "q-overall": "1"}).status_code == 303
    assert client.post(f"/surveys/{survey.slug}", data={"form": form_token(html), "area": survey.areas[0].key,
                                                        "q-overall": "1"}).status_code == 303
    stored = db.session.execute(db.select(SurveyResponse.survey_area_id, SurveyResponse.area_id)
                                .order_by(SurveyResponse.id)).all()
    assert [tuple(row) for row in stored] == [(None, None)] * 3 + [(survey.areas[0].id, district.id)]
    assert client.post("/surveys/nosuch", data={"form": form_token(html), "q-overall": "1"}).status_code == 404
