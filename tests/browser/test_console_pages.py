"""The newer console pages in a browser: the boundary import, the Open311 API keys, and the three maps (case map,
board map, leader's choropleth) on a phone and a desktop, in 简体 and 繁體 (and English where it costs nothing).

Every page is watched for console errors, uncaught exceptions and Content-Security-Policy violations, and on the
phone the key elements must not be clipped (an element's scrollWidth beyond its clientWidth is text cut off or
spilling out). Without MAP_TILE_URL (the default, and all a machine without the internet can do) the maps draw the
city's boundaries on a plain background.
"""
import json

import pytest

from oversight.open311 import keys
from oversight.open311.models import ApiKey
from portal.auth.models import Role
from portal.extensions import db
from tests.browser.conftest import DESKTOP, PHONE, LiveServer, horizontal_overflow
from tests.browser.test_end_to_end import sign_in
from tests.browser.test_map import city, square  # noqa: F401 - the fixture
from tests.factories import make_case, make_point, make_user

# Records what the page itself would not show: CSP violations (the event, which also covers blocked inline styles
# that Chromium does not always log), before any of the page's scripts run.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


class Watched:
    """A page whose console errors, uncaught exceptions and CSP violations are collected."""

    def __init__(self, page):
        self.page = page
        self.errors = []
        page.add_init_script(WATCH_CSP)
        page.on("console", lambda message: self.errors.append(f"console: {message.text}")
                if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def problems(self):
        violations = self.page.evaluate("window.__cspViolations || []")
        return self.errors + [f"csp: {violation}" for violation in violations]


def clipped(page, selector):
    """The elements matching ``selector`` whose content is wider than their box (text cut off or overflowing)."""
    return page.evaluate("""selector => Array.from(document.querySelectorAll(selector))
        .filter(el => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
        .map(el => (el.id ? "#" + el.id : el.tagName.toLowerCase()) + ": " + el.textContent.trim().slice(0, 40)
             + " (" + el.scrollWidth + " > " + el.clientWidth + ")")""", selector)


def signed_in(context, live_server, username):
    page = sign_in(context, live_server, username)
    return Watched(page)


def geojson(features):
    return {"name": "boundaries.geojson", "mimeType": "application/geo+json",
            "buffer": json.dumps({"type": "FeatureCollection", "features": features}).encode()}


def feature(code, ring):
    return {"type": "Feature", "properties": {"code": code}, "geometry": {"type": "Polygon", "coordinates": ring}}


# The boundary import ------------------------------------------------------------------------------------------

BOUNDARY_TEXTS = {
    "zh_Hans": {"done": "导入完成。", "counts": "新增或变更边界 3 个，未变 1 个。",
                "bad": "文件不是 GeoJSON（UTF-8 编码的 JSON 文本）。", "nothing": "未导入任何数据"},
    "zh_Hant": {"done": "匯入完成。", "counts": "新增或變更邊界 3 個，未變 1 個。",
                "bad": "檔案不是 GeoJSON（UTF-8 編碼的 JSON 文本）。", "nothing": "未匯入任何資料"},
    "en": {"done": "Import complete.", "counts": "3 boundaries new or changed, 1 unchanged.",
           "bad": "The file is not GeoJSON (UTF-8 JSON text).", "nothing": "Nothing was imported"},
}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_an_admin_imports_boundaries_and_a_bad_file_is_refused_in_their_language(live_server, new_context, city,  # noqa: F811
                                                                               viewport, lang):
    from portal.registry.models import Area

    make_user(Role.ADMIN, username="admin")
    texts = BOUNDARY_TEXTS[lang]
    watched = signed_in(new_context(viewport, lang, live_server.url), live_server, "admin")
    page = watched.page
    page.goto(live_server.url + "/console/boundaries")
    # The fixture imported D, S, C-1 and C-2; the east community now reaches 0.005° further east.
    moved = feature("C-2", [[[120.01, 30.0], [120.025, 30.0], [120.025, 30.02], [120.01, 30.02], [120.01, 30.0]]])
    unchanged = [feature("D", square(120.0, 30.0, 0.03)), feature("S", square(120.0, 30.0, 0.03))]
    page.locator("#boundaries-file").set_input_files(geojson([moved]))
    with page.expect_navigation():
        page.locator("form button.btn-primary").click()
    # D and S were 0.02° squares: the grown C-2 no longer fits them, so the first try is refused, whole.
    assert page.locator("#boundaries-problems").is_visible()
    assert texts["nothing"] in page.locator("#boundaries-problems").inner_text()
    assert page.locator("tr.ms-problem[data-code='C-2']").count() >= 1

    page.locator("#boundaries-file").set_input_files(geojson([moved] + unchanged + [
        feature("C-1", [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.02], [120.0, 30.02], [120.0, 30.0]]])]))
    with page.expect_navigation():
        page.locator("form button.btn-primary").click()
    done = page.locator("#boundaries-done")
    assert texts["done"] in done.inner_text()
    assert texts["counts"] in done.inner_text()  # D, S and C-2 changed, C-1 as it was
    db.session.expire_all()
    east = db.session.scalars(db.select(Area).where(Area.code == "C-2")).one()
    assert east.boundary is not None and "120.025" in json.dumps(east.boundary)

    page.locator("#boundaries-file").set_input_files({"name": "areas.geojson", "mimeType": "application/json",
                                                      "buffer": b"\x00\xff not json"})
    with page.expect_navigation():
        page.locator("form button.btn-primary").click()
    assert page.locator("#boundaries-problems").is_visible()
    assert page.locator("tr.ms-problem").inner_text().strip().endswith(texts["bad"])
    if viewport is PHONE:
        assert horizontal_overflow(page) == 0
        assert clipped(page, "h1, h2, .alert, label, .btn, .form-text, td") == []
    assert watched.problems() == []


