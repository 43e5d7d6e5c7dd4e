"""The dispatcher's case map: the list's filters and scope, clusters made on the server, a popup's next step, and
bad boxes refused with a clear message."""
import pytest

from complaints import handling
from complaints.console import casemap
from complaints.models import CaseState
from portal.auth.models import Role
from portal.extensions import db
from portal.registry.models import AreaLevel
from tests.factories import make_area, make_case, make_category, make_point, make_unit, make_user

CITY_BOX = "120.0,30.0,120.2,30.2"


@pytest.fixture
def client(english_client):
    return english_client


@pytest.fixture
def places(app):
    district = make_area("示范区")
    street = make_area("人民街道", level=AreaLevel.STREET, parent=district)
    other = make_area("河西街道", level=AreaLevel.STREET, parent=district)
    category = make_category("暴露垃圾", name_en="Exposed rubbish")
    return {"street": street, "other": other, "category": category}


def map_json(client, zoom=12, bbox=CITY_BOX, **filters):
    response = client.get("/console/cases/map.json", query_string={"bbox": bbox, "zoom": zoom, **filters})
    return response


def test_cases_close_together_come_back_as_one_cluster_and_a_lone_case_as_itself(client, login, places):
    # Three cases within ~30 m of each other and one 5 km away. At zoom 12 a cluster square is
    # 360 / 4096 * 60 / 256 ≈ 0.0206°: the three share a square, the lone one has its own.
    for i in range(3):
        make_case(category=places["category"], area=places["street"], latitude=30.1 + i * 0.0001,
                  longitude=120.1 + i * 0.0001)
    lone = make_case(category=places["category"], area=places["street"], latitude=30.05, longitude=120.05)
    login(make_user(Role.DISPATCHER))
    data = map_json(client).get_json()
    assert data["total"] == 4
    assert [c["count"] for c in data["clusters"]] == [3]
    assert (data["clusters"][0]["lat"], data["clusters"][0]["lng"]) == pytest.approx((30.1001, 120.1001))
    [single] = data["cases"]
    assert single["number"] == lone.number and single["url"] == f"/console/cases/{lone.number}"
    assert single["next"] == "File or reject (立案)" and single["category"] == "Exposed rubbish"


def test_zooming_in_splits_the_cluster_into_cases(client, login, places):
    for i in range(3):
        make_case(category=places["category"], area=places["street"], latitude=30.1 + i * 0.001,
                  longitude=120.1)
    login(make_user(Role.DISPATCHER))
    # At zoom 18 a square is ≈ 0.00032°: 0.001° apart is three squares.
    data = map_json(client, zoom=18, bbox="120.09,30.09,120.11,30.11").get_json()
    assert data["clusters"] == [] and len(data["cases"]) == 3


def test_a_case_without_its_own_position_is_placed_at_its_point_and_one_without_either_is_left_out(
        client, login, places):
    point = make_point(places["street"], latitude=30.12, longitude=120.12)
    at_point = make_case(category=places["category"], point=point)
    make_case(category=places["category"], area=places["street"])  # no position anywhere
    login(make_user(Role.DISPATCHER))
    data = map_json(client).get_json()
    assert data["total"] == 1 and data["cases"][0]["number"] == at_point.number
    assert (data["cases"][0]["lat"], data["cases"][0]["lng"]) == (30.12, 120.12)


def test_the_lists_filters_apply_state_area_and_unit(client, login, places):
    here = make_case(category=places["category"], area=places["street"], latitude=30.1, longitude=120.1)
    there = make_case(category=places["category"], area=places["other"], latitude=30.05, longitude=120.05)
    dispatcher = make_user(Role.DISPATCHER)
    unit = make_unit("市环卫处")
    handling.file_case(there, dispatcher, note=None)
    handling.dispatch_case(there, unit, dispatcher)
    db.session.commit()
    login(dispatcher)
    by_area = map_json(client, area=places["street"].id).get_json()
    assert [c["number"] for c in by_area["cases"]] == [here.number]
    by_state = map_json(client, state=CaseState.DISPATCHED.value).get_json()
    assert [c["number"] for c in by_state["cases"]] == [there.number]
    assert by_state["cases"][0]["light"] == "green"
    by_unit = map_json(client, unit=unit.id).get_json()
    assert [c["number"] for c in by_unit["cases"]] == [there.number]


