"""Fuzzing the public maps: the board's map page and its data (/board/map, /board/map.json) and the area boundaries
(/map/areas.json), with hostile query strings (bbox, zoom, level and the board's filters). Never a 5xx, nothing
stored, no unpublished item, and never a reporter's own position (a phone's GPS may be their home)."""
import re

from hypothesis import example, given
from hypothesis import strategies as st

from portal.extensions import db
from portal.registry.models import AreaLevel
from tests.fuzz import strategies as hostile
from tests.fuzz.conftest import FUZZ, assert_no_server_error, assert_nothing_private, row_counts
from tests.oversight.board.public_world import REPORTER_NAME, REPORTER_PHONE

ENDPOINTS = {"board.board_map", "board.map_data", "areamap.areas"}
UNPUBLISHED = ("草稿条目", "审核中条目", "已撤下的条目", REPORTER_NAME)
PARAMETERS = ["bbox", "zoom", "level", "area", "unit", "category", "status", "kind", "month", "page", "q", "lang"]
LEVELS = [level.value for level in AreaLevel]
# The reporters' own positions, given to the board's linked cases below: these digits must never be sent.
REPORTER_SPOT = (30.0777, 120.0888)


def square(west, south, size):
    return {"type": "Polygon", "coordinates": [[[west, south], [west + size, south], [west + size, south + size],
                                                [west, south + size], [west, south]]]}


def with_places(world):
    """Boundaries for the world's areas, a position for its market (the published item's point) and, for the two
    cases linked to that item, the reporters' own GPS position."""
    world.district.boundary = square(120.0, 30.0, 0.04)
    world.street.boundary = square(120.0, 30.0, 0.02)
    world.community.boundary = square(120.0, 30.0, 0.01)
    world.other_district.boundary = square(120.1, 30.1, 0.04)
    point = world.pending.point
    point.latitude, point.longitude = 30.002, 120.003
    for case in world.cases:
        case.latitude, case.longitude = REPORTER_SPOT
    db.session.commit()
    return world


def query_strategy():
    value = st.one_of(hostile.text, hostile.id_text, st.sampled_from(LEVELS + ["120,30,121,31", "-180,-90,180,90",
                                                                               "1,2,3", "nan,nan,nan,nan"]))
    return st.dictionaries(st.sampled_from(PARAMETERS), st.one_of(value, st.lists(value, min_size=2, max_size=3)),
                           max_size=6)


def has_nul(query):
    return any("\x00" in key or "\x00" in "".join(value if isinstance(value, list) else [value])
               for key, value in query.items())


def assert_no_reporter_position(body):
    for number in REPORTER_SPOT:
        assert str(number) not in body, f"a reporter's position {number} was sent"


@FUZZ
@given(query=query_strategy())
@example(query={})
def test_the_board_map_and_its_data_answer_any_query(app, world, fuzz_client, query):
    with_places(world)
    before = row_counts()

    page = fuzz_client.get("/board/map", query_string=query)
    data = fuzz_client.get("/board/map.json", query_string=query)

    assert_no_server_error(page), assert_no_server_error(data)
    if has_nul(query):  # refused before any view (portal/input_guard.py)
        assert page.status_code == data.status_code == 400
        return
    assert page.status_code == 200 and data.status_code == 200
    codes = [c.query_code for c in world.cases]
    for response in (page, data):
        body = response.get_data(as_text=True)
        assert not any(secret in body for secret in UNPUBLISHED)
        if not any(secret in str(query) for secret in (REPORTER_PHONE, *codes)):  # else echoed, as typed
            assert_nothing_private(response, *codes)
        assert_no_reporter_position(body)
    # The page's data address is the board's own, made from the filters it understood: nothing echoed raw.
    data_url = re.search(r'data-url="([^"]*)"', page.get_data(as_text=True)).group(1)
    assert data_url.startswith("/board/map.json")
    items = data.get_json()["items"]
    assert all(re.fullmatch(r"/board/items/\d+", item["url"]) for item in items)
    if not query:  # every published problem has a place here: at its point, else inside its area (praise: on ask)
        titles = {item["title"] for item in items}
        published = {i.title for i in (world.pending, world.progress, world.done, world.overdue, world.other_area)}
        assert published <= titles <= published | {world.archived.title}
    assert all(30.0 <= item["lat"] <= 30.14 and 120.0 <= item["lng"] <= 120.14 for item in items)
    assert row_counts() == before


@FUZZ
@given(query=query_strategy(), level=st.one_of(st.sampled_from(LEVELS), hostile.text))
def test_the_area_boundaries_answer_any_level(app, world, fuzz_client, query, level):
    with_places(world)
    before = row_counts()

    sent = {**query, "level": level}
    response = fuzz_client.get("/map/areas.json", query_string=sent)

    assert_no_server_error(response)
    if has_nul(sent):
        assert response.status_code == 400
        return
    assert response.is_json
    if level in LEVELS:
        assert response.status_code == 200
        expected = {"district": 2, "street": 1, "community": 1}.get(level, 0)
        assert len(response.get_json()["features"]) == expected
    else:
        assert response.status_code == 404
    assert_no_reporter_position(response.get_data(as_text=True))
    assert row_counts() == before


@FUZZ
@given(raw=st.lists(st.tuples(st.sampled_from(PARAMETERS), hostile.raw_query_value), max_size=4),
       path=st.sampled_from(["/board/map", "/board/map.json", "/map/areas.json"]))
def test_invalid_utf8_in_map_queries_is_no_server_error(app, world, fuzz_client, raw, path):
    response = fuzz_client.get(path + "?" + "&".join(f"{k}={v}" for k, v in raw))

    assert_no_server_error(response)
