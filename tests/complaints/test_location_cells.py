"""A report's position places it in the grid cell holding it (事件先属地), and routing follows that cell; the placard's
point still wins; edges, holes and positions outside every cell behave as documented in portal.registry.cells."""
import json
import uuid

import pytest

from complaints.models import Case, LocationSource
from portal.auth.models import Role
from portal.extensions import db
from portal.registry import cells, qr
from portal.registry.boundaries import import_boundaries, set_boundary
from portal.registry.models import AreaLevel, CategoryKind
from portal.registry.services import suggest_unit
from tests.complaints.test_intake import post_report
from tests.factories import make_area, make_category, make_point, make_rule, make_unit, make_user


def square(west, south, width, height=None):
    height = width if height is None else height
    return [[west, south], [west + width, south], [west + width, south + height], [west, south + height],
            [west, south]]


def feature(code, *rings):
    return {"type": "Feature", "properties": {"code": code}, "geometry": {"type": "Polygon", "coordinates": rings}}


@pytest.fixture
def client(english_client):
    return english_client


@pytest.fixture
def city(app):
    """District 120.00–120.10 E × 30.00–30.10 N; west street (to 120.05) holds cells G-1 (to 120.025, with a hole
    at 120.005–120.010 × 30.005–30.010) and G-2 (120.025–120.05), both 30.00–30.05 N; the east street has cell G-3.
    Each street has its own office for street order (an event category)."""
    district = make_area("示范区", code="D")
    west = make_area("西街道", level=AreaLevel.STREET, parent=district, code="S-W")
    east = make_area("东街道", level=AreaLevel.STREET, parent=district, code="S-E")
    g1 = make_area("第1网格", level=AreaLevel.GRID, parent=west, code="G-1")
    g2 = make_area("第2网格", level=AreaLevel.GRID, parent=west, code="G-2")
    g3 = make_area("第3网格", level=AreaLevel.GRID, parent=east, code="G-3")
    # G-2 comes before G-1 in the file: the edge rule must not depend on the order of import.
    result = import_boundaries(json.dumps({"type": "FeatureCollection", "features": [
        feature("D", square(120.0, 30.0, 0.1)),
        feature("S-W", square(120.0, 30.0, 0.05, 0.1)), feature("S-E", square(120.05, 30.0, 0.05, 0.1)),
        feature("G-2", square(120.025, 30.0, 0.025, 0.05)),
        feature("G-1", square(120.0, 30.0, 0.025, 0.05), square(120.005, 30.005, 0.005)),
        feature("G-3", square(120.05, 30.0, 0.05, 0.05)),
    ]}).encode(), actor=None)
    assert result.ok, [str(p.message) for p in result.problems]
    db.session.commit()
    street_order = make_category("占道经营", name_en="Street vending", kind=CategoryKind.EVENT)
    west_office, east_office = make_unit("西街道办"), make_unit("东街道办")
    make_rule(street_order, west_office, area=west)
    make_rule(street_order, east_office, area=east)
    return {"D": district, "S-W": west, "S-E": east, "G-1": g1, "G-2": g2, "G-3": g3,
            "category": street_order, "west_office": west_office, "east_office": east_office}


def report(client, city, query="", **fields):
    data = {"category_id": str(city["category"].id), "description": "人行道上有人摆摊",
            "idempotency_key": uuid.uuid4().hex}
    data.update({k: str(v) for k, v in fields.items()})
    response = post_report(client, data, query)
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(db.select(Case).order_by(Case.id.desc())).first()


def test_the_phones_position_places_the_report_in_its_grid_cell_and_routing_follows_the_cell(client, city):
    case = report(client, city, latitude="30.02", longitude="120.07")
    assert case.area_id == city["G-3"].id and case.location_source == LocationSource.GPS
    assert suggest_unit(case.category, area=case.area).unit.id == city["east_office"].id


def test_a_position_on_the_edge_of_two_cells_goes_to_the_cell_with_the_smaller_code(client, city):
    case = report(client, city, latitude="30.02", longitude="120.025")
    assert case.area_id == city["G-1"].id


def test_a_corner_shared_by_three_areas_goes_to_the_deepest_with_the_smaller_code(app, city):
    # 120.05 E, 30.02 N is on G-2's east edge and G-3's west edge: both cells, G-2 wins by its code.
    assert cells.cell_id_at(30.02, 120.05) == city["G-2"].id


def test_a_position_in_a_cells_hole_belongs_to_the_area_around_it(client, city):
    case = report(client, city, latitude="30.0075", longitude="120.0075")
    assert case.area_id == city["S-W"].id
    assert suggest_unit(case.category, area=case.area).unit.id == city["west_office"].id


