"""Issue #16's browser test: a resident places a pin on the map on a phone and files; the dispatcher sees the case
on the case map, in the grid cell the pin fell in, with nothing blocked by the Content-Security-Policy."""
import json

import pytest

from complaints.models import Case, LocationSource
from portal.auth.models import Role
from portal.extensions import db
from portal.registry.boundaries import import_boundaries
from portal.registry.models import AreaLevel
from tests.browser.test_end_to_end import sign_in
from tests.factories import make_area, make_category, make_user


def square(west, south, size):
    return [[[west, south], [west + size, south], [west + size, south + size], [west, south + size],
             [west, south]]]


@pytest.fixture
def city(live_server):
    district = make_area("示范区", code="D")
    street = make_area("人民街道", level=AreaLevel.STREET, parent=district, code="S")
    west = make_area("柳荫社区", level=AreaLevel.COMMUNITY, parent=street, code="C-1")
    east = make_area("槐树社区", level=AreaLevel.COMMUNITY, parent=street, code="C-2")
    features = [{"type": "Feature", "properties": {"code": code}, "geometry": {"type": "Polygon", "coordinates": ring}}
                for code, ring in (("D", square(120.0, 30.0, 0.02)), ("S", square(120.0, 30.0, 0.02)),
                                   ("C-1", [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.02], [120.0, 30.02],
                                             [120.0, 30.0]]]),
                                   ("C-2", [[[120.01, 30.0], [120.02, 30.0], [120.02, 30.02], [120.01, 30.02],
                                             [120.01, 30.0]]]))]
    result = import_boundaries(json.dumps({"type": "FeatureCollection", "features": features}).encode(), actor=None)
    assert result.ok
    db.session.commit()
    category = make_category("暴露垃圾")
    return {"west": west, "east": east, "category": category,
            "dispatcher": make_user(Role.DISPATCHER, username="dispatcher")}


def csp_errors(page):
    errors = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    return errors


def test_a_pin_placed_on_the_phone_files_the_case_in_that_cell_and_it_shows_on_the_dispatchers_map(
        live_server, phone, desktop, city):
    page = phone.new_page()
    blocked = csp_errors(page)
    page.goto(live_server.url + "/report")
    assert page.locator("#pick-map").is_hidden()
    page.locator("#pick-on-map").click()
    west = page.locator("#pick-map path.ms-area").first  # features come ordered by code: C-1 is the west one
    west.wait_for()
    box = west.bounding_box()
    page.locator("#pick-map").click(position={
        "x": box["x"] + box["width"] / 2 - page.locator("#pick-map").bounding_box()["x"],
        "y": box["y"] + box["height"] / 2 - page.locator("#pick-map").bounding_box()["y"]})
    assert page.locator("#location_source").input_value() == "pin"
    assert page.locator("#latitude").input_value() != ""
    page.locator("#category_id").select_option(label="暴露垃圾")
    page.locator("#description").fill("路口垃圾堆了三天没人清理")
    with page.expect_navigation():
        page.locator("#report-form button[type=submit]:not([name=check])").last.click()
    assert "/report/receipt/" in page.url
    number = page.locator("#case-number").inner_text()
    assert blocked == []

    db.session.expire_all()
    case = db.session.scalars(db.select(Case).where(Case.number == number)).one()
    assert case.area_id == city["west"].id and case.location_source == LocationSource.PIN
    assert 30.0 < case.latitude < 30.02 and 120.0 < case.longitude < 120.01

    staff = sign_in(desktop, live_server, "dispatcher")
    blocked = csp_errors(staff)
    staff.goto(live_server.url + "/console/cases/map?state=open")
    staff.locator('#case-map[data-loaded="1"]').wait_for()
    staff.locator("#case-map path.ms-case").first.click()
    popup = staff.locator(".leaflet-popup-content")
    popup.wait_for()
    assert number in popup.inner_text()
    assert popup.locator("a.ms-next").get_attribute("href") == f"/console/cases/{number}#actions"
    assert blocked == []


def test_the_board_map_and_the_leaders_map_draw_their_data_without_a_csp_violation(live_server, desktop, city):
    from oversight.scorecards.periods import Period
    from portal.city import city_today
    from tests.oversight.board.factories import make_item

    make_item(area=city["west"], title="背街小巷乱堆放", photos=0)
    make_user(Role.LEADER, username="leader")
    page = desktop.new_page()
    blocked = csp_errors(page)
    page.goto(live_server.url + "/board/map")
    page.locator('#board-map[data-loaded="1"]').wait_for()
    page.locator("#board-map path.ms-case").first.click()
    assert "背街小巷乱堆放" in page.locator(".leaflet-popup-content").inner_text()
    staff = sign_in(desktop, live_server, "leader")
    blocked += csp_errors(staff)
    month = Period.containing("month", city_today())  # the city's month
    staff.goto(f"{live_server.url}/console/scorecards/?period={month.key}&area_level=community")
    staff.locator('#leader-map[data-loaded="2"]').wait_for()
    assert staff.locator("#leader-map path.ms-choropleth").count() == 2
    assert blocked == []
