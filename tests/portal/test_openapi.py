"""The OpenAPI description is valid, describes every JSON route of the URL map, and real responses of every
described operation match it (JSON validated by JSON Schema 2020-12; XML by its root and item element names)."""
import re
from xml.etree import ElementTree as ET

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from complaints import handling
from oversight.open311 import keys
from portal.auth.models import Role
from portal.extensions import db
from tests.factories import make_area, make_case, make_category, make_point, make_unit, make_user

LAMPS = [{"key": "lamps", "type": "choice", "required": True, "label": "几盏？",
          "choices": [{"value": "1", "label": "1盏"}, {"value": "more", "label": "整条路"}]},
         {"key": "number", "type": "text", "label": "灯杆编号"}]
# Routes that answer JSON without saying so in their path, and one under /api/ that is a page.
JSON_ENDPOINTS = {"health.healthz", "health.readyz"}
PAGES = {"apidocs.docs"}


def openapi_path(rule):
    """/board/api/items/<int(max=…):item_id> → /board/api/items/{item_id}"""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def is_json_route(rule):
    return rule.endpoint not in PAGES and (rule.rule.endswith(".json") or "/api/" in rule.rule
                                           or "any(json, xml)" in rule.rule or rule.endpoint in JSON_ENDPOINTS)


def schema_validator(spec, schema):
    return Draft202012Validator(dict(schema, components=spec["components"]))


def check(spec, path, method, response):
    """The response's status must be described for the operation, and its body must match the schema."""
    operation = spec["paths"][path][method]
    described = operation["responses"].get(str(response.status_code))
    assert described is not None, (path, method, response.status_code, response.get_data(as_text=True)[:300])
    content = described.get("content") or {}
    if response.mimetype == "application/json":
        schema = content["application/json"]["schema"]
        errors = sorted(schema_validator(spec, schema).iter_errors(response.get_json()), key=str)
        assert not errors, (path, response.status_code, [e.message for e in errors[:3]])
    elif response.mimetype == "text/xml":
        schema = content["text/xml"]["schema"]
        target = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        root = ET.fromstring(response.data)
        assert root.tag == target["xml"]["name"], (path, root.tag)
        if target.get("type") == "array":
            item = spec["components"]["schemas"][target["items"]["$ref"].rsplit("/", 1)[1]]
            assert all(child.tag == item["xml"]["name"] for child in root), (path, [c.tag for c in root])
    else:
        assert not content, (path, response.mimetype)


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_description_is_valid_openapi_3_1(spec):
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    assert spec["servers"] == [{"url": "http://minsheng.test"}]


def test_every_json_route_is_described(app, spec):
    routes = {(openapi_path(rule.rule), method.lower()) for rule in app.url_map.iter_rules() if is_json_route(rule)
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, operations in spec["paths"].items() for method in operations}
    assert routes - described == set(), "describe these routes in portal/apidocs/openapi.py"
    assert described - routes == set(), "these described routes do not exist"