# The Open311 API keys -----------------------------------------------------------------------------------------

KEY_TEXTS = {
    "zh_Hans": {"issued": "已为市民App签发新密钥。请立即复制：密钥只显示这一次。",
                "revoked": "市民App的密钥已吊销，不再可用。", "state": "已吊销"},
    "zh_Hant": {"issued": "已為市民App簽發新金鑰。請立即複製：金鑰只顯示這一次。",
                "revoked": "市民App的金鑰已吊銷，不再可用。", "state": "已吊銷"},
    "en": {"issued": "New key for 市民App. Copy it now: it is shown only this once.",
           "revoked": "The key of 市民App is revoked: it no longer works.", "state": "Revoked"},
}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_an_admin_issues_a_key_sees_it_once_and_revokes_it(live_server, new_context, viewport, lang):
    make_user(Role.ADMIN, username="admin")
    texts = KEY_TEXTS[lang]
    watched = signed_in(new_context(viewport, lang, live_server.url), live_server, "admin")
    page = watched.page
    page.goto(live_server.url + "/console/api-keys/")
    page.locator("#system").fill("市民App")
    with page.expect_navigation():
        page.locator("form button.btn-primary").click()
    assert texts["issued"] in page.locator(".alert-success").inner_text()
    key = page.locator("#issued-key").inner_text().strip()
    assert key.startswith("ms311_") and keys.active_key(key).system == "市民App"
    if viewport is PHONE:  # the key is one long word: it must wrap or scroll inside its box, not widen the page
        assert horizontal_overflow(page) == 0
        assert clipped(page, "h1, .alert, label, .btn") == []
        key_box, viewport_width = page.locator("#issued-key").bounding_box(), PHONE["viewport"]["width"]
        assert key_box["x"] >= 0 and key_box["x"] + key_box["width"] <= viewport_width

    page.reload()  # the browser sends the form again: no second key, and the key is not shown again
    assert page.locator("#key-resent").count() == 1 and page.locator("#issued-key").count() == 0
    assert key not in page.content() and key[:12] in page.locator("#key-resent").inner_text()
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiKey)) == 1
    if viewport is PHONE:  # the notice names the key's start: it wraps inside the phone's width
        assert horizontal_overflow(page) == 0 and clipped(page, "#key-resent") == []

    page.goto(live_server.url + "/console/api-keys/")  # opened again: the key is not shown again
    assert page.locator("#issued-key").count() == 0 and key not in page.content()
    with page.expect_navigation():
        page.locator("button.btn-outline-danger").click()
    assert texts["revoked"] in page.locator(".alert").first.inner_text()
    assert texts["state"] in page.locator("tr.ms-inactive").inner_text()
    assert keys.active_key(key) is None
    assert page.locator("button.btn-outline-danger").count() == 0  # nothing left to revoke: no double revoke
    assert watched.problems() == []


# The maps -----------------------------------------------------------------------------------------------------

