"""Every staff route × every role: allowed, denied (403) or sent to sign in. The table is written by hand."""
import re

import pytest
from flask import url_for

from portal.auth.models import Role
from tests.factories import make_area, make_case, make_category, make_point, make_rule, make_unit, make_user
from tests.portal import (
    routes_board,
    routes_followups,
    routes_map,
    routes_open311,
    routes_scorecards,
    routes_supervision,
)
from tests.surveys.factories import make_survey

ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
REGISTRY_READERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.OPERATOR, Role.MODERATOR, Role.LEADER})
QR_PRINTERS = frozenset({Role.ADMIN, Role.DISPATCHER})
DISPATCHERS = frozenset({Role.ADMIN, Role.DISPATCHER})
HANDLERS = frozenset({Role.HANDLER})
CALL_TAKERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.OPERATOR})
REVEALERS = frozenset({Role.DISPATCHER, Role.OPERATOR})
EXPORTERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.LEADER})
SURVEY_READERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.LEADER})
CASE = "/console/cases/<number>"
SURVEY = "/console/surveys/<int:survey_id>"
NAMES = "<any(areas, units, points, categories, rules):name>"

EXPECTED = {
    ("GET", "/console/"): ALL,
    ("GET", "/console/account/password"): ALL,
    ("POST", "/console/account/password"): ALL,
    ("GET", f"/console/{NAMES}/"): REGISTRY_READERS,
    ("GET", f"/console/{NAMES}/new"): ADMIN,
    ("POST", f"/console/{NAMES}/new"): ADMIN,
    ("GET", f"/console/{NAMES}/<int:record_id>/edit"): ADMIN,
    ("POST", f"/console/{NAMES}/<int:record_id>/edit"): ADMIN,
    ("POST", f"/console/{NAMES}/<int:record_id>/active"): ADMIN,
    ("GET", "/console/settings"): ADMIN,
    ("POST", "/console/settings"): ADMIN,
    ("GET", "/console/calendar/"): ADMIN,
    ("GET", "/console/calendar/<int:year>"): ADMIN,
    ("POST", "/console/calendar/<int:year>"): ADMIN,
    ("POST", "/console/calendar/<int:year>/confirm"): ADMIN,
    ("GET", "/console/audit"): ADMIN,
    ("GET", "/console/users/"): ADMIN,
    ("GET", "/console/users/new"): ADMIN,
    ("POST", "/console/users/new"): ADMIN,
    ("GET", "/console/users/<int:user_id>/edit"): ADMIN,
    ("POST", "/console/users/<int:user_id>/edit"): ADMIN,
    ("POST", "/console/users/<int:user_id>/active"): ADMIN,
    ("GET", "/console/import"): ADMIN,
    ("POST", "/console/import"): ADMIN,
    ("GET", "/console/export/<any(areas, units, points):kind>.csv"): ADMIN,
    ("GET", "/console/points/<int:point_id>/qr"): QR_PRINTERS,
    ("GET", "/console/points/<int:point_id>/qr.png"): QR_PRINTERS,
    ("GET", "/console/points/<int:point_id>/qr.svg"): QR_PRINTERS,
    ("POST", "/console/points/<int:point_id>/qr/regenerate"): ADMIN,
    ("GET", "/console/placards"): QR_PRINTERS,
    # cases
    ("GET", "/console/cases/"): ALL,
    ("GET", "/console/cases/queue"): HANDLERS,
    ("POST", "/console/cases/filters"): ALL,
    ("POST", "/console/cases/filters/<int:filter_id>/delete"): ALL,
    ("POST", "/console/cases/bulk"): DISPATCHERS,
    ("POST", "/console/cases/bulk/expose"): frozenset({Role.ADMIN, Role.MODERATOR}),
    ("GET", "/console/cases/intake"): CALL_TAKERS,
    ("POST", "/console/cases/intake"): CALL_TAKERS,
    ("GET", "/console/cases/points.json"): CALL_TAKERS,
    ("GET", CASE): ALL,
    ("GET", f"{CASE}/photos/<int:photo_id>"): ALL,
    ("GET", f"{CASE}/photos/<int:photo_id>/thumb"): ALL,
    ("POST", f"{CASE}/reveal-phone"): REVEALERS,
    **{("POST", f"{CASE}/{step}"): DISPATCHERS for step in (
        "file", "dispatch", "reject", "merge", "verify", "decide-extension", "reopen", "decline-reopen", "rebound")},
    **{("POST", f"{CASE}/{step}"): HANDLERS for step in ("accept", "handle", "extension", "return", "unit-note")},
    ("POST", f"{CASE}/followup"): CALL_TAKERS,
    ("POST", f"{CASE}/note"): CALL_TAKERS,
    # records
    ("GET", "/console/ledger/"): EXPORTERS,
    ("GET", "/console/ledger/record"): EXPORTERS,
    ("GET", "/console/ledger/cases.csv"): EXPORTERS,
    ("GET", "/console/ledger/cases.xlsx"): EXPORTERS,
    ("GET", "/console/ledger/cases/<number>/record"): EXPORTERS,
    ("GET", "/console/ledger/notifications"): DISPATCHERS,
    ("POST", "/console/ledger/notifications/retry"): DISPATCHERS,
    # surveys
    ("GET", "/console/surveys/"): SURVEY_READERS,
    ("GET", "/console/surveys/new"): ADMIN,
    ("POST", "/console/surveys/new"): ADMIN,
    ("GET", "/console/surveys/import"): ADMIN,
    ("POST", "/console/surveys/import"): ADMIN,
    ("GET", SURVEY): ADMIN,
    ("GET", f"{SURVEY}/settings"): ADMIN,
    ("POST", f"{SURVEY}/settings"): ADMIN,
    ("POST", f"{SURVEY}/state"): ADMIN,
    ("POST", f"{SURVEY}/clone"): ADMIN,
    ("GET", f"{SURVEY}/definition.json"): ADMIN,
    ("POST", f"{SURVEY}/sections"): ADMIN,
    ("GET", f"{SURVEY}/sections/<int:section_id>"): ADMIN,
    ("POST", f"{SURVEY}/sections/<int:section_id>"): ADMIN,
    ("POST", f"{SURVEY}/sections/<int:section_id>/<any(delete, up, down):action>"): ADMIN,
    ("GET", f"{SURVEY}/sections/<int:section_id>/questions/new"): ADMIN,
    ("POST", f"{SURVEY}/sections/<int:section_id>/questions/new"): ADMIN,
    ("GET", f"{SURVEY}/questions/<int:question_id>"): ADMIN,
    ("POST", f"{SURVEY}/questions/<int:question_id>"): ADMIN,
    ("POST", f"{SURVEY}/questions/<int:question_id>/<any(delete, up, down):action>"): ADMIN,
    ("GET", f"{SURVEY}/areas"): ADMIN,
    ("POST", f"{SURVEY}/areas"): ADMIN,
    ("GET", f"{SURVEY}/areas/<int:link_id>"): ADMIN,
    ("POST", f"{SURVEY}/areas/<int:link_id>"): ADMIN,
    ("POST", f"{SURVEY}/areas/<int:link_id>/delete"): ADMIN,
    ("GET", f"{SURVEY}/posters"): ADMIN,
    ("GET", f"{SURVEY}/qr.svg"): ADMIN,
    ("GET", f"{SURVEY}/tokens"): ADMIN,
    ("POST", f"{SURVEY}/tokens"): ADMIN,
    ("GET", f"{SURVEY}/tokens/<int:batch>/cards"): ADMIN,
    ("GET", f"{SURVEY}/calls"): ADMIN,
    ("POST", f"{SURVEY}/calls"): ADMIN,
    ("GET", f"{SURVEY}/results"): SURVEY_READERS,
    ("POST", f"{SURVEY}/quality"): SURVEY_READERS,
    ("GET", f"{SURVEY}/responses"): SURVEY_READERS,
    ("POST", f"{SURVEY}/exclusions"): SURVEY_READERS,
    ("GET", f"{SURVEY}/export/responses.<any(csv, xlsx):fmt>"): SURVEY_READERS,
    ("GET", f"{SURVEY}/export/summary.<any(csv, xlsx):fmt>"): SURVEY_READERS,
}


