"""The leader's map beside the scorecards: cases per 10,000 residents per area (the scorecards' own counts), and
heat points grouped on the server from the period's case positions."""
import json

import pytest

from portal.auth.models import Role
from portal.extensions import db
from portal.registry.boundaries import import_boundaries
from portal.registry.models import AreaLevel
from tests.factories import make_area, make_category, make_user
from tests.oversight.scorecards.helpers import local, put_case

NOVEMBER = "month:2026-11"


@pytest.fixture
def client(english_client):
    return english_client


def square(west, south, size):
    return [[[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]]


@pytest.fixture
def city(app):
    district = make_area("东城区", code="D")
    north = make_area("北街道", level=AreaLevel.STREET, parent=district, code="S-N")
    south = make_area("南街道", level=AreaLevel.STREET, parent=district, code="S-S")
    features = [{"type": "Feature", "properties": {"code": code, **extra},
                 "geometry": {"type": "Polygon", "coordinates": ring}}
                for code, ring, extra in (("D", square(120.0, 30.0, 0.02), {}),
                                          ("S-N", [[[120.0, 30.01], [120.02, 30.01], [120.02, 30.02], [120.0, 30.02],
                                                    [120.0, 30.01]]], {"population": 20000}),
                                          ("S-S", [[[120.0, 30.0], [120.02, 30.0], [120.02, 30.01], [120.0, 30.01],
                                                    [120.0, 30.0]]], {}))]
    assert import_boundaries(json.dumps({"type": "FeatureCollection", "features": features}).encode(),
                             actor=None).ok
    category = make_category("暴露垃圾")
    for day in (2, 3, 4):  # three in the north street in November, all at the same spot
        case = put_case(category=category, area=north, received=local(2026, 11, day, 9))
        case.latitude, case.longitude = 30.015, 120.01
    october = put_case(category=category, area=north, received=local(2026, 10, 20, 9))
    october.latitude, october.longitude = 30.015, 120.01
    southern = put_case(category=category, area=south, received=local(2026, 11, 5, 9))
    southern.latitude, southern.longitude = 30.005, 120.01
    db.session.commit()
    return {"north": north, "south": south}


def test_the_choropleth_counts_the_periods_cases_per_10000_residents_where_the_population_is_known(
        client, login, city):
    login(make_user(Role.LEADER))
    data = client.get(f"/console/scorecards/map.json?period={NOVEMBER}&area_level=street").get_json()
    areas = {f["properties"]["code"]: f["properties"] for f in data["areas"]["features"]}
    assert areas["S-N"]["count"] == 3 and areas["S-N"]["value"] == pytest.approx(1.5)  # 3 × 10,000 / 20,000
    assert areas["S-N"]["label"] == "3 cases, 1.5 per 10,000 residents"
    assert areas["S-S"]["count"] == 1 and areas["S-S"]["value"] is None
    assert areas["S-S"]["label"] == "1 case (population unknown)"
    assert data["per_resident"] is True


def test_the_heat_points_are_the_periods_positions_grouped_with_their_weight(client, login, city):
    login(make_user(Role.LEADER))
    points = client.get(f"/console/scorecards/map.json?period={NOVEMBER}").get_json()["points"]
    assert sorted(points) == [[30.005, 120.01, 1], [30.015, 120.01, 3]]  # October's case is left out


def test_the_dashboard_shows_the_map_beside_the_scorecards(client, login, city):
    login(make_user(Role.LEADER))
    page = client.get(f"/console/scorecards/?period={NOVEMBER}").get_data(as_text=True)
    assert 'data-map-kind="heat"' in page and "/console/scorecards/map.json?period=month:2026-11" in page
    assert "leaflet-heat" in page


def test_the_map_data_is_for_staff_who_see_scorecards(client, login, city):
    login(make_user(Role.HANDLER))
    assert client.get(f"/console/scorecards/map.json?period={NOVEMBER}").status_code == 403
