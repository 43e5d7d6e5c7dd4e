"""A property-based run over the OpenAPI description: a few thousand generated requests (hypothesis, bounded) to
every public operation, Open311 filing included (tests/fuzz/test_public_routes_covered.py counts the endpoints of
the operations that take input as fuzzed here: ``endpoints``). No 5xx; every described answer matches its schema;
nothing half-stored (each case has its first event, each case filed over the API its record, and nothing else)."""
import os
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.models import Case, CaseEvent, Channel
from oversight.open311 import keys
from oversight.open311.models import ApiRequest
from portal.extensions import db
from tests.factories import make_area, make_case, make_category, make_point
from tests.portal.test_openapi import openapi_path, schema_validator

EXAMPLES = int(os.environ.get("OPENAPI_FUZZ_EXAMPLES", "1500"))
LAMPS = [{"key": "lamps", "type": "choice", "required": True, "label": "几盏？",
          "choices": [{"value": "1", "label": "1盏"}, {"value": "more", "label": "整条路"}]}]
# Text a client might send: anything printable or not (no lone surrogates: they cannot be sent as UTF-8), with
# NUL bytes, huge numbers and right-to-left marks among it.
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
ODD = st.sampled_from(["", "0", "-1", "99999999999999999999", "1e309", "nan", "2026-02-30", "\u202e", "%00", "..",
                       "null", "[]", "a" * 5000])


def value_for(schema, known):
    """A strategy for one parameter: known good values, the schema's own enum, odd values and any text."""
    options = [TEXT, ODD]
    if known:
        options.append(st.sampled_from(known))
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    if schema.get("type") == "integer":
        options.append(st.integers(-5, 2**63).map(str))
    return st.one_of(*options)


@pytest.fixture
def world(app):
    lamps = make_category(name="路灯不亮", code="SZ03", questions=LAMPS)
    area = make_area()
    point = make_point(area=area, code="P-1", latitude=30.27, longitude=120.15)
    case = make_case(category=lamps, point=point)
    _record, key = keys.issue_key("fuzz", None)
    db.session.commit()
    return {"key": key, "known": {
        "service_code": ["SZ03"], "service_request_id": [case.number], "format": ["json", "xml"],
        "address_id": ["P-1"], "api_key": [key], "lat": ["30.2701"], "long": ["120.1501"], "q": ["路灯", "P-1"],
        "category": [str(lamps.id)], "point": [str(point.id)], "area": [str(area.id)], "locale": ["en", "zh_Hant"],
        "attribute[lamps]": ["1", "more"], "description": ["路灯不亮"], "page_size": ["1", "100"],
        "start_date": ["2026-01-01T00:00:00+08:00"], "item_id": ["1"], "level": ["district", "street"],
        "kind": ["place", "praise"], "month": ["2026-11"]}}


def operations(spec):
    """(path, method, operation) of every public operation (the staff console's need a session)."""
    return [(path, method, op) for path, ops in sorted(spec["paths"].items()) for method, op in sorted(ops.items())
            if not path.startswith("/console/")]


def endpoints(app):
    """The endpoints of the described public operations that take input (parameters or a body); the rest (the
    health checks, the description itself) take none and are excused in test_public_routes_covered.py."""
    from portal.apidocs.openapi import description

    with app.test_request_context():
        spec = description()
    with_input = {path for path, _method, op in operations(spec) if op.get("parameters") or op.get("requestBody")}
    return {rule.endpoint for rule in app.url_map.iter_rules() if openapi_path(rule.rule) in with_input}


def request_strategy(spec, known):
    """Requests to the operations of ``spec``. Each strategy is built once, not once per example: hypothesis
    validates a new strategy on its first draw, which cost more than the drawing (the same draws either way)."""
    ops = st.sampled_from(operations(spec))
    values = {}

    def value(name, schema):
        key = (name, repr(schema))
        if key not in values:
            values[key] = value_for(schema, known.get(name))
        return values[key]

    field_names = {}

    @st.composite
    def draw(draw_):
        path, method, op = draw_(ops)
        url, query = path, {}
        for parameter in op.get("parameters", []):
            name, schema = parameter["name"], parameter["schema"]
            if parameter["in"] == "path":
                raw = draw_(value(name, schema))
                url = url.replace("{" + name + "}", raw.replace("/", "").replace("?", "").replace("#", "") or "x")
            elif draw_(st.booleans()):
                query[name] = draw_(value(name, schema))
        form = None
        if "requestBody" in op:
            fields = op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]
            form = {name: draw_(value(name, schema)) for name, schema in fields.items()
                    if name in ("api_key", "service_code") or draw_(st.booleans())}
            if draw_(st.booleans()):
                form["attribute[lamps]"] = draw_(value("attribute[lamps]", {}))
            if draw_(st.booleans()):  # half of the POSTs: a good one with one field changed, so some are filed
                names = field_names.setdefault((path, method), st.sampled_from(sorted(fields)))
                name = draw_(names)
                form = {"api_key": known["api_key"][0], "service_code": "SZ03", "address_id": "P-1",
                        "description": "路灯不亮", "attribute[lamps]": "1", "device_id": draw_(TEXT),
                        name: draw_(value(name, fields[name]))}
        return path, method, url, query, form

    return draw()


def test_generated_requests_get_no_server_error_and_store_nothing_by_halves(client, world):
    spec = client.get("/api/openapi.json").get_json()
    seen = {"requests": 0, "filed": 0}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(request_strategy(spec, world["known"]))
    def run(request):
        path, method, url, query, form = request
        if method == "post":
            response = client.post(url, query_string=query, data=form)
        else:
            response = client.get(url, query_string=query)
        seen["requests"] += 1
        assert response.status_code < 500, (url, query, form, response.get_data(as_text=True)[:300])
        described = spec["paths"][path][method]["responses"].get(str(response.status_code))
        if described and response.mimetype == "application/json" and "content" in described:
            schema = described["content"]["application/json"]["schema"]
            errors = list(schema_validator(spec, schema).iter_errors(response.get_json()))
            assert not errors, (url, query, form, errors[0].message)
        if response.mimetype == "text/xml":
            ET.fromstring(response.data)  # well-formed, whatever was typed into the cases
        if method == "post" and response.status_code == 200:
            seen["filed"] += 1
        response.close()

    run()
    assert seen["requests"] >= EXAMPLES
    assert seen["filed"] > 0  # the generator does reach a valid POST
    db.session.rollback()
    cases = db.session.scalars(db.select(Case)).all()
    first_events = db.session.scalars(db.select(CaseEvent.case_id).where(CaseEvent.kind == "receive")).all()
    assert sorted(first_events) == sorted(c.id for c in cases)
    api_cases = sorted(c.id for c in cases if c.channel == Channel.API)
    assert sorted(db.session.scalars(db.select(ApiRequest.case_id))) == api_cases
    assert len(api_cases) <= seen["filed"]
