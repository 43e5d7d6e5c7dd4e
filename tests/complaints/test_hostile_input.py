"""Odd and hostile input on the public pages: non-ASCII and fullwidth query codes, NUL bytes anywhere. Every one
gets a clear 4xx (never a 500), the same on SQLite and PostgreSQL, and nothing is stored."""
import uuid

import pytest

from complaints.models import Case
from portal.extensions import db
from tests.factories import make_area, make_case, make_category


@pytest.fixture
def client(english_client):
    return english_client


@pytest.mark.parametrize("code", ["é", "１２３４５６７é", "😀😀😀😀😀😀😀😀", "\u00a0"])
def test_a_non_ascii_query_code_is_simply_not_found(client, code):
    case = make_case()

    by_link = client.get(f"/track/{case.number}", query_string={"code": code})
    by_form = client.post("/track", data={"number": case.number, "code": code})

    assert by_link.status_code == 404 and "could not find a case" in by_link.get_data(as_text=True)
    assert by_form.status_code in (404, 422)


def test_a_query_code_in_fullwidth_digits_finds_the_case(client):
    case = make_case()
    fullwidth = "".join(chr(ord("０") + int(d)) for d in case.query_code)  # "1" -> "１" (U+FF11) ...

    response = client.post("/track", data={"number": case.number, "code": fullwidth})

    assert response.status_code == 302 and response.location == f"/track/{case.number}"


@pytest.mark.parametrize("url", [
    "/report?place=%00",
    "/report/points.json?q=%00",
    "/report/categories.json?q=a%00b",
    "/track/a%00b?code=1",
    "/track?number=20260101-0001&code=1234%005678",
    "/board?q=%00",
])
def test_a_nul_byte_in_the_address_is_refused_clearly(client, url):
    response = client.get(url)

    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "not allowed" in body


def test_a_json_endpoint_refuses_a_nul_byte_in_json(client):
    response = client.get("/report/points.json?q=%00")

    assert response.status_code == 400 and response.get_json()["error"] == 400


def test_a_nul_byte_in_a_form_field_is_refused_and_nothing_is_stored(client):
    area, category = make_area("人民街道"), make_category()

    response = client.post("/report", data={"category_id": str(category.id), "area_id": str(area.id),
                                            "description": "垃圾\x00没人清理", "idempotency_key": uuid.uuid4().hex})

    assert response.status_code == 400 and "not allowed" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 0


def test_the_refusal_is_in_the_readers_language(app):
    client = app.test_client()
    client.set_cookie("lang", "zh_Hans")

    response = client.get("/report?place=%00")

    assert response.status_code == 400 and "不允许" in response.get_data(as_text=True)
