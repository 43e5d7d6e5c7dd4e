"""``make screenshots``: PNGs of the main pages in the three languages, from the demo city, into docs/screenshots/.

The demo city (``flask seed-demo``) is built in a temporary SQLite database, served on a free local port and
photographed with Debian's headless Chromium (the browser tests' settings): the resident pages on a 390×844 phone,
the staff pages on a desktop. The maps are drawn without MAP_TILE_URL, as offline (and in a city without a tile
contract): the city's boundaries on a plain background, no tile requested. Run with the project's venv:
``.venv/bin/python -m tests.browser.screenshots``.
"""
import logging
import sys
import tempfile
from pathlib import Path

from flask_migrate import upgrade
from PIL import Image
from playwright.sync_api import sync_playwright

from composition import create_app
from composition.demo import DEMO_PASSWORD, seed_demo_city
from portal.config import ROOT
from portal.extensions import db
from portal.registry.models import Point
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, LiveServer, _unavailable_reason, jpeg_upload
from tests.browser.test_end_to_end import sign_in

OUT = ROOT / "docs" / "screenshots"
LANGUAGES = ("zh_Hans", "zh_Hant", "en")


def build_demo_city(folder):
    app = create_app({"SECRET_KEY": "screenshots", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.db",
                      "UPLOAD_FOLDER": str(Path(folder) / "uploads"), "RATELIMIT_ENABLED": False,
                      "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        seed_demo_city()
        slug = ensure_open_survey()
        db.session.commit()
        point = db.session.scalars(db.select(Point).where(Point.active.is_(True)).order_by(Point.id)).first()
        return app, point.id, slug


def ensure_open_survey():
    """The demo city's survey, or (before the demo seeds one) a short satisfaction survey opened for the picture."""
    from surveys.models import Survey, SurveyState
    from surveys.services import create_survey, open_survey, save_question

    existing = db.session.scalars(db.select(Survey).where(Survey.state == SurveyState.OPEN).order_by(Survey.id)).first()
    if existing is not None:
        return existing.slug
    survey = create_survey({"title": "2026年城市环境卫生满意度调查", "kind": "questionnaire", "method": "qr_open",
                            "guarantee": "open", "scale": 3, "satisfied_levels": [1, 2], "target_percent": 90},
                           actor=None)
    section = survey.sections[0]
    save_question(survey, section, None, {"key": "overall", "kind": "satisfaction", "headline": True,
                                          "text": "您对本市环境卫生状况是否满意？", "required": True}, actor=None)
    save_question(survey, section, None, {"key": "aspects", "kind": "matrix", "text": "请评价以下方面",
                                          "required": True, "items": [{"value": f"i{n}", "label": label} for n, label in
                                                    enumerate(("道路清扫", "公厕卫生", "农贸市场", "垃圾清运"), 1)]},
                  actor=None)
    save_question(survey, section, None, {"key": "comment", "kind": "long_text", "text": "您的意见和建议",
                                          "required": False}, actor=None)
    open_survey(survey, actor=None)
    return survey.slug




PHONE_SHOT = {**PHONE, "device_scale_factor": 2}
MAX_SCREENS = 2  # a long phone page is cut after two screens


def shoot(page, name, lang, full_page=True, element=None):
    """``element``: a locator, photographed alone (a section further down a page)."""
    path = OUT / f"{name}-{lang}.png"
    if element is not None:
        element.screenshot(path=str(path))
    elif full_page:
        viewport = page.viewport_size
        height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_SCREENS * viewport["height"])
        page.screenshot(path=str(path), full_page=True,
                        clip={"x": 0, "y": 0, "width": viewport["width"], "height": height})
    else:
        page.screenshot(path=str(path))
    # 256 colours without dithering: text stays sharp and the files (kept in git) are a third of the size.
    image = Image.open(path).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"  {path.relative_to(ROOT)}")


