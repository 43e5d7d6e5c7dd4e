"""The blank answer form kept per process (surveys/form_page.py): every visitor gets their own tokens, and an edit
of the survey shows on the next visit."""
import re

from portal.extensions import db
from surveys.models import Survey
from surveys.response_models import SurveyResponse
from surveys.services import question_data, save_question
from tests.surveys.factories import make_survey, matrix, satisfaction, single


def tokens(page):
    return (re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            re.search(r'name="form" value="([^"]+)"', page).group(1))


def without_tokens(page):
    return re.sub(r'(name="(?:csrf_token|form)" value=")[^"]+"', r'\1"', page)


def test_each_visitor_of_the_same_form_gets_their_own_tokens_and_can_send_it(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        slug = make_survey([satisfaction(), single()]).slug
    first, second = app.test_client(), app.test_client()
    pages = [client.get(f"/surveys/{slug}?lang=en").get_data(as_text=True) for client in (first, second, first)]
    assert len({tokens(page)[0] for page in pages[:2]}) == 2  # two sessions, two CSRF tokens
    assert len({tokens(page)[1] for page in pages}) == 3  # a fresh form token (idempotency key) on every visit
    assert without_tokens(pages[0]) == without_tokens(pages[1]) == without_tokens(pages[2])
    for client, page in ((first, pages[2]), (second, pages[1])):
        csrf, form = tokens(page)
        response = client.post(f"/surveys/{slug}", data={"csrf_token": csrf, "form": form, "q-overall": "1",
                                                         "q-age": "a"})
        assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse)) == 2


def test_a_reworded_question_and_a_renamed_survey_show_on_the_next_visit(app, client):
    survey = make_survey([satisfaction(), matrix()], title="环境卫生满意度")
    before = client.get(f"/surveys/{survey.slug}").get_data(as_text=True)
    assert "环境卫生满意度" in before and "道路清扫" in before
    question = next(q for q in survey.questions if q.key == "aspects")
    data = question_data(question)
    data["items"] = [dict(item, label="道路清扫保洁" if item["label"] == "道路清扫" else item["label"])
                     for item in data["items"]]
    save_question(survey, survey.sections[0], question, data, actor=None)
    db.session.get(Survey, survey.id).title = "城市环境卫生满意度"
    db.session.commit()
    after = client.get(f"/surveys/{survey.slug}").get_data(as_text=True)
    assert "道路清扫保洁" in after and "城市环境卫生满意度" in after


def test_each_language_gets_its_own_page(app, client):
    survey = make_survey()
    english = client.get(f"/surveys/{survey.slug}?lang=en").get_data(as_text=True)
    chinese = client.get(f"/surveys/{survey.slug}?lang=zh_Hans").get_data(as_text=True)
    again = client.get(f"/surveys/{survey.slug}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and '<html lang="en">' in again and '<html lang="en">' not in chinese
    assert without_tokens(english) == without_tokens(again)


def test_a_message_waiting_for_the_visitor_is_shown_on_the_form(app, client):
    survey = make_survey()
    client.get(f"/surveys/{survey.slug}")  # kept
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "一条给这位访客的消息")]
    assert "一条给这位访客的消息" in client.get(f"/surveys/{survey.slug}").get_data(as_text=True)