def test_the_docs_page_loads_the_vendored_viewer_without_inline_script(client):
    page = client.get("/api/docs?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle" in html and "/static/js/apidocs" in html
    assert re.search(r"<script>|<script [^>]*>[^<]+</script>|style=", html) is None
    assert client.get(re.search(r'src="([^"]*swagger-ui-bundle[^"]*)"', html).group(1)).status_code == 200


@pytest.fixture
def world(app):
    group = make_category(name="市政设施", as_group=True)
    lamps = make_category(name="路灯不亮", parent=group, code="SZ03", questions=LAMPS)
    area = make_area(name="示范区")
    point = make_point(area=area, code="P-1", address="人民路1号", latitude=30.27, longitude=120.15)
    unit = make_unit()
    dispatcher = make_user(role=Role.DISPATCHER)
    open_case = make_case(category=lamps, point=point, description="灯不亮13800138000")
    closed = make_case(category=lamps, area=area, anonymous=True)
    handling.reject_case(closed, dispatcher, "重复")
    handling.file_case(open_case, dispatcher)
    handling.dispatch_case(open_case, unit, dispatcher)
    _record, key = keys.issue_key("测试", None)
    db.session.commit()
    from oversight.board.models import EntryMilestone
    from tests.oversight.board.factories import make_item

    item = make_item(cases=[open_case], unit=unit, area=area, category=lamps, photos=2,
                     entries=[{"milestone": EntryMilestone.RECTIFIED, "reported_on": open_case.created_at.date(),
                               "text": "已整改", "photos": 1}])
    return {"item": item, "case": open_case, "key": key, "point": point, "category": lamps, "dispatcher": dispatcher}


def test_real_responses_match_the_description(client, login, spec, world):
    number = world["case"].number
    gets = {
        "/open311/v2/discovery.{format}": ["/open311/v2/discovery.{f}", "/open311/v2/discovery.{f}?jurisdiction_id=x"],
        "/open311/v2/services.{format}": ["/open311/v2/services.{f}", "/open311/v2/services.{f}?locale=en"],
        "/open311/v2/services/{service_code}.{format}": ["/open311/v2/services/SZ03.{f}",
                                                         "/open311/v2/services/NONE.{f}"],
        "/open311/v2/requests.{format}": ["/open311/v2/requests.{f}", "/open311/v2/requests.{f}?status=closed",
                                          "/open311/v2/requests.{f}?page_size=0&start_date=x",
                                          f"/open311/v2/requests.{{f}}?service_request_id={number},x"],
        "/open311/v2/requests/{service_request_id}.{format}": [f"/open311/v2/requests/{number}.{{f}}",
                                                               "/open311/v2/requests/x.{f}"],
        "/open311/v2/tokens/{token}.{format}": ["/open311/v2/tokens/nothing.{f}"],
        "/report/categories.json": ["/report/categories.json?q=路灯", "/report/categories.json"],
        "/report/points.json": ["/report/points.json?q=P-1", "/report/points.json"],
        "/report/similar.json": [f"/report/similar.json?category={world['category'].id}&point={world['point'].id}",
                                 "/report/similar.json?lat=30.27&lng=120.15", "/report/similar.json?lat=x"],
        "/board/api/items": ["/board/api/items", "/board/api/items?kind=nope&page=2"],
        "/board/api/items/{item_id}": [f"/board/api/items/{world['item'].id}", "/board/api/items/999999"],
        "/healthz": ["/healthz"],
        "/readyz": ["/readyz"],
        "/api/openapi.json": ["/api/openapi.json"],
    }
    for path, urls in gets.items():
        for url in urls:
            for fmt in (("json", "xml") if "{f}" in url else ("",)):
                check(spec, path, "get", client.get(url.replace("{f}", fmt)))
    post = "/open311/v2/requests.{format}"
    data = {"api_key": world["key"], "service_code": "SZ03", "address_id": "P-1", "description": "坏了",
            "attribute[lamps]": "1"}
    for fmt in ("json", "xml"):
        check(spec, post, "post", client.post(f"/open311/v2/requests.{fmt}", data=dict(data, device_id=fmt)))
        check(spec, post, "post", client.post(f"/open311/v2/requests.{fmt}", data=dict(data, service_code="")))
        check(spec, post, "post", client.post(f"/open311/v2/requests.{fmt}", data=dict(data, api_key="no")))
    token = client.post("/open311/v2/requests.json", data=data).get_json()[0]["token"]
    check(spec, "/open311/v2/tokens/{token}.{format}", "get", client.get(f"/open311/v2/tokens/{token}.json"))
    console = "/console/cases/points.json"
    check(spec, console, "get", client.get(console + "?q=P"))
    login(make_user(role=Role.OPERATOR))
    check(spec, console, "get", client.get(console + "?q=P"))
    check(spec, console, "get", client.get(console))
    from tests.surveys.factories import make_survey

    survey = make_survey()
    definition = "/console/surveys/{survey_id}/definition.json"
    check(spec, definition, "get", client.get(f"/console/surveys/{survey.id}/definition.json"))
    login(make_user(role=Role.ADMIN))
    check(spec, definition, "get", client.get(f"/console/surveys/{survey.id}/definition.json"))
    check(spec, definition, "get", client.get("/console/surveys/999999/definition.json"))


def square(west, south, size):
    return [[[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]]


@pytest.fixture
def mapped(app):
    """A district and a street with boundaries (one with a population), a published item at a point and one in the
    street, and cases with positions: one alone, three at one spot (a cluster at zoom 12)."""
    import json

    from complaints.models import Case
    from portal.registry.boundaries import import_boundaries
    from portal.registry.models import AreaLevel
    from tests.oversight.board.factories import make_item

    district = make_area("东城区", code="D")
    street = make_area("北街道", level=AreaLevel.STREET, parent=district, code="S-N")
    features = [{"type": "Feature", "properties": {"code": "D"},
                 "geometry": {"type": "Polygon", "coordinates": square(120.0, 30.0, 0.02)}},
                {"type": "Feature", "properties": {"code": "S-N", "population": 20000},
                 "geometry": {"type": "Polygon", "coordinates": square(120.0, 30.01, 0.01)}}]
    assert import_boundaries(json.dumps({"type": "FeatureCollection", "features": features}).encode(),
                             actor=None).ok
    category = make_category("暴露垃圾")
    point = make_point(street, code="P-9", latitude=30.015, longitude=120.012)
    make_item(point=point, title="农贸市场门口垃圾", photos=0)
    make_item(area=street, title="背街小巷乱堆放", photos=0)
    dispatcher = make_user(role=Role.DISPATCHER)
    lone = make_case(category=category, area=street, latitude=30.012, longitude=120.005)
    for i in range(3):
        make_case(category=category, area=street, latitude=30.018 + i * 0.0001, longitude=120.015)
    handling.file_case(lone, dispatcher)
    handling.dispatch_case(lone, make_unit(), dispatcher)
    db.session.commit()
    return {"cases": db.session.scalar(db.select(db.func.count()).select_from(Case)), "lone": lone}


def test_real_map_and_readiness_responses_match_the_description(client, login, spec, mapped):
    board = client.get("/board/map.json")
    assert {i["title"] for i in board.get_json()["items"]} == {"农贸市场门口垃圾", "背街小巷乱堆放"}
    check(spec, "/board/map.json", "get", board)
    check(spec, "/board/map.json", "get", client.get("/board/map.json?kind=nope&month=x&area=-1"))
    streets = client.get("/map/areas.json?level=street")
    assert [f["properties"]["code"] for f in streets.get_json()["features"]] == ["S-N"]
    check(spec, "/map/areas.json", "get", streets)
    check(spec, "/map/areas.json", "get", client.get("/map/areas.json"))
    check(spec, "/map/areas.json", "get", client.get("/map/areas.json?level=planet"))
    ready = client.get("/readyz")
    check(spec, "/readyz", "get", ready)
    cases, leader = "/console/cases/map.json", "/console/scorecards/map.json"
    box = "?bbox=120.0,30.0,120.02,30.02&zoom=12"
    check(spec, cases, "get", client.get(cases + box))  # not signed in
    check(spec, leader, "get", client.get(leader))
    login(make_user(role=Role.HANDLER))
    check(spec, leader, "get", client.get(leader))  # no permission
    client.post("/logout")
    login(make_user(role=Role.DISPATCHER))
    clustered = client.get(cases + box)
    data = clustered.get_json()
    assert data["total"] == 4 and [c["count"] for c in data["clusters"]] == [3]
    assert [c["number"] for c in data["cases"]] == [mapped["lone"].number] and data["cases"][0]["light"] == "green"
    check(spec, cases, "get", clustered)
    check(spec, cases, "get", client.get(cases + "?bbox=1,2,3&zoom=99"))
    client.post("/logout")
    login(make_user(role=Role.LEADER))
    from oversight.scorecards.periods import Period
    from portal.city import city_today

    month = Period.containing("month", city_today()).key
    choropleth = client.get(f"{leader}?period={month}&area_level=street")
    data = choropleth.get_json()
    [north] = data["areas"]["features"]
    assert north["properties"]["count"] == 4 and north["properties"]["value"] == 2.0  # 4 × 10,000 / 20,000
    assert sorted(weight for _lat, _lng, weight in data["points"]) == [1, 3]
    check(spec, leader, "get", choropleth)
    check(spec, leader, "get", client.get(f"{leader}?period=nonsense&area_level=planet"))
