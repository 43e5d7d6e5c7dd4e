"""The board's public map: published items only, at their point or inside their area, with the board's filters,
and never a reporter's own position."""
import json

import pytest

from oversight.board.models import EditorialState
from portal.extensions import db
from portal.registry.boundaries import import_boundaries
from portal.registry.models import AreaLevel
from tests.factories import make_area, make_case, make_category, make_point, make_unit
from tests.oversight.board.factories import make_item


@pytest.fixture
def client(english_client):
    return english_client


@pytest.fixture
def places(app):
    district = make_area("示范区", code="D")
    street = make_area("人民街道", level=AreaLevel.STREET, parent=district, code="S")
    # An L-shaped street: its bounding box's centre (120.0075, 30.0075) is outside it.
    ring = [[120.0, 30.0], [120.015, 30.0], [120.015, 30.005], [120.005, 30.005], [120.005, 30.015], [120.0, 30.015],
            [120.0, 30.0]]
    result = import_boundaries(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "S"}, "geometry": {"type": "Polygon", "coordinates": [ring]}},
    ]}).encode(), actor=None)
    assert result.ok
    db.session.commit()
    return {"district": district, "street": street}


def test_published_items_are_placed_at_their_point_or_inside_their_area_and_drafts_are_not(client, places):
    point = make_point(places["street"], name="人民路农贸市场", latitude=30.002, longitude=120.012)
    at_point = make_item(point=point, title="农贸市场门口垃圾", photos=0)
    in_area = make_item(area=places["street"], title="背街小巷乱堆放", photos=0)
    make_item(EditorialState.DRAFT, point=point, title="草稿不公开", photos=0)
    items = client.get("/board/map.json").get_json()["items"]
    assert {i["title"] for i in items} == {"农贸市场门口垃圾", "背街小巷乱堆放"}
    by_title = {i["title"]: i for i in items}
    assert (by_title["农贸市场门口垃圾"]["lat"], by_title["农贸市场门口垃圾"]["lng"]) == (30.002, 120.012)
    assert by_title["农贸市场门口垃圾"]["url"] == f"/board/items/{at_point.id}"
    from shapely.geometry import Point, shape
    spot = Point(by_title["背街小巷乱堆放"]["lng"], by_title["背街小巷乱堆放"]["lat"])
    assert shape(places["street"].boundary).contains(spot)
    assert by_title["背街小巷乱堆放"]["url"] == f"/board/items/{in_area.id}"


def test_a_linked_cases_own_position_never_reaches_the_map(client, places):
    category = make_category("暴露垃圾")
    case = make_case(category=category, area=places["street"], latitude=30.0123, longitude=120.0011)
    make_item(area=places["street"], cases=[case], photos=0)
    body = client.get("/board/map.json").get_data(as_text=True)
    assert "30.0123" not in body and "120.0011" not in body


def test_the_board_filters_apply_to_the_map(client, places):
    unit, other = make_unit("市环卫处"), make_unit("市政处")
    make_item(area=places["street"], unit=unit, title="环卫的", photos=0)
    make_item(area=places["street"], unit=other, title="市政的", photos=0)
    items = client.get(f"/board/map.json?unit={unit.id}").get_json()["items"]
    assert [i["title"] for i in items] == ["环卫的"]


def test_the_board_links_to_its_map_with_the_same_filters(client, places):
    unit = make_unit("市环卫处")
    page = client.get(f"/board/?unit={unit.id}").get_data(as_text=True)
    assert f'href="/board/map?unit={unit.id}" id="board-map-link"' in page
    map_page = client.get(f"/board/map?unit={unit.id}").get_data(as_text=True)
    assert f'data-url="/board/map.json?unit={unit.id}"' in map_page and 'data-tiles-url=""' in map_page
