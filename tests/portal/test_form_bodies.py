"""A public form posted as JSON (as a script might): any JSON is read like an HTML form's fields or refused
with the form's own messages, never a 500 (found by tests/fuzz: an array or a nested object broke every form)."""
import pytest

from complaints.models import Case
from portal.extensions import db
from portal.forms import form_fields_of_json
from tests.factories import make_area, make_case, make_category


@pytest.fixture
def client(english_client):
    return english_client


@pytest.mark.parametrize("body", ["[1, 2]", "42", '"text"', "null", "true", '{"number": {"a": 1}, "code": [[1]]}',
                                  '{"number": null, "code": false}'])
def test_json_that_is_no_form_gets_the_forms_messages(client, body):
    response = client.post("/track", data=body, content_type="application/json")

    assert response.status_code == 422  # was 500
    assert "Enter the case number from your receipt." in response.get_data(as_text=True)


def test_a_json_object_of_text_and_numbers_is_read_like_a_form(client):
    case = make_case()

    response = client.post("/track", json={"number": case.number, "code": case.query_code})

    assert response.status_code == 302 and response.location == f"/track/{case.number}"


def test_a_report_posted_as_a_json_array_stores_nothing(client):
    make_area("人民街道"), make_category()

    response = client.post("/report", data='[{"description": "垃圾"}]', content_type="application/json")

    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 0


def test_only_text_numbers_and_lists_of_them_become_fields():
    body = {"a": "x", "b": 3, "c": 1.5, "d": ["y", 4, None, {"z": 1}], "e": None, "f": True, "g": {"h": "i"}}

    assert form_fields_of_json(body) == [("a", "x"), ("b", "3"), ("c", "1.5"), ("d", "y"), ("d", "4")]
    assert form_fields_of_json([body]) == [] and form_fields_of_json("a=1") == []