AREA_TABLES = (routes_scorecards, routes_supervision, routes_board, routes_followups, routes_open311, routes_map)
for _table in AREA_TABLES:
    assert not set(_table.EXPECTED) & set(EXPECTED), _table.__name__
    EXPECTED.update(_table.EXPECTED)


def staff_routes(app):
    """(method, rule, endpoint) for every route that needs a signed-in staff member."""
    routes = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.rule.startswith("/console") or hasattr(view, "permission"):
            plain = re.sub(r"int\(max=\d+\)", "int", rule.rule)  # ids are capped to fit the database
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, plain, rule.endpoint, rule))
    return routes


@pytest.fixture
def world(app):
    area = make_area("东城区")
    unit = make_unit("市环卫处")
    point = make_point(area, owner=unit)
    category = make_category("暴露垃圾")
    rule = make_rule(category, unit)
    target_user = make_user(Role.OPERATOR, username="target")
    case = make_case(category=category, point=point, reporter_phone="13812345678")
    survey = make_survey(areas=[(area, 100, 1000)])
    ids = {"areas": area.id, "units": unit.id, "points": point.id, "categories": category.id, "rules": rule.id}
    values = {"point_id": point.id, "user_id": target_user.id, "number": case.number, "photo_id": 1,
              "filter_id": 1, "survey_id": survey.id, "section_id": survey.sections[0].id,
              "question_id": survey.questions[0].id, "link_id": survey.areas[0].id, "batch": 1, "fmt": "csv",
              "action": "up", "year": 2027}
    world = {"ids": ids, "values": values, "area": area, "unit": unit, "point": point, "category": category,
             "case": case, "survey": survey}
    for table in AREA_TABLES:
        values.update(table.world_values(world))
    return world


