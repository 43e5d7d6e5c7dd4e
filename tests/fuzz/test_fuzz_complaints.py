"""Fuzzing the resident's complaint pages: the report form (with photos, place, category and extra questions), the
search JSON, "me too", the receipt, tracking and the 回访 rating. Never a 5xx; a refused request stores nothing; a
stranger never reads a query code or a reporter's phone."""
import io
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints.models import Case
from portal.auth.models import Role
from portal.extensions import db
from tests.complaints.test_tracking import handle_and_close
from tests.factories import make_unit, make_user
from tests.fuzz import strategies as hostile
from tests.fuzz.conftest import FUZZ, assert_no_server_error, assert_nothing_private, row_counts, upload_files
from tests.oversight.board.factories import jpeg_bytes

ENDPOINTS = {
    "complaints.report", "complaints.categories_json", "complaints.points_json", "complaints.similar_json",
    "complaints.me_too", "complaints.me_too_done", "complaints.receipt", "complaints.track_lookup",
    "complaints.track", "complaints.rate", "complaints.track_photo",
}

REFUSED = {400, 404, 413, 422}


def _ids(world):
    return [str(world.garbage.id), str(world.stalls.id), str(world.community.id), str(world.district.id)]


def _photo():
    return st.one_of(
        st.binary(max_size=200).map(lambda b: (io.BytesIO(b), "photo.jpg")),
        st.just(None).map(lambda _n: (io.BytesIO(jpeg_bytes((40, 30))), "a.jpg")),
        st.tuples(st.binary(max_size=40), hostile.text).map(lambda bt: (io.BytesIO(bt[0]), bt[1] or "x")),
    )


@FUZZ
@given(data=st.data())
def test_the_report_form_stores_a_case_or_nothing(app, world, fuzz_client, uploads, data):
    ids = st.one_of(st.sampled_from(_ids(world)), hostile.id_text, st.lists(st.sampled_from(_ids(world)),
                                                                             min_size=2, max_size=2))
    fields = data.draw(hostile.form({
        "category_id": st.one_of(ids, st.none()), "area_id": st.one_of(ids, st.none()),
        "description": st.one_of(hostile.form_value, st.just("路灯不亮了")),
        "location_text": hostile.form_value, "latitude": hostile.form_value, "longitude": hostile.form_value,
        "urgent": hostile.form_value, "anonymous": hostile.form_value, "reporter_name": hostile.form_value,
        "reporter_phone": st.one_of(hostile.form_value, st.just("13800138000")),
        "idempotency_key": st.one_of(hostile.form_value, st.builds(lambda: uuid.uuid4().hex)),
        "check": st.one_of(st.none(), st.just("similar"), hostile.text),
        f"q-{world.garbage.id}-size": hostile.form_value,
        "photos": st.one_of(st.none(), st.lists(_photo(), max_size=3)),
    }), label="form")
    query = data.draw(st.fixed_dictionaries({}, optional={"t": hostile.text, "p": hostile.id_text,
                                                          "place": hostile.text}), label="query")
    before, files = row_counts(), upload_files(uploads)

    response = fuzz_client.post("/report", query_string=query, data=fields)

    assert_no_server_error(response)
    after = row_counts()
    if response.status_code == 302:
        assert after["cases"] - before["cases"] in (0, 1)  # 0: a key already used gives the first receipt
    else:
        assert response.status_code in REFUSED | {200}, response.status_code
        assert after == before and upload_files(uploads) == files
        body = response.get_data(as_text=True)
        if response.status_code == 422:  # the form again, every problem listed in the reader's language
            assert "Please correct the following and send again:" in body
        elif response.status_code == 400:
            assert "not allowed" in body


@FUZZ
@given(path=st.sampled_from(["/report", "/report/categories.json", "/report/points.json", "/report/similar.json"]),
       query=st.dictionaries(st.sampled_from(["q", "t", "p", "place", "category", "point", "lat", "lng", "area",
                                              "lang"]), hostile.text, max_size=5))
def test_the_report_page_and_its_searches_answer_any_query(app, world, fuzz_client, path, query):
    before = row_counts()

    response = fuzz_client.get(path, query_string=query)

    assert_no_server_error(response)
    assert_nothing_private(response, *(c.query_code for c in world.cases))
    if path.endswith(".json"):
        assert response.is_json and isinstance(response.get_json(), dict)
    assert row_counts() == before


@FUZZ
@given(path=st.sampled_from(["/report/points.json", "/report/similar.json", "/track"]),
       raw=st.lists(st.tuples(st.sampled_from(["q", "lat", "lng", "area", "number", "code", "category"]),
                              hostile.raw_query_value), max_size=4))