def test_a_unit_handler_sees_only_their_units_cases_on_the_map(client, login, places):
    unit, other_unit = make_unit("市环卫处"), make_unit("市政处")
    dispatcher = make_user(Role.DISPATCHER)
    mine = make_case(category=places["category"], area=places["street"], latitude=30.1, longitude=120.1)
    theirs = make_case(category=places["category"], area=places["street"], latitude=30.05, longitude=120.05)
    for case, target in ((mine, unit), (theirs, other_unit)):
        handling.file_case(case, dispatcher, note=None)
        handling.dispatch_case(case, target, dispatcher)
    db.session.commit()
    login(make_user(Role.HANDLER, unit=unit))
    data = map_json(client).get_json()
    assert data["total"] == 1 and [c["number"] for c in data["cases"]] == [mine.number]


@pytest.mark.parametrize(("bbox", "zoom"), [
    ("", 12), ("1,2,3", 12), ("120,30,119,31", 12), ("nan,30,120,31", 12), ("120,30,121,31", 99),
    ("120,30,121,31", "x"), ("-200,30,121,31", 3), ("120,30.5e999,121,31", 12),
])
def test_a_bad_box_or_zoom_is_refused_with_a_message(client, login, places, bbox, zoom):
    login(make_user(Role.DISPATCHER))
    response = map_json(client, bbox=bbox, zoom=zoom)
    assert response.status_code == 400 and "not valid" in response.get_json()["error"]


def test_a_nul_byte_in_the_box_is_refused(client, login, places):
    login(make_user(Role.DISPATCHER))
    assert map_json(client, bbox="120,\x0030,121,31").status_code == 400


def test_the_map_page_carries_the_filters_to_its_data_and_loads_nothing_from_elsewhere(client, login, places):
    login(make_user(Role.DISPATCHER))
    page = client.get("/console/cases/map?state=open&amber=y").get_data(as_text=True)
    assert 'data-map-kind="cases"' in page and 'data-tiles-url=""' in page
    assert "/console/cases/map.json?state=open&amp;amber=y" in page
    assert "http://" not in page.replace("http://minsheng.test", "") and "https://" not in page


def test_the_map_needs_a_sign_in(client, places):
    assert client.get("/console/cases/map.json", query_string={"bbox": CITY_BOX, "zoom": 12}).status_code in (
        302, 401)


def test_cell_size_halves_with_each_zoom_level():
    box = casemap.Box.parse("0,0,1,1", 10)
    assert box.cell_deg == pytest.approx(360 / 1024 * 60 / 256)
    assert casemap.Box.parse("0,0,1,1", 11).cell_deg == pytest.approx(box.cell_deg / 2)


def test_the_case_page_lists_open_cases_of_the_same_type_nearby_that_the_reader_may_see(client, login, places):
    here = make_case(category=places["category"], area=places["street"], latitude=30.1, longitude=120.1)
    # ≈ 44 m north: nearby; ≈ 222 m north: not; another type at the same spot: not.
    near = make_case(category=places["category"], area=places["street"], latitude=30.1004, longitude=120.1)
    make_case(category=places["category"], area=places["street"], latitude=30.102, longitude=120.1)
    make_case(category=make_category("路灯不亮"), area=places["street"], latitude=30.1, longitude=120.1)
    login(make_user(Role.DISPATCHER))
    page = client.get(f"/console/cases/{here.number}").get_data(as_text=True)
    section = page[page.index('id="nearby-cases"'):]
    section = section[:section.index("</section>")]
    assert section.count("/console/cases/") == 1 and f"/console/cases/{near.number}" in section
    assert "44 m away" in section


def test_no_nearby_list_when_there_is_nothing_nearby(client, login, places):
    alone = make_case(category=places["category"], area=places["street"], latitude=30.1, longitude=120.1)
    login(make_user(Role.DISPATCHER))
    assert 'id="nearby-cases"' not in client.get(f"/console/cases/{alone.number}").get_data(as_text=True)