def concrete_urls(rule, endpoint, world):
    """Every URL a rule stands for in the test world (each registry name, each export kind)."""
    names = ["areas", "units", "points", "categories", "rules"] if "name" in rule.arguments else [None]
    kinds = ["areas", "units", "points"] if "kind" in rule.arguments else [None]
    urls = []
    for name in names:
        for kind in kinds:
            values = {}
            if name:
                values["name"] = name
            if kind:
                values["kind"] = kind
            if "record_id" in rule.arguments:
                values["record_id"] = world["ids"][name]
            values.update({k: v for k, v in world["values"].items() if k in rule.arguments})
            urls.append(url_for(endpoint, **values))
    return urls


def test_every_staff_route_is_in_the_table(app):
    found = {(method, rule) for method, rule, _e, _r in staff_routes(app)}
    assert found == set(EXPECTED), "add new staff routes to EXPECTED with the roles allowed"


def test_every_staff_route_names_a_permission(app):
    missing = [rule for _m, rule, endpoint, _r in staff_routes(app)
               if not hasattr(app.view_functions[endpoint], "permission")]
    assert missing == []


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_route_role_table(app, world, role):
    user = make_user(role, unit=None)
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": "password123"})
    assert response.status_code == 302
    checked = 0
    with app.test_request_context():
        plan = [(method, plain, url) for method, plain, endpoint, rule in staff_routes(app)
                for url in concrete_urls(rule, endpoint, world)]
    for method, rule, url in plan:
        response = client.open(url, method=method, data={})
        allowed = role in EXPECTED[(method, rule)]
        if allowed:
            assert response.status_code != 403, (role, method, url)
            assert "/login" not in response.headers.get("Location", ""), (role, method, url)
            assert response.status_code < 500, (role, method, url, response.get_data(as_text=True)[:500])
        else:
            assert response.status_code == 403, (role, method, url, response.status_code)
        checked += 1
    assert checked >= len(EXPECTED)


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(app, client, world):
    with app.test_request_context():
        plan = [(method, url) for method, _rule, endpoint, rule in staff_routes(app)
                for url in concrete_urls(rule, endpoint, world)]
    for method, url in plan:
        response = client.open(url, method=method, data={})
        assert response.status_code == 302 and "/login" in response.headers["Location"], (method, url)


def test_a_deactivated_account_loses_access_at_once(app, client, login):
    user = make_user(Role.DISPATCHER)
    login(user)
    assert client.get("/console/").status_code == 200
    user.active = False
    from portal.extensions import db

    db.session.commit()
    response = client.get("/console/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
