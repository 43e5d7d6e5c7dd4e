"""The blank answer form kept per process (surveys/form_page.py): every visitor gets their own tokens, and an edit
of the survey shows on the next visit."""
import re
from datetime import timedelta

from portal.clock import utcnow
from portal.extensions import db
from surveys.models import Survey, SurveySection
from surveys.response_models import SurveyResponse
from surveys.services import open_survey, question_data, save_question, save_section
from tests.factories import make_area
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


def headers_of(response):
    """The response's headers but the per-visitor ones (cookies, request id, date)."""
    return sorted((name, value) for name, value in response.headers.items()
                  if name.lower() not in {"set-cookie", "x-request-id", "date"})


def cookie_names(response):
    return sorted(header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie"))


def test_the_kept_page_is_answered_like_the_first_render(make_app):
    """The first visit renders the page through the templates; the next ones get the kept page. A visitor of either
    gets the same page, headers and cookies (session with the CSRF token, device), and either can be sent."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        slug = make_survey([satisfaction(), single()]).slug
    clients = [app.test_client() for _ in range(3)]
    responses = [client.get(f"/surveys/{slug}") for client in clients]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert headers_of(responses[0]) == headers_of(responses[1]) == headers_of(responses[2])
    assert "Content-Security-Policy" in responses[0].headers
    assert cookie_names(responses[0]) == cookie_names(responses[2]) == ["ms_device", "session"]
    pages = [r.get_data(as_text=True) for r in responses]
    assert without_tokens(pages[0]) == without_tokens(pages[2]) and "\x00" not in pages[2]
    for client, page in zip(clients, pages, strict=True):
        csrf, form = tokens(page)
        answer = {"csrf_token": csrf, "form": form, "q-overall": "2", "q-age": "b"}
        assert client.post(f"/surveys/{slug}", data=answer).status_code == 303
        assert client.post(f"/surveys/{slug}", data=answer).status_code == 303  # a double tap: stored once
    stranger = app.test_client()
    stranger.get(f"/surveys/{slug}")  # a session of its own: another visitor's CSRF token is refused
    csrf, form = tokens(pages[2])
    assert stranger.post(f"/surveys/{slug}", data={"csrf_token": csrf, "form": form, "q-overall": "1",
                                                   "q-age": "a"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse)) == 3


def test_closing_shows_at_once_even_when_another_worker_closed_it(app, client):
    survey = make_survey()
    assert client.get(f"/surveys/{survey.slug}").status_code == 200
    assert client.get(f"/surveys/{survey.slug}").status_code == 200  # kept
    # Another worker closes it: this process learns it from the row alone.
    db.session.execute(db.update(Survey).where(Survey.id == survey.id).values(state="closed"))
    db.session.commit()
    closed = app.test_client().get(f"/surveys/{survey.slug}")
    assert closed.status_code == 410 and 'data-code="closed"' in closed.get_data(as_text=True)
    db.session.execute(db.update(Survey).where(Survey.id == survey.id).values(state="open"))
    db.session.commit()
    assert app.test_client().get(f"/surveys/{survey.slug}").status_code == 200


def test_a_survey_past_its_end_is_closed_though_its_page_is_kept(app, client):
    survey = make_survey()
    assert client.get(f"/surveys/{survey.slug}").status_code == 200
    db.session.execute(db.update(Survey).where(Survey.id == survey.id).values(ends_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert app.test_client().get(f"/surveys/{survey.slug}").status_code == 410


def test_a_section_renamed_elsewhere_shows_on_the_next_visit(app, client):
    survey = make_survey([satisfaction()], open_it=False)
    second = save_section(survey, None, {"title": "基本情况"}, actor=None)
    save_question(survey, second, None, single(), actor=None)
    open_survey(survey, actor=None)
    db.session.commit()
    page = client.get(f"/surveys/{survey.slug}").get_data(as_text=True)
    assert "基本情况" in page and "第一部分：总体评价" not in page
    db.session.execute(db.update(SurveySection).where(SurveySection.id != second.id,
                                                      SurveySection.survey_id == survey.id)
                       .values(title="第一部分：总体评价"))
    db.session.commit()
    assert "第一部分：总体评价" in app.test_client().get(f"/surveys/{survey.slug}").get_data(as_text=True)


def test_a_question_listing_areas_is_not_kept_and_shows_new_areas(app, client):
    make_area("东城区")
    survey = make_survey([satisfaction(), {"key": "where", "kind": "area", "text": "您住在哪个区？", "required": True,
                                           "area_level": "district"}])
    first = client.get(f"/surveys/{survey.slug}").get_data(as_text=True)
    assert "东城区" in first and "西城区" not in first
    make_area("西城区")
    db.session.commit()
    again = app.test_client().get(f"/surveys/{survey.slug}").get_data(as_text=True)
    assert "西城区" in again and not app.extensions.get("survey_form_pages", {}).get("pages")


def test_the_browser_language_picks_the_kept_page_of_its_language(app):
    survey = make_survey()
    pages = [app.test_client().get(f"/surveys/{survey.slug}", headers={"Accept-Language": language})
             .get_data(as_text=True) for language in ("zh-TW", "en-US", "zh-TW", "zh-CN")]
    assert '<html lang="zh-Hant">' in pages[0] and '<html lang="zh-Hant">' in pages[2]
    assert '<html lang="en">' in pages[1] and '<html lang="zh-Hans">' in pages[3]
    assert without_tokens(pages[0]) == without_tokens(pages[2])


def test_an_unknown_slug_and_a_draft_are_not_found(app, client):
    draft = make_survey(open_it=False)
    assert client.get(f"/surveys/{draft.slug}").status_code == 404
    assert client.get("/surveys/nosuch").status_code == 404
    assert client.get("/surveys/no%00such").status_code in {400, 404}