def test_invalid_utf8_in_the_address_is_no_server_error(app, world, fuzz_client, path, raw):
    response = fuzz_client.get(path + "?" + "&".join(f"{k}={v}" for k, v in raw))

    assert_no_server_error(response)


@FUZZ
@given(data=st.data())
def test_me_too_counts_an_open_case_once_or_nothing(app, world, fuzz_client, data):
    numbers = [c.number for c in world.cases]
    number = hostile.segment(data.draw(st.one_of(st.sampled_from(numbers), hostile.text), label="number"))
    fields = data.draw(hostile.form({"phone": hostile.form_value,
                                     "idempotency_key": st.one_of(hostile.form_value,
                                                                  st.builds(lambda: uuid.uuid4().hex))}))
    method = data.draw(st.sampled_from(["GET", "POST"]))
    before = row_counts()

    response = fuzz_client.open(f"/report/{number}/me-too", method=method, data=fields)
    done = fuzz_client.get(f"/report/{number}/me-too/done")

    assert_no_server_error(response), assert_no_server_error(done)
    assert_nothing_private(response, *(c.query_code for c in world.cases))
    assert_nothing_private(done, *(c.query_code for c in world.cases))
    after = row_counts()
    if response.status_code == 302:
        assert after["case_me_toos"] - before["case_me_toos"] in (0, 1)
    else:
        assert after == before


@FUZZ
@given(number=hostile.text, code=hostile.form_value, method=st.sampled_from(["GET", "POST", "LINK"]))
def test_tracking_finds_nothing_without_the_right_code(app, world, fuzz_client, number, code, method):
    real = world.cases[0]
    number = number if number.strip() else real.number
    if method == "LINK":
        response = fuzz_client.get(f"/track/{hostile.segment(number)}", query_string={"code": code or "1"})
    elif method == "GET":
        response = fuzz_client.get("/track", query_string={"number": number, **({"code": code} if code else {})})
    else:
        response = fuzz_client.post("/track", data={"number": number, **({"code": code} if code else {})})

    assert_no_server_error(response)
    assert response.status_code in {200, 400, 404, 422}
    assert_nothing_private(response, real.query_code)
    assert fuzz_client.get(f"/report/receipt/{real.number}").status_code == 404


@FUZZ
@given(number=hostile.text.map(hostile.segment), photo_id=st.integers(0, 2**31 - 1),
       thumb=st.booleans())
def test_no_photo_or_receipt_of_someone_elses_case(app, world, fuzz_client, number, photo_id, thumb):
    case = world.cases[0]
    for url in (f"/track/{case.number}/photos/{photo_id}", f"/track/{number}/photos/{photo_id}",
                f"/report/receipt/{number}", f"/report/receipt/{case.number}"):
        response = fuzz_client.get(url + ("/thumb" if thumb and "photos" in url else ""))
        assert response.status_code in (400, 404), url  # 400: a NUL byte
        assert_nothing_private(response, case.query_code)


@pytest.fixture
def closed_case(world):
    """The reporter's case, handled and closed: ready for its 回访 rating."""
    unit = make_unit("市城管局")
    staff = {"unit": unit, "dispatcher": make_user(Role.DISPATCHER), "handler": make_user(Role.HANDLER, unit=unit)}
    return handle_and_close(world.cases[1], staff)


@FUZZ
@given(fields=hostile.form({"rating": st.one_of(hostile.form_value, st.sampled_from(["1", "2", "3", "4", "0"])),
                            "comment": hostile.form_value, "ask_reopen": hostile.form_value}))
def test_a_rating_is_recorded_once_and_refused_input_stores_nothing(app, closed_case, fuzz_client, fields):
    case = closed_case
    signed = fuzz_client.post("/track", data={"number": case.number, "code": case.query_code})
    assert signed.status_code == 302
    before = row_counts()
    rating_before = db.session.get(Case, case.id).rating

    response = fuzz_client.post(f"/track/{case.number}/rate", data=fields)

    assert_no_server_error(response)
    db.session.expire_all()
    if response.status_code == 302:
        assert rating_before is None and db.session.get(Case, case.id).rating is not None
    else:
        assert response.status_code in (400, 422)  # 400: a NUL byte
        assert row_counts() == before and db.session.get(Case, case.id).rating == rating_before


@FUZZ
@given(number=hostile.text.map(hostile.segment), fields=hostile.form(
    {"rating": hostile.form_value, "comment": hostile.form_value}))
def test_nobody_rates_a_case_without_its_code(app, world, fuzz_client, number, fields):
    before = row_counts()

    for target in (number, world.cases[0].number):
        response = fuzz_client.post(f"/track/{target}/rate", data=fields)
        assert response.status_code in (400, 404)  # 400: a NUL byte
    assert row_counts() == before
