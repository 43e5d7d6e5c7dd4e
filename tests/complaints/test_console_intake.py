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


# ---------------------------------------------------------------- the category's extra questions

@pytest.fixture
def asked(city):
    """A category with three extra questions: a required choice, a required yes/no, an optional text."""
    return make_category("井盖缺失", questions=[
        {"key": "size", "label": "坑有多大", "label_en": "How big is the hole?", "type": "choice", "required": True,
         "choices": [{"value": "small", "label": "小", "label_en": "Small"},
                     {"value": "big", "label": "大", "label_en": "Big"}]},
        {"key": "traffic", "label": "在车行道上吗", "label_en": "Is it on the carriageway?", "type": "yesno",
         "required": True},
        {"key": "since", "label": "从什么时候开始", "label_en": "Since when?", "type": "text"},
    ])


def test_the_hotline_asks_the_chosen_categorys_questions_and_stores_the_answers(city, asked, client, sign_in):
    sign_in(city.operator)
    form = page(client.get("/console/cases/intake"))
    assert "How big is the hole?" in form and f'data-category="{asked.id}" hidden' in form  # shown once chosen
    response = intake(client, area=str(city.west.id), category=str(asked.id), **{
        f"q-{asked.id}-size": "big", f"q-{asked.id}-traffic": "yes", f"q-{asked.id}-since": "昨天晚上"})
    assert response.status_code == 302
    case = db.session.execute(db.select(Case)).scalar_one()
    assert case.answers == {"size": "big", "traffic": "yes", "since": "昨天晚上"}
    detail = page(client.get(f"/console/cases/{case.number}"))  # the case page reads them out like the H5 ones
    for text in ("How big is the hole?", "Big", "Is it on the carriageway?", "昨天晚上"):
        assert text in detail, text


def test_unanswered_and_wrong_answers_are_told_with_every_other_problem_and_nothing_is_stored(
        city, asked, client, sign_in):
    sign_in(city.operator)
    response = intake(client, area=str(city.west.id), category=str(asked.id), description="",
                      reporter_phone="abc", **{f"q-{asked.id}-size": "huge", f"q-{asked.id}-since": "x" * 201})
    html = page(response)
    assert response.status_code == 200
    for problem in ("Please choose one of the answers to: How big is the hole?",
                    "Please answer: Is it on the carriageway?", "Please keep the answer under 200 characters.",
                    "What the caller reports: This field is required", "Caller's phone: Enter a mainland mobile"):
        assert problem in html, problem
    assert f'data-category="{asked.id}" hidden' not in html  # the chosen category's questions are on screen
    assert db.session.execute(db.select(Case)).first() is None


def test_only_the_chosen_categorys_questions_count(city, asked, client, sign_in):
    sign_in(city.operator)
    response = intake(client, area=str(city.west.id), category=str(city.category.id),
                      **{f"q-{asked.id}-size": "big"})  # typed in before the operator changed the category
    assert response.status_code == 302
    assert db.session.execute(db.select(Case)).scalar_one().answers is None


def test_a_call_records_its_place_as_chosen_from_the_list(city, client, sign_in):
    from complaints.models import LocationSource

    sign_in(city.operator)
    intake(client, area=str(city.west.id), category=str(city.category.id))
    case = db.session.execute(db.select(Case)).scalar_one()
    assert case.area_id == city.west.id and case.location_source == LocationSource.LIST
