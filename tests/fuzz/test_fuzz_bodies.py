"""Fuzzing request bodies the forms do not expect, on every public POST: malformed JSON, wrong content types,
bodies that are not what their content type says, and fields of about 1 MB. Never a 5xx, nothing stored."""
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints.models import Case
from portal.extensions import db
from tests.factories import make_area, make_category
from tests.fuzz import strategies as hostile
from tests.fuzz.conftest import FUZZ, assert_no_server_error, row_counts, upload_files

POSTS = ["/report", "/report/{case}/me-too", "/track", "/track/{case}/rate", "/surveys/{survey}",
         "/surveys/{phone}/phone", "/login", "/logout"]
CONTENT_TYPES = ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                 "multipart/form-data; boundary=x", "application/xml", "application/octet-stream", "",
                 "application/json; charset=gb18030", "application/x-www-form-urlencoded; charset=utf-16"]
json_value = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile.text),
                          lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                  st.dictionaries(hostile.text, inner, max_size=3)), max_leaves=8)
body = st.one_of(
    st.binary(max_size=300),
    json_value.map(lambda v: json.dumps(v, allow_nan=True).encode()),
    st.sampled_from([b"{", b'{"description": ', b"[1,2", b"\xff\xfe{}", b"a=1&a=2&a", b"description=%00",
                     b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n", b"\x00" * 64]),
)


@pytest.fixture
def targets(world):
    from tests.surveys.factories import make_survey

    return {"case": world.cases[0].number, "survey": make_survey().slug,
            "phone": make_survey(guarantee="phone", method="phone").slug}


@FUZZ
@given(path=st.sampled_from(POSTS), content_type=st.sampled_from(CONTENT_TYPES), data=body)
def test_a_body_of_any_shape_is_refused_without_storing(app, targets, fuzz_client, uploads, path, content_type,
                                                        data):
    before, files = row_counts(), upload_files(uploads)

    response = fuzz_client.post(path.format(**targets), data=data, content_type=content_type)

    assert_no_server_error(response)
    assert response.status_code in (200, 302, 400, 404, 413, 415, 422)
    after = row_counts()
    if path.endswith("me-too") and response.status_code == 302:  # every me-too field is optional (CSRF is off)
        assert after["case_me_toos"] - before["case_me_toos"] == 1
    else:
        assert after == before and upload_files(uploads) == files


@pytest.fixture
def place(app):
    return {"category_id": str(make_category().id), "area_id": str(make_area("人民街道").id)}


@pytest.mark.parametrize("field", ["description", "reporter_name", "category_id", "latitude"])
def test_a_field_of_a_megabyte_is_refused_without_storing(app, place, fuzz_client, uploads, field):
    before, files = row_counts(), upload_files(uploads)
    data = {**place, "description": "路灯不亮", field: hostile.HUGE}

    response = fuzz_client.post("/report", data=data)

    assert response.status_code in (413, 422), response.status_code
    assert row_counts() == before and upload_files(uploads) == files


@pytest.mark.parametrize("field", ["idempotency_key", "photos"])
def test_a_megabyte_in_a_field_that_takes_no_text_is_ignored(app, place, fuzz_client, field):
    data = {**place, "description": "路灯不亮", field: hostile.HUGE}

    response = fuzz_client.post("/report", data=data)

    assert response.status_code == 302
    case = db.session.scalars(db.select(Case).order_by(Case.id.desc())).first()
    assert case.description == "路灯不亮" and case.idempotency_key is None and not case.photos


@pytest.mark.parametrize("url", ["/report/points.json?q={}", "/report/similar.json?lat={}", "/board/?q={}",
                                 "/board/api/items?area={}", "/track/{}", "/surveys/{}", "/q/{}", "/login?next={}",
                                 "/?lang={}"])
def test_an_address_of_a_megabyte_is_no_server_error(app, fuzz_client, url):
    response = fuzz_client.get(url.format("x" * (1024 * 1024)))

    assert_no_server_error(response)
