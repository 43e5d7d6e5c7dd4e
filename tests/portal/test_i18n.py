"""Three languages: how a request's language is chosen, and what each language shows."""
import pytest

from portal.auth.models import Role
from portal.i18n import locale_from_tag
from tests.factories import make_point, make_user


@pytest.mark.parametrize("tag, locale", [
    ("zh-CN", "zh_Hans"), ("zh", "zh_Hans"), ("zh-Hans-SG", "zh_Hans"), ("zh-TW", "zh_Hant"),
    ("zh-HK", "zh_Hant"), ("zh-Hant", "zh_Hant"), ("en-US", "en"), ("fr-FR", None),
])
def test_browser_language_tags_map_to_our_three_languages(tag, locale):
    assert locale_from_tag(tag) == locale


def html_lang(response):
    page = response.get_data(as_text=True)
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


def test_default_language_is_simplified_chinese(client):
    assert html_lang(client.get("/")) == "zh-Hans"


def test_accept_language_picks_traditional_or_english(client):
    assert html_lang(client.get("/", headers={"Accept-Language": "zh-TW,zh;q=0.8"})) == "zh-Hant"
    assert html_lang(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})) == "en"
    assert html_lang(client.get("/", headers={"Accept-Language": "fr-FR"})) == "zh-Hans"


def test_switcher_choice_sticks_in_a_cookie_and_beats_the_browser(client):
    response = client.get("/?lang=en", headers={"Accept-Language": "zh-CN"})
    assert html_lang(response) == "en" and "lang=en" in response.headers["Set-Cookie"]
    assert html_lang(client.get("/", headers={"Accept-Language": "zh-CN"})) == "en"
    assert html_lang(client.get("/?lang=zh_Hant")) == "zh-Hant"


def test_every_page_offers_the_language_switcher(app, client, login):
    """Each public page without parameters, and a console page, links to itself in the other two languages."""
    paths = sorted(rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and not rule.arguments
                   and not rule.rule.startswith(("/static", "/console", "/api")))
    checked = []
    for path in paths:
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue  # a feed, a redirect, a file
        page = response.get_data(as_text=True)
        for code in ("zh_Hant", "en"):
            assert f'href="{path}?lang={code}"' in page, (path, code)
        checked.append(path)
    assert {"/", "/report", "/board/"} <= set(checked), checked
    login(make_user(Role.DISPATCHER))
    console = client.get("/console/?lang=en").get_data(as_text=True)
    assert 'href="/console/?lang=zh_Hans"' in console and 'href="/console/?lang=zh_Hant"' in console


def test_public_pages_speak_the_chosen_language(client):
    assert "Report a problem" in client.get("/?lang=en").get_data(as_text=True)
    assert "反映问题" in client.get("/?lang=zh_Hans").get_data(as_text=True)
    assert "反映問題" in client.get("/?lang=zh_Hant").get_data(as_text=True)


def test_place_names_follow_the_language_with_automatic_traditional(app, client):
    from portal.registry.services import save

    point = make_point(name="东华菜市场")
    save(point, {"name_en": "Donghua Market"}, actor=None)
    from portal.extensions import db

    db.session.commit()
    from portal.registry import qr

    with app.test_request_context():
        token = qr.point_url(point).rsplit("/", 1)[1]
    assert "Donghua Market" in client.get(f"/report?t={token}&lang=en").get_data(as_text=True)
    assert "東華菜市場" in client.get(f"/report?t={token}&lang=zh_Hant").get_data(as_text=True)
    assert "东华菜市场" in client.get(f"/report?t={token}&lang=zh_Hans").get_data(as_text=True)


def test_built_in_form_messages_follow_the_language_too(client):
    def errors(lang):
        page = client.post(f"/login?lang={lang}", data={"username": "", "password": ""}).get_data(as_text=True)
        return page.split('invalid-feedback d-block">', 1)[1].split("<", 1)[0]

    assert errors("zh_Hans") == "该字段是必填字段。"
    assert errors("zh_Hant") == "此欄位是必需的。"
    assert errors("en") == "This field is required."


@pytest.mark.parametrize(("query", "headers", "expected"), [
    ("?lang=en", {}, "en"), ("", {"Accept-Language": "zh-TW,zh;q=0.8"}, "zh_Hant"), ("", {}, "zh_Hans")])
def test_each_request_gets_the_chosen_language_as_one_kept_babel_locale(app, query, headers, expected):
    from flask_babel import get_locale

    seen = []
    for _ in range(2):
        with app.test_request_context(f"/surveys/{query}", headers=headers):
            seen.append(get_locale())
    assert str(seen[0]) == expected
    assert seen[0] is seen[1]  # parsed once per process, not on every request