def resident_pages(browser, url, lang, point_id, survey_slug):
    context = browser.new_context(**PHONE_SHOT)
    context.add_cookies([{"name": "lang", "value": lang, "url": url}])
    page = context.new_page()
    page.goto(url + "/")
    shoot(page, "home", lang)
    page.goto(f"{url}/report?p={point_id}")
    shoot(page, "report-form", lang)
    page.locator("#category_id option[value]:not([value=''])").first.wait_for(state="attached")
    first = page.locator("#category_id option:not([value=''])").first.get_attribute("value")
    page.locator("#category_id").select_option(first)
    page.locator("#description").fill("公厕里的水龙头坏了，一直在漏水，地面很滑。")
    page.locator("#photos").set_input_files([jpeg_upload((120, 130, 120), (640, 480))])
    with page.expect_navigation():
        page.locator("#report-form button[type=submit]:not([name=check])").last.click()
    shoot(page, "receipt", lang)
    page.locator(".weui-btn-area a[href^='/track/']").click()  # not the language switcher's links
    page.wait_for_url("**/track/*")
    shoot(page, "tracking", lang)
    page.goto(f"{url}/surveys/{survey_slug}")
    shoot(page, "survey", lang)
    page.goto(f"{url}/board/")
    shoot(page, "board", lang)
    page.goto(f"{url}/board/honours/")
    shoot(page, "honours", lang)
    page.goto(f"{url}/board/map")
    page.locator("#board-map[data-loaded]").wait_for()
    shoot(page, "board-map", lang, full_page=False)
    context.close()


def boundaries_check(page, url):
    """The boundary import after checking the city's own export (check only): what an admin sees before importing."""
    page.goto(url + "/console/boundaries")
    exported = page.request.get(url + "/console/boundaries.geojson").body()
    page.locator("#boundaries-file").set_input_files({"name": "boundaries.geojson", "mimeType": "application/geo+json",
                                                      "buffer": exported})
    page.locator("#dry_run").check()
    with page.expect_navigation():
        page.locator("form button.btn-primary").click()
    page.locator("#boundaries-done").wait_for()


def issued_key(page, url):
    """A key just issued (shown this once) above the list with the demo city's example key."""
    page.goto(url + "/console/api-keys/")
    page.locator("#system").fill("12345热线平台")
    with page.expect_navigation():
        page.locator("form button.btn-primary").click()
    page.locator("#issued-key").wait_for()


def leader_map(page, url):
    """The leader's choropleth: the dashboard's map section alone."""
    page.goto(url + "/console/scorecards/")
    page.locator("#leader-map[data-loaded]").wait_for()
    return page.locator("section:has(#leader-map)")


# (picture, path or a function that opens the page) for each demo login. Maps draw without MAP_TILE_URL (no tiles
# offline): the city's boundaries on the plain background, as a city without a tile contract sees them.
STAFF_PAGES = (
    ("dispatcher", (("dispatcher-home", "/console/"), ("cases-list", "/console/cases/"),
                    ("case-map", "/console/cases/map?state=open"))),
    ("leader", (("scorecards-dashboard", "/console/scorecards/"), ("scorecards-map", leader_map))),
    ("admin", (("boundaries", boundaries_check), ("api-keys", issued_key))),
)


def staff_pages(browser, server, lang):
    url = server.url
    for username, pages in STAFF_PAGES:
        context = browser.new_context(**DESKTOP)
        context.add_cookies([{"name": "lang", "value": lang, "url": url}])
        page = sign_in(context, server, username, DEMO_PASSWORD)
        for name, path in pages:
            element = None  # the whole first screen, unless the opener names a part
            if callable(path):
                element = path(page, url)
            else:
                page.goto(url + path)
            page.wait_for_load_state("networkidle")
            shoot(page, name, lang, full_page=False, element=element)  # the first screen: what a desk user sees
        context.close()


def main():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per picture, not per request
    reason = _unavailable_reason()
    if reason:
        print(f"screenshots: {reason}", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        print("Building the demo city in a temporary SQLite database ...")
        app, point_id, survey_slug = build_demo_city(folder)
        server = LiveServer(app).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                for lang in LANGUAGES:
                    print(f"{lang}:")
                    resident_pages(browser, server.url, lang, point_id, survey_slug)
                    staff_pages(browser, server, lang)
                browser.close()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