def test_a_position_outside_every_boundary_falls_back_to_the_nearest_point(client, city):
    elsewhere = make_area("北京某区")
    make_point(elsewhere, name="天安门公厕", latitude=39.9, longitude=116.4)
    case = report(client, city, latitude="39.9001", longitude="116.4001")
    assert case.area_id == elsewhere.id and case.location_source == LocationSource.GPS


def test_a_position_outside_every_boundary_and_far_from_points_asks_for_the_area(client, city):
    page = post_report(client, {"category_id": str(city["category"].id), "description": "人行道上有人摆摊",
                                "idempotency_key": uuid.uuid4().hex, "latitude": "31.5", "longitude": "121.5"})
    assert page.status_code == 422 and "Choose the area where the problem is" in page.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 0


def test_a_pin_wins_over_the_area_chosen_from_the_list(client, city):
    case = report(client, city, area_id=city["S-W"].id, latitude="30.02", longitude="120.07", location_source="pin")
    assert case.area_id == city["G-3"].id and case.location_source == LocationSource.PIN


def test_the_chosen_area_wins_over_a_phone_position_elsewhere_but_is_narrowed_to_the_cell_inside_it(client, city):
    elsewhere = report(client, city, area_id=city["S-W"].id, latitude="30.02", longitude="120.07")
    assert elsewhere.area_id == city["S-W"].id and elsewhere.location_source == LocationSource.LIST
    inside = report(client, city, area_id=city["S-W"].id, latitude="30.02", longitude="120.03")
    assert inside.area_id == city["G-2"].id and inside.location_source == LocationSource.GPS


def test_the_placards_point_wins_over_the_phones_position(app, client, city):
    point = make_point(city["G-1"], name="西街公厕", latitude=30.01, longitude=120.01)
    with app.test_request_context():
        token = qr.token_for(point)
    case = report(client, city, query=f"?t={token}", latitude="30.02", longitude="120.07")
    assert case.point_id == point.id and case.area_id == city["G-1"].id
    assert case.location_source == LocationSource.QR


def test_a_report_without_a_position_records_the_list_as_its_source(client, city):
    case = report(client, city, area_id=city["G-2"].id)
    assert case.area_id == city["G-2"].id and case.location_source == LocationSource.LIST


def test_an_inactive_cell_places_nothing(app, city):
    from portal.registry.services import set_active

    set_active(city["G-3"], False, actor=None)
    db.session.commit()
    cells.forget_cells()
    assert cells.cell_id_at(30.02, 120.07) == city["S-E"].id


def test_the_index_is_rebuilt_in_another_process_when_boundaries_change(app, city, monkeypatch):
    assert cells.cell_id_at(30.07, 120.07) == city["S-E"].id
    # Another process (the console) moves G-3 north; this process did not forget its index.
    from shapely.geometry import Polygon
    set_boundary(city["G-3"], Polygon(square(120.05, 30.05, 0.05)))
    db.session.commit()
    assert cells.cell_id_at(30.07, 120.07) == city["S-E"].id  # not looked at yet: within RECHECK_SECONDS
    monkeypatch.setattr(cells, "RECHECK_SECONDS", 0)
    assert cells.cell_id_at(30.07, 120.07) == city["G-3"].id


def test_the_staff_case_page_shows_how_the_location_was_obtained(client, city, login):
    case = report(client, city, latitude="30.02", longitude="120.07", location_source="pin")
    login(make_user(Role.DISPATCHER))
    page = client.get(f"/console/cases/{case.number}").get_data(as_text=True)
    assert 'id="location-source" data-source="pin"' in page and "Pin placed on the map" in page
    assert "30.020000, 120.070000" in page


def test_a_pin_placed_on_gcj02_tiles_is_stored_in_wgs84(make_app, login):
    app = make_app(MAP_TILE_CRS="gcj02")
    with app.app_context():
        street = make_area("浦东某街道")
        category = make_category("占道经营", name_en="Street vending")
        client = app.test_client()
        # eviltransform's published Shanghai pair: GCJ-02 31.17530398364597, 121.531541859215 is WGS-84
        # 31.1774276, 121.5272106.
        response = post_report(client, {"category_id": str(category.id), "description": "人行道上有人摆摊",
                                        "idempotency_key": uuid.uuid4().hex, "area_id": str(street.id),
                                        "latitude": "31.175304", "longitude": "121.531542", "location_source": "pin"})
        assert response.status_code == 302
        case = db.session.scalars(db.select(Case)).one()
        assert (case.latitude, case.longitude) == (31.177428, 121.527211)
        assert case.area_id == street.id and case.location_source == LocationSource.LIST
