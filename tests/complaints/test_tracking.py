"""Tracking a case with its number and query code: what the reporter sees (and doesn't), photos, and 回访."""
import io
import uuid

import pytest
from PIL import Image

from complaints import handling
from complaints.models import Case, EventKind
from portal import photos
from portal.auth.models import Role
from portal.city import CitySettings
from portal.extensions import db
from tests.factories import make_area, make_category, make_unit, make_user

GENERIC = "We could not find a case with this number and query code"


@pytest.fixture
def client(english_client):
    return english_client


@pytest.fixture
def stranger(app):
    """Another browser: no session, so no query codes."""
    client = app.test_client()
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def staff(app):
    unit = make_unit("市环卫处")
    return {"unit": unit, "dispatcher": make_user(Role.DISPATCHER, display_name="指挥中心王五"),
            "handler": make_user(Role.HANDLER, unit=unit, display_name="环卫处赵六")}


def jpeg(color):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, "JPEG")
    return buffer.getvalue()


def report(client, description="东门垃圾桶满了没人清"):
    """Report through the public form, as a resident does; the browser keeps the case's code in its session."""
    area, category = make_area("示范区"), make_category(limit_hours=8)
    response = client.post("/report", data={
        "category_id": str(category.id), "area_id": str(area.id), "description": description,
        "idempotency_key": uuid.uuid4().hex, "photos": [(io.BytesIO(jpeg((200, 0, 0))), "before.jpg")],
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    return db.session.scalars(db.select(Case).order_by(Case.id.desc())).first()


def handle_and_close(case, staff, passed=True):
    d, h = staff["dispatcher"], staff["handler"]
    handling.file_case(case, d)
    handling.dispatch_case(case, staff["unit"], d)
    handling.accept_case(case, h)
    handling.add_note(case, h, "内部：已电话联系物业李经理 13912345678", public=False)
    after = photos.store_photos([photos.prepare_photo(jpeg((0, 200, 0)))])
    handling.handle_case(case, h, "已清运，垃圾桶已清洗", photos=after)
    if passed:
        handling.verify_case(case, d, True, "现场核查：已清理干净")
    db.session.commit()
    return case


def page_of(client, case):
    response = client.get(f"/track/{case.number}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_public_timeline_shows_what_happened_but_no_internal_notes_or_staff_names(client, staff):
    case = handle_and_close(report(client), staff)

    page = page_of(client, case)

    for step in ("Report received", "Case filed", "Sent to the responsible unit", "The unit started work",
                 "The unit reports it fixed", "Checked and closed"):
        assert step in page
    assert "已清运，垃圾桶已清洗" in page  # the handling note is public
    assert "李经理" not in page and "13912345678" not in page  # the internal note is not
    assert "王五" not in page and "赵六" not in page
    assert case.query_code not in page


def test_an_open_case_shows_the_unit_in_charge_and_the_due_time(client, staff):
    case = report(client)
    handling.file_case(case, staff["dispatcher"])
    handling.dispatch_case(case, staff["unit"], staff["dispatcher"])
    db.session.commit()

    page = page_of(client, case)

    assert "Unit in charge" in page and "市环卫处" in page
    assert 'id="due-at"' in page
    assert "Being handled" in page or "Dispatched" in page


def test_the_outcome_and_the_photos_are_shown_to_the_reporter_only(client, stranger, staff):
    case = handle_and_close(report(client), staff)
    before, after = ([p for p in case.photos if p.stage == stage][0] for stage in ("before", "after"))

    page = page_of(client, case)

    assert "现场核查：已清理干净" in page and 'id="after-photos"' in page
    for photo in (before, after):
        full, thumb = f"/track/{case.number}/photos/{photo.id}", f"/track/{case.number}/photos/{photo.id}/thumb"
        assert full in page and thumb in page
        with client.get(thumb) as response:
            assert response.status_code == 200 and response.mimetype == "image/jpeg"
            assert "private" in response.headers["Cache-Control"]
        with client.get(full) as response:
            assert response.status_code == 200
        assert stranger.get(full).status_code == 404
    with client.get(f"/track/{case.number}/photos/{after.id}") as response:
        assert Image.open(io.BytesIO(response.data)).getpixel((5, 5))[1] > 150  # the green after-photo


def test_a_photo_of_another_case_is_not_served_under_this_case_number(client, staff):
    mine, other = report(client), report(client.application.test_client())
    assert client.get(f"/track/{mine.number}/photos/{other.photos[0].id}").status_code == 404


def test_a_closed_case_is_rated_once_and_a_dissatisfied_reporter_can_ask_for_it_again(client, staff):
    case = handle_and_close(report(client), staff)
    page = page_of(client, case)
    assert "How satisfied are you with the result?" in page
    assert "Basically satisfied" in page and "please handle it again" in page

    response = client.post(f"/track/{case.number}/rate", data={"rating": "3", "comment": "还是有味道",
                                                               "ask_reopen": "y"})

    assert response.status_code == 302
    db.session.refresh(case)
    assert (case.rating, case.rating_scale, case.reopen_requested) == (3, 3, True)
    assert case.events[-1].kind == EventKind.REOPEN_REQUEST
    page = page_of(client, case)
    assert "You rated the result: Dissatisfied" in page and "You asked for it to be handled again" in page
    assert "The reporter asked to handle it again" in page  # public
    assert 'id="rating-form"' not in page

    again = client.post(f"/track/{case.number}/rate", data={"rating": "1"})
    assert again.status_code == 422 and case.rating == 3


def test_asking_for_it_again_needs_a_dissatisfied_rating(client, staff):
    case = handle_and_close(report(client), staff)

    response = client.post(f"/track/{case.number}/rate", data={"rating": "1", "ask_reopen": "y"})

    assert response.status_code == 422
    assert "only if you are dissatisfied" in response.get_data(as_text=True)
    db.session.refresh(case)
    assert case.rating is None and not case.reopen_requested


def test_the_five_level_scale_offers_five_answers(client, staff):
    db.session.get(CitySettings, 1).satisfaction_scale = 5
    db.session.commit()
    case = handle_and_close(report(client), staff)

    page = page_of(client, case)
    assert "Very satisfied" in page and "Very dissatisfied" in page
    assert page.count('name="rating"') == 5 and page.count('data-dissatisfied="1"') == 2

    client.post(f"/track/{case.number}/rate", data={"rating": "4", "ask_reopen": "y"})
    db.session.refresh(case)
    assert (case.rating, case.rating_scale, case.reopen_requested) == (4, 5, True)


def test_a_case_not_yet_closed_cannot_be_rated(client, staff):
    case = handle_and_close(report(client), staff, passed=False)
    assert 'id="rating-form"' not in page_of(client, case)
    assert client.post(f"/track/{case.number}/rate", data={"rating": "1"}).status_code == 422
    db.session.refresh(case)
    assert case.rating is None


def test_a_rejected_case_shows_the_reason(client, staff):
    case = report(client)
    handling.reject_case(case, staff["dispatcher"], "该问题属于私人住宅内部，不在受理范围")
    db.session.commit()

    page = page_of(client, case)
    assert "Not accepted" in page and "该问题属于私人住宅内部，不在受理范围" in page


def test_a_wrong_code_and_an_unknown_number_get_the_same_generic_message(client, stranger):
    case = report(client)
    wrong = "00000000" if case.query_code != "00000000" else "11111111"

    answers = [
        stranger.post("/track", data={"number": case.number, "code": wrong}),
        stranger.post("/track", data={"number": "20000101-9999", "code": wrong}),
        stranger.get(f"/track/{case.number}?code={wrong}"),
        stranger.get("/track/20000101-9999?code=12345678"),
    ]

    for response in answers:
        page = response.get_data(as_text=True)
        assert response.status_code == 404 and GENERIC in page
        assert case.description not in page


def test_a_link_without_the_code_asks_for_it_alike_for_known_and_unknown_numbers(client, stranger):
    case = report(client)

    for number in (case.number, "20000101-9999"):
        response = stranger.get(f"/track/{number}")
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and GENERIC not in page
        assert f'value="{number}"' in page and 'name="code"' in page
        assert case.description not in page


def test_the_query_code_is_not_shown_to_a_different_browser(client, stranger):
    case = report(client)
    receipt = client.get(f"/report/receipt/{case.number}").get_data(as_text=True)
    assert case.number in receipt and case.query_code in receipt

    for url, status in ((f"/report/receipt/{case.number}", 404), (f"/track/{case.number}", 200)):
        response = stranger.get(url)
        assert response.status_code == status and case.query_code not in response.get_data(as_text=True)


def test_looking_up_a_case_remembers_it_and_keeps_the_code_out_of_the_address(client, stranger):
    case = report(client)

    by_form = stranger.post("/track", data={"number": case.number, "code": case.query_code})
    assert by_form.status_code == 302 and by_form.location.endswith(f"/track/{case.number}")
    assert case.description in stranger.get(by_form.location).get_data(as_text=True)

    by_link = client.application.test_client().get(f"/track/{case.number}?code={case.query_code}")
    assert by_link.status_code == 302 and "code=" not in by_link.location


def test_lookups_are_rate_limited_per_address(app, make_app, tmp_path):
    limited = make_app(RATELIMIT_ENABLED=True, UPLOAD_FOLDER=str(tmp_path / "limited")).test_client()
    codes = [limited.post("/track", data={"number": "20000101-0001", "code": f"{n:08d}"}).status_code
             for n in range(21)]
    assert codes == [404] * 20 + [429]
