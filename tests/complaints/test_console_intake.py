"""The hotline console: an operator types a call in, the caller hears the case number and query code."""
import re
from types import SimpleNamespace

import pytest

from complaints.models import Case, CaseState, Channel
from portal.auth.models import Role
from portal.extensions import db
from tests.factories import make_area, make_category, make_point, make_user


@pytest.fixture
def city(app, client):
    client.set_cookie("lang", "en")
    east, west = make_area("东城区"), make_area("西城区")
    return SimpleNamespace(east=east, west=west, east_point=make_point(east, "人民公园公厕"),
                           category=make_category("暴露垃圾"), dispatcher=make_user(Role.DISPATCHER),
                           operator=make_user(Role.OPERATOR))


@pytest.fixture
def sign_in(client, login):
    def switch(user):
        client.post("/logout")
        return login(user)

    return switch


def page(response):
    return response.get_data(as_text=True)


def intake(client, **overrides):
    data = {"channel": "hotline", "reporter_phone": "13812345678", "reporter_name": "陈女士",
            "description": "东华路垃圾桶满溢", "idempotency_key": "call-1"}
    data.update(overrides)
    return client.post("/console/cases/intake", data=data)


def test_hotline_intake_creates_a_case_owned_by_the_operator_and_shows_the_query_code(city, client, sign_in):
    sign_in(city.operator)
    form = page(client.get("/console/cases/intake"))
    assert 'id="reporter_phone"' in re.search(r"<input[^>]*\bautofocus\b[^>]*>", form).group(0)
    response = intake(client, point_code=city.east_point.code, category=str(city.category.id),
                      reporter_phone="138 1234 5678")
    case = db.session.execute(db.select(Case)).scalar_one()
    assert response.headers["Location"].endswith(f"/console/cases/{case.number}")
    assert (case.channel, case.created_by_id, case.first_owner_id) == (
        Channel.HOTLINE, city.operator.id, city.operator.id)
    assert case.point == city.east_point and case.state == CaseState.RECEIVED
    detail = page(client.get(response.headers["Location"]))
    assert f"query code {case.query_code}" in detail  # the flash, to read out to the caller
    assert 'id="query-code"' in detail


def test_a_dispatcher_files_the_call_at_once(city, client, sign_in):
    sign_in(city.dispatcher)
    intake(client, area=str(city.west.id), category=str(city.category.id), file_now="y", channel="letter")
    case = db.session.execute(db.select(Case)).scalar_one()
    assert (case.state, case.channel, case.area) == (CaseState.FILED, Channel.LETTER, city.west)


def test_an_operator_cannot_file_at_once(city, client, sign_in):
    sign_in(city.operator)
    assert "file_now" not in page(client.get("/console/cases/intake"))
    intake(client, area=str(city.west.id), category=str(city.category.id), file_now="y")
    assert db.session.execute(db.select(Case)).scalar_one().state == CaseState.RECEIVED


def test_sending_the_same_call_twice_makes_one_case(city, client, sign_in):
    sign_in(city.operator)
    intake(client, area=str(city.west.id), category=str(city.category.id))
    response = intake(client, area=str(city.west.id), category=str(city.category.id))
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 1
    assert "saved already" in page(client.get(response.headers["Location"]))


def test_intake_lists_every_problem_at_once_and_keeps_what_was_typed(city, client, sign_in):
    sign_in(city.operator)
    response = intake(client, description="", category="", point_code="NO-SUCH-POINT", reporter_phone="abc")
    html = page(response)
    assert response.status_code == 200
    for problem in ("Caller's phone: Enter a mainland mobile number", "Category: This field is required",
                    "What the caller reports: This field is required", "No active point has this code."):
        assert problem in html, problem
    assert "陈女士" in html and db.session.execute(db.select(Case)).first() is None
    assert "Give a point or an area." in page(intake(client, category=str(city.category.id)))


def test_the_point_search_answers_by_name_in_either_script(city, client, sign_in):
    sign_in(city.operator)
    found = client.get("/console/cases/points.json?q=人民公園").get_json()
    assert [p["code"] for p in found] == [city.east_point.code]
    assert client.get("/console/cases/points.json?q=").get_json() == []


def test_an_anonymous_caller_leaves_nothing_stored(city, client, sign_in):
    sign_in(city.operator)
    intake(client, area=str(city.west.id), category=str(city.category.id), anonymous="y")
    case = db.session.execute(db.select(Case)).scalar_one()
    assert (case.anonymous, case.reporter_name, case.reporter_phone) == (True, None, None)
