"""Issue #12, end-to-end tests 3 and 4: a citizen answers a survey on a phone and reloads halfway without losing
anything; the language switcher on the resident pages, in all three languages, without overflow on a 390 px phone."""
import pytest

from portal.extensions import db
from surveys.response_models import SurveyAnswer, SurveyResponse
from tests.browser.conftest import horizontal_overflow
from tests.factories import make_area, make_case, make_category, make_point, make_unit
from tests.surveys.factories import make_survey, satisfaction, single, text


def test_a_citizen_reloads_a_survey_halfway_keeps_the_answers_and_submits_once(live_server, phone):
    survey = make_survey([satisfaction(), single("age"), text("comment")])
    page = phone.new_page()
    page.goto(f"{live_server.url}/surveys/{survey.slug}")
    page.locator("label[for=q-overall-2]").click()  # 基本满意
    page.locator("label[for=q-age-b]").click()  # 18-60岁
    page.locator("[name=q-comment]").fill("公厕要多打扫")

    page.reload()

    assert page.locator("#q-overall-2").is_checked()
    assert page.locator("#q-age-b").is_checked()
    assert page.locator("[name=q-comment]").input_value() == "公厕要多打扫"
    assert db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse)) == 0  # nothing sent yet
    with page.expect_navigation():
        page.locator("#survey-form button[type=submit]").click()
    assert "/done/" in page.url
    assert horizontal_overflow(page) == 0

    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(SurveyResponse)) == 1
    question_ids = db.session.scalars(db.select(SurveyAnswer.question_id)).all()
    assert len(set(question_ids)) == 3  # overall, age and the comment, all given before the reload

    page.goto(f"{live_server.url}/surveys/{survey.slug}")  # the kept answers were cleared once sent
    assert not page.locator("#q-overall-2").is_checked()


LANGUAGES = [("zh_Hant", "繁體中文", "zh-Hant"), ("en", "English", "en"), ("zh_Hans", "简体中文", "zh-Hans")]


@pytest.fixture
def resident_pages(live_server):
    area = make_area("示范区")
    # Names as long as the demo city's, in English too: they set the width of the board's filter menus.
    make_unit("市城市管理综合行政执法局", name_en="Municipal Bureau of Urban Management and Law Enforcement")
    category = make_category("公厕问题", name_en="Public toilet problems (dirty, broken, smelly)")
    point = make_point(area, name="人民公园公厕")
    survey = make_survey()
    case = make_case(category=category, point=point)
    return {"home": "/", "report form": f"/report?p={point.id}", "tracking lookup": "/track",
            "tracking (SMS link)": f"/track/{case.number}", "survey": f"/surveys/{survey.slug}",
            "board": "/board/"}


@pytest.mark.parametrize("page_name", ["home", "report form", "tracking lookup", "tracking (SMS link)", "survey",
                                       "board"])
def test_the_language_switcher_works_on_a_resident_page_without_overflow(live_server, phone, resident_pages,
                                                                         page_name):
    page = phone.new_page()
    page.goto(live_server.url + resident_pages[page_name])
    overflow = {}
    for code, label, html_lang in LANGUAGES:
        with page.expect_navigation():
            page.locator(".ms-lang a", has_text=label).click()
        assert page.evaluate("document.documentElement.lang") == html_lang
        assert page.locator(".ms-lang strong").inner_text() == label  # the current language is marked
        overflow[code] = horizontal_overflow(page)
    assert overflow == {"zh_Hant": 0, "en": 0, "zh_Hans": 0}