def drawn(page, selector):
    """What Leaflet put into the map: its panes, tile images, paths and markers."""
    return page.evaluate("""selector => {
        const map = document.querySelector(selector);
        return {leaflet: map.classList.contains("leaflet-container"), plain: map.classList.contains("ms-map-plain"),
                tiles: map.querySelectorAll(".leaflet-tile").length,
                paths: map.querySelectorAll("path").length,
                markers: map.querySelectorAll(".leaflet-marker-icon").length,
                height: map.getBoundingClientRect().height, width: map.getBoundingClientRect().width};
    }""", selector)


def check_map(page, selector, viewport):
    found = drawn(page, selector)
    assert found["leaflet"] and found["plain"], found  # no tile URL: the plain background, no tile requests
    assert found["tiles"] == 0 and found["paths"] + found["markers"] > 0, found
    assert found["height"] >= 200 and found["width"] <= viewport["viewport"]["width"], found
    if viewport is PHONE:
        assert horizontal_overflow(page) == 0
        assert clipped(page, "h1, .btn, label, #map-status, .leaflet-control-attribution") == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_the_three_maps_draw_without_errors_on_a_phone_and_a_desktop(live_server, new_context, city, viewport,  # noqa: F811
                                                                     lang):
    from oversight.scorecards.periods import Period
    from portal.city import city_today
    from tests.oversight.board.factories import make_item

    point = make_point(area=city["west"], name="柳荫路口", latitude=30.01, longitude=120.005)
    make_case(category=city["category"], point=point)
    make_item(area=city["west"], title="背街小巷乱堆放", photos=0)
    make_user(Role.LEADER, username="leader")
    db.session.commit()

    staff = signed_in(new_context(viewport, lang, live_server.url), live_server, "dispatcher")
    staff.page.goto(live_server.url + "/console/cases/map?state=open")
    staff.page.locator('#case-map[data-loaded="1"]').wait_for()
    check_map(staff.page, "#case-map", viewport)
    assert staff.page.locator("#case-map path.ms-case").count() == 1
    assert staff.problems() == []

    resident = Watched(new_context(viewport, lang, live_server.url).new_page())
    resident.page.goto(live_server.url + "/board/map")
    resident.page.locator('#board-map[data-loaded="1"]').wait_for()
    check_map(resident.page, "#board-map", viewport)
    assert resident.problems() == []

    leader = signed_in(new_context(viewport, lang, live_server.url), live_server, "leader")
    month = Period.containing("month", city_today())
    # The dashboard computes every figure of the month: on a busy shared machine it takes more than the usual 10 s.
    leader.page.goto(f"{live_server.url}/console/scorecards/?period={month.key}&area_level=community", timeout=30_000)
    leader.page.locator('#leader-map[data-loaded="2"]').wait_for(timeout=30_000)
    check_map(leader.page, "#leader-map", viewport)
    assert leader.page.locator("#leader-map path.ms-choropleth").count() == 2
    assert leader.problems() == []


def test_with_a_tile_server_that_cannot_be_reached_the_board_map_still_draws_the_city(live_server, make_app, city,  # noqa: F811
                                                                                      new_context):
    """Offline, or the tile contract lapsed: the tiles fail (the browser says so), the page does not break."""
    from tests.oversight.board.factories import make_item

    make_item(area=city["west"], title="背街小巷乱堆放", photos=0)
    db.session.commit()
    app = make_app(WTF_CSRF_ENABLED=True, MAP_TILE_URL="http://127.0.0.1:9/{z}/{x}/{y}.png")  # nothing listens on 9
    server = LiveServer(app).start()
    try:
        watched = Watched(new_context(PHONE, "zh_Hans", server.url).new_page())
        watched.page.goto(server.url + "/board/map")
        watched.page.locator('#board-map[data-loaded="1"]').wait_for()
        found = drawn(watched.page, "#board-map")
        assert found["leaflet"] and not found["plain"] and found["tiles"] > 0, found  # it did ask for tiles
        assert found["paths"] > 0 and found["height"] >= 200, found  # and drew the areas and the item anyway
        watched.page.locator("#board-map path.ms-case").first.click()
        assert "背街小巷乱堆放" in watched.page.locator(".leaflet-popup-content").inner_text()
        assert horizontal_overflow(watched.page) == 0
        refused = [p for p in watched.problems() if "Failed to load resource" not in p]
        assert refused == []  # no CSP violation: the tile host is in img-src; no script error
    finally:
        server.stop()
