"""Resident intake: reporting from a QR code or directly, patrol reports, idempotent submission, every refusal
stores nothing, "same problem already reported?", "me too", and 500 reports at once."""
import io
import re
import struct
import threading
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from complaints import handling, intake
from complaints.case_records import MeToo
from complaints.models import Case, CaseEvent, CasePhoto, CaseState, Channel, EventKind
from portal.auth.models import Role
from portal.extensions import db
from portal.registry import qr
from portal.registry.models import AreaLevel
from tests.factories import make_area, make_case, make_category, make_point, make_unit, make_user

SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def client(english_client):
    return english_client


@pytest.fixture
def district(app):
    return make_area("示范区")


@pytest.fixture
def street(district):
    return make_area("人民街道", level=AreaLevel.STREET, parent=district)


@pytest.fixture
def point(street):
    return make_point(street, name="人民公园公厕", owner=make_unit("市环卫处"), latitude=39.9, longitude=116.4)


@pytest.fixture
def category(app):
    return make_category("暴露垃圾", name_en="Exposed rubbish", limit_hours=8, urgent_limit_hours=2)


def token_of(app, point):
    with app.test_request_context():
        return qr.token_for(point)


def image_bytes(size=(64, 48), fmt="JPEG", color=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def png_declaring(width, height):
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb, without the memory)."""
    data = bytearray(image_bytes((1, 1), "PNG"))
    ihdr = 8 + 8  # signature, then length + "IHDR"
    data[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:ihdr + 13]))
    data[ihdr + 13:ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def report_data(category, photos=(), **fields):
    data = {"category_id": str(category.id), "description": "公厕门口垃圾堆了三天没人清理",
            "idempotency_key": uuid.uuid4().hex}
    data.update(fields)
    if photos:
        data["photos"] = [(io.BytesIO(content), name) for name, content in photos]
    return data


def post_report(client, data, query=""):
    """POST the form as a browser does. The body is encoded here, in memory: werkzeug's test client would spool a
    large one to a temporary file it never closes (a ResourceWarning, an error under filterwarnings=error)."""
    return client.post(f"/report{query}", **multipart(data))


def multipart(data):
    fields = MultiDict()
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, tuple):
                item = FileStorage(stream=item[0], filename=item[1], content_type="image/jpeg")
            fields.add(name, item)
    boundary, body = encode_multipart(fields)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def case_count():
    return db.session.scalar(db.select(db.func.count(Case.id)))


def stored_files(uploads):
    return [p for p in uploads.rglob("*") if p.is_file()] if uploads.exists() else []


# Reporting ----------------------------------------------------------------------------------------------------------

def test_a_qr_report_creates_a_case_at_that_point_with_channel_qr(app, client, point, category, uploads):
    token = token_of(app, point)
    assert "人民公园公厕" in client.get(f"/report?t={token}").get_data(as_text=True)

    response = post_report(client, report_data(category, photos=[("IMG_4242.jpg", image_bytes())]), f"?t={token}")

    assert response.status_code == 302
    case = db.session.scalars(db.select(Case)).one()
    assert response.location.endswith(f"/report/receipt/{case.number}")
    assert case.channel == Channel.QR and case.point_id == point.id and case.area_id == point.area_id
    assert case.state == CaseState.RECEIVED and case.created_by_id is None
    assert len(case.photos) == 1 and len(stored_files(uploads)) == 2  # the photo and its thumbnail
    assert "IMG_4242" not in case.photos[0].key  # keys are random, never the uploader's file name


def test_a_general_report_names_the_area_and_comes_from_the_web(client, street, category):
    page = client.get("/report").get_data(as_text=True)
    assert "人民街道" in page and "Exposed rubbish" in page

    response = post_report(client, report_data(category, area_id=str(street.id), location_text="东门公交站旁"))

    assert response.status_code == 302
    case = db.session.scalars(db.select(Case)).one()
    assert case.channel == Channel.WEB and case.point_id is None and case.area_id == street.id
    assert case.location_text == "东门公交站旁"


def test_a_shared_location_takes_the_area_of_the_nearest_point(client, point, category):
    response = post_report(client, report_data(category, latitude="39.90010", longitude="116.40010"))

    assert response.status_code == 302
    case = db.session.scalars(db.select(Case)).one()
    assert case.area_id == point.area_id and case.point_id is None
    assert (case.latitude, case.longitude) == (39.9001, 116.4001)


def test_a_place_found_by_search_binds_the_report_to_it(client, point, category):
    found = client.get("/report?place=人民公園").get_data(as_text=True)  # 繁體 finds 简体
    assert f'href="/report?p={point.id}"' in found

    response = post_report(client, report_data(category), f"?p={point.id}")

    case = db.session.scalars(db.select(Case)).one()
    assert response.status_code == 302 and case.point_id == point.id and case.channel == Channel.WEB


def test_an_inspectors_report_is_a_filed_patrol_report_by_that_inspector(client, login, street, category):
    inspector = login(make_user(Role.INSPECTOR, display_name="网格员小李", areas=[street]))
    assert "patrol report" in client.get("/report").get_data(as_text=True)

    response = post_report(client, report_data(category, area_id=str(street.id), reporter_phone="13800138000"))

    assert response.status_code == 302
    case = db.session.scalars(db.select(Case)).one()
    assert case.channel == Channel.PATROL and case.created_by_id == inspector.id
    assert case.state == CaseState.FILED and case.reporter_phone is None


def test_sending_the_same_form_twice_makes_one_case_and_the_same_receipt(client, point, category, app, uploads):
    token = token_of(app, point)
    data = report_data(category, photos=[("a.jpg", image_bytes())])
    first = post_report(client, data, f"?t={token}")
    again = post_report(client, report_data(category, photos=[("a.jpg", image_bytes())],
                                            idempotency_key=data["idempotency_key"]), f"?t={token}")

    assert first.status_code == again.status_code == 302
    assert first.location == again.location
    assert case_count() == 1 and len(stored_files(uploads)) == 2


def test_the_same_form_sent_from_eight_threads_at_once_makes_one_case(app, street, category, uploads):
    data = report_data(category, area_id=str(street.id))
    start = threading.Barrier(8)

    def send(_n):
        client = app.test_client()
        body = multipart(dict(data, photos=[(io.BytesIO(image_bytes()), "a.jpg")]))
        start.wait()
        return client.post("/report", **body).location

    with ThreadPoolExecutor(max_workers=8) as pool:
        locations = set(pool.map(send, range(8)))

    db.session.expire_all()
    case = db.session.scalars(db.select(Case)).one()
    assert locations == {f"/report/receipt/{case.number}"}
    assert len(stored_files(uploads)) == 2  # the losers' files were deleted again


def test_a_retry_from_a_browser_that_lost_the_answer_still_gets_the_receipt(app, client, point, category):
    data = report_data(category)
    post_report(client, data, f"?p={point.id}")
    case = db.session.scalars(db.select(Case)).one()

    other = app.test_client()  # the first answer (and its cookie) never arrived
    retry = post_report(other, dict(data), f"?p={point.id}")

    assert retry.location.endswith(f"/report/receipt/{case.number}")
    assert case.query_code in other.get(retry.location).get_data(as_text=True)
    assert case_count() == 1


def test_urgent_is_kept_only_where_the_category_has_an_urgent_track(client, street, category):
    plain = make_category("乱贴乱画", limit_hours=24)
    post_report(client, report_data(category, area_id=str(street.id), urgent="y"))
    post_report(client, report_data(plain, area_id=str(street.id), urgent="y"))

    urgent = {c.category_id: c.urgent for c in db.session.scalars(db.select(Case))}
    assert urgent == {category.id: True, plain.id: False}


def test_anonymous_reports_keep_no_name_or_phone(client, street, category):
    post_report(client, report_data(category, area_id=str(street.id), anonymous="y", reporter_name="张三",
                                    reporter_phone="13800138000"))

    case = db.session.scalars(db.select(Case)).one()
    assert case.anonymous and case.reporter_phone is None and case.reporter_name is None


def test_a_phone_is_kept_in_one_spelling(client, street, category):
    post_report(client, report_data(category, area_id=str(street.id), reporter_phone="+86 138-0013-8000"))
    post_report(client, report_data(category, area_id=str(street.id), reporter_phone="(0571) 8888 8888"))

    phones = sorted(c.reporter_phone for c in db.session.scalars(db.select(Case)))
    assert phones == ["0571-88888888", "13800138000"]


def test_the_categorys_extra_questions_are_asked_and_kept(client, street):
    category = make_category("井盖缺失", limit_hours=4)
    category.questions = [
        {"key": "depth", "label": "坑有多深", "label_en": "How deep is the hole?", "type": "choice",
         "choices": ["<10cm", ">10cm"], "required": True},
        {"key": "fenced", "label": "是否已围挡", "label_en": "Is it fenced off?", "type": "yesno"},
    ]
    db.session.commit()
    field = f"q-{category.id}-depth"

    missing = post_report(client, report_data(category, area_id=str(street.id)))
    assert missing.status_code == 422
    assert "Please answer: How deep is the hole?" in missing.get_data(as_text=True)

    post_report(client, report_data(category, area_id=str(street.id), **{field: ">10cm",
                                                                        f"q-{category.id}-fenced": "no"}))
    assert db.session.scalars(db.select(Case)).one().answers == {"depth": ">10cm", "fenced": "no"}


# Refusals: a clear message, and nothing stored -----------------------------------------------------------------

BIG = b"\xff\xd8" + b"0" * (30 * 1024 * 1024)


@pytest.mark.parametrize("change, message", [
    ({"photos": [("big.jpg", BIG)]}, "is larger than 10 MB"),
    ({"photos": [("notes.jpg", b"this is a text file, not a photo\n" * 20)]}, "is not a picture we can read"),
    # past 50 million pixels in the header, so past the decoded cap too (PHOTO_MAX_MEGAPIXELS: 16 by default)
    ({"photos": [("bomb.png", png_declaring(20000, 20000))]}, "has more than 16 million pixels"),
    ({"photos": [("wide.png", png_declaring(10000, 6000))]}, "has more than 16 million pixels"),
    ({"photos": [(f"{n}.jpg", image_bytes()) for n in range(10)]}, "at most 9 photos"),
    ({"description": "很" * 10_000}, "under 2000 characters"),
    ({"description": "   "}, "Please describe the problem"),
    ({"category_id": "999999"}, "Choose the type of problem from the list"),
    ({"category_id": "99999999999999999999"}, "Choose the type of problem from the list"),
    ({"area_id": ""}, "Choose the area where the problem is"),
    ({"reporter_phone": "12345"}, "Enter a mainland mobile number"),
    ({"latitude": "123.4", "longitude": "500"}, "could not be used"),
])
def test_bad_input_gets_a_clear_message_and_stores_nothing(client, street, category, uploads, change, message):
    data = report_data(category, area_id=str(street.id))
    change = dict(change)
    photos = change.pop("photos", ())
    data.update(change)
    if photos:
        data["photos"] = [(io.BytesIO(content), name) for name, content in photos]

    response = post_report(client, data)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "Photo 0" not in page
    assert 'id="form-errors"' in page
    assert case_count() == 0 and stored_files(uploads) == []


def test_every_problem_is_listed_at_once_and_what_was_typed_is_kept(client, category, uploads):
    response = post_report(client, report_data(category, category_id="", area_id="", description="很" * 2001,
                                               reporter_phone="12345", reporter_name="王阿姨",
                                               photos=[("a.jpg", image_bytes()), ("b.txt.jpg", b"text")]))

    page = response.get_data(as_text=True)
    summary = page.split('id="form-errors"')[1].split("</div>")[0]
    for message in ("Choose the type of problem", "Choose the area", "under 2000 characters",
                    "Enter a mainland mobile number", "Photo 2 (b.txt.jpg) is not a picture"):
        assert message in summary  # at the top
        assert page.count(message) >= 2  # and at the field
    assert "please choose your photos again" in page
    assert "王阿姨" in page and "12345" in page and "很" * 2001 in page
    assert case_count() == 0 and stored_files(uploads) == []


def test_an_unknown_or_forged_point_code_is_refused(client, app, point, category):
    token = token_of(app, point)
    forged = token[:-1] + ("B" if token.endswith("A") else "A")
    for token in ("nonsense", forged, "999999.AAAAAAAAAAAA"):
        assert client.get(f"/report?t={token}").status_code == 404
        assert post_report(client, report_data(category), f"?t={token}").status_code == 404
    assert case_count() == 0


def test_a_report_without_the_csrf_token_is_refused(app, make_app, tmp_path, street, category):
    app = make_app(WTF_CSRF_ENABLED=True, UPLOAD_FOLDER=str(tmp_path / "csrf"))
    client = app.test_client()
    client.set_cookie("lang", "en")

    response = post_report(client, report_data(category, area_id=str(street.id)))

    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert case_count() == 0


def test_script_in_the_description_is_inert_on_the_receipt_and_the_tracking_page(client, street, category):
    receipt = client.get(post_report(client, report_data(category, area_id=str(street.id),
                                                         description=SCRIPT)).location)
    number = db.session.scalars(db.select(Case)).one().number
    tracking = client.get(f"/track/{number}")

    for page in (receipt.get_data(as_text=True), tracking.get_data(as_text=True)):
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(" in page


# "Same problem already reported?" and "me too" ------------------------------------------------------------------

def metres_north(lat, metres):
    return lat + metres / 111_195


def test_suggestions_find_the_same_point_and_30_m_away_but_not_80_m_or_another_category(point, category, street):
    other = make_category("乱贴乱画")
    at_point = make_case(category=category, point=point)
    near = make_case(category=category, area=street, latitude=metres_north(39.9, 30), longitude=116.4)
    make_case(category=category, area=street, latitude=metres_north(39.9, 80), longitude=116.4)
    make_case(category=other, point=point)
    near_point = make_point(street, name="人民公园东门", latitude=metres_north(39.9, 40), longitude=116.4)
    at_near_point = make_case(category=category, point=near_point)

    by_point = intake.find_similar(category=category, point=point)
    by_location = intake.find_similar(category=category, latitude=39.9, longitude=116.4)

    assert [s.case.id for s in by_point] == [at_point.id, near.id, at_near_point.id]
    assert {s.case.id for s in by_location} == {at_point.id, near.id, at_near_point.id}
    assert round(by_point[1].distance_m) == 30


def test_closed_or_rejected_cases_are_not_suggested(point, category):
    case = make_case(category=category, point=point)
    handling.reject_case(case, make_user(Role.DISPATCHER), "重复")
    db.session.commit()
    assert intake.find_similar(category=category, point=point) == []


def test_the_report_page_shows_open_cases_at_the_point_with_a_me_too_button(app, client, point, category):
    case = make_case(category=category, point=point, description="男厕所的灯坏了很多天")

    page = client.get(f"/report?t={token_of(app, point)}").get_data(as_text=True)
    answer = client.get(f"/report/similar.json?category={category.id}&lat=39.9002&lng=116.4").get_json()

    assert "男厕所的灯坏了很多天" in page and f'href="/report/{case.number}/me-too"' in page
    assert [c["number"] for c in answer["cases"]] == [case.number]
    assert answer["cases"][0]["me_too_url"] == f"/report/{case.number}/me-too"
    assert case.query_code not in page and case.query_code not in str(answer)


def test_me_too_counts_once_per_form_and_confirms_with_the_case_number(client, point, category):
    case = make_case(category=category, point=point)
    page = client.get(f"/report/{case.number}/me-too").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]{32})"', page)[1]

    first = client.post(f"/report/{case.number}/me-too", data={"phone": "13900139000", "idempotency_key": key})
    again = client.post(f"/report/{case.number}/me-too", data={"phone": "13900139000", "idempotency_key": key})

    assert first.status_code == again.status_code == 302
    db.session.refresh(case)
    assert case.me_too_count == 1
    assert db.session.scalars(db.select(MeToo)).one().phone == "13900139000"
    assert [e.kind for e in case.events].count(EventKind.ME_TOO) == 1
    done = client.get(first.location).get_data(as_text=True)
    assert case.number in done and "text message" in done and case.query_code not in done


def test_me_too_on_a_closed_case_says_so(client, point, category):
    case = make_case(category=category, point=point)
    handling.reject_case(case, make_user(Role.DISPATCHER), "不属于本平台受理范围")
    db.session.commit()

    response = client.post(f"/report/{case.number}/me-too", data={"idempotency_key": uuid.uuid4().hex})

    assert "no longer open" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(MeToo.id))) == 0


def test_categories_are_found_in_simplified_traditional_and_english(client, category):
    make_category("井盖缺失", name_en="Missing manhole cover")
    for query in ("垃圾", "垃圾", "暴露", "RUBBISH", "市容"):
        names = [c["name"] for c in client.get(f"/report/categories.json?q={query}").get_json()["categories"]]
        assert "Exposed rubbish" in names, query
    assert client.get("/report/categories.json?q=manhole").get_json()["categories"][0]["urgent"] is False


def test_places_are_found_in_either_script(client, point):
    for query in ("人民公园", "人民公園", point.code):
        answer = client.get(f"/report/points.json?q={query}").get_json()
        assert [p["id"] for p in answer["points"]] == [point.id]
        assert answer["points"][0]["url"] == f"/report?p={point.id}"


# Many at once ---------------------------------------------------------------------------------------------------

def test_five_hundred_reports_from_sixteen_browsers_make_five_hundred_numbered_cases(app, street, category):
    area_id, category_id, photo = str(street.id), str(category.id), image_bytes((32, 32))
    local = threading.local()

    def submit(n):
        if not hasattr(local, "client"):
            local.client = app.test_client()
        data = {"category_id": category_id, "area_id": area_id, "description": f"第{n}号 路边垃圾",
                "idempotency_key": uuid.uuid4().hex}
        if n % 10 == 0:
            data["photos"] = [(io.BytesIO(photo), "p.jpg")]
        response = local.client.post("/report", **multipart(data))
        return response.status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(submit, range(500)))

    assert codes == [302] * 500
    db.session.expire_all()
    numbers = db.session.scalars(db.select(Case.number)).all()
    assert len(numbers) == len(set(numbers)) == 500
    assert db.session.scalar(db.select(db.func.count(CaseEvent.id))) == 500
    assert db.session.scalar(db.select(db.func.count(CasePhoto.id))) == 50
