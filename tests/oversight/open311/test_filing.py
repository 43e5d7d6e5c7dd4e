"""Open311 GeoReport v2, filing: API keys, a POST through the same intake as the H5 form, every wrong field at once
in the language asked, idempotency, the dispatcher's queue, and the later public steps in status_notes."""
import re
from contextlib import contextmanager
from xml.etree import ElementTree as ET

import pytest

from complaints import handling
from complaints.models import Case, CaseEvent, Channel
from oversight.open311 import keys
from oversight.open311.models import ApiKey, ApiRequest
from portal.auth.models import AuditEntry, Role
from portal.extensions import db
from tests.factories import make_area, make_category, make_point, make_unit, make_user

LAMPS = [{"key": "lamps", "type": "choice", "required": True, "label": "不亮的路灯有几盏？", "label_en": "How many?",
          "label_zh_hant": "不亮的路燈有幾盞？",
          "choices": [{"value": "1", "label": "1盏"}, {"value": "more", "label": "整条路"}]}]


@pytest.fixture
def city(app):
    group = make_category(name="市政设施", as_group=True)
    lamps = make_category(name="路灯不亮", parent=group, code="SZ03", questions=LAMPS, limit_hours=8)
    area = make_area(name="示范区")
    point = make_point(area=area, name="人民公园东门", code="P-EAST", latitude=30.2741, longitude=120.1551)
    admin = make_user(role=Role.ADMIN)
    record, key = keys.issue_key("12345热线", admin)
    db.session.commit()
    return {"lamps": lamps, "area": area, "point": point, "key": key, "record": record, "admin": admin,
            "unit": make_unit(name="市政维护处"), "dispatcher": make_user(role=Role.DISPATCHER)}


def good(city, **extra):
    data = {"api_key": city["key"], "service_code": "SZ03", "lat": "30.2742", "long": "120.1552",
            "description": "东门三盏路灯不亮", "attribute[lamps]": "more", "phone": "13800138000",
            "first_name": "小明", "last_name": "王"}
    data.update(extra)
    return data


@contextmanager
def one_point_city(make_app, **config):
    """An app with ``config``, one category (SZ03), one point (P-1) and a key: its client and a good POST's form."""
    app = make_app(**config)
    with app.app_context():
        make_category(name="路灯不亮", code="SZ03")
        point = make_point(code="P-1")
        _record, key = keys.issue_key("app", None)
        db.session.commit()
        yield app.test_client(), {"api_key": key, "service_code": "SZ03", "address_id": point.code,
                                  "description": "坏了"}


def count(model):
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_a_post_files_a_case_through_the_intake_and_answers_as_the_specification(client, city):
    response = client.post("/open311/v2/requests.json?locale=en", data=good(city, account_id="acc-7"))
    assert response.status_code == 200, response.get_data(as_text=True)
    [answer] = response.get_json()
    assert set(answer) == {"service_request_id", "service_notice", "account_id", "token"}
    assert answer["account_id"] == "acc-7"
    assert answer["service_notice"] == "Handled within 8 working hours of being sent to the responsible unit."
    case = db.session.scalars(db.select(Case)).one()
    assert answer["service_request_id"] == case.number
    assert case.channel == Channel.API
    assert case.area_id == city["area"].id  # the nearest point's area, as on the form
    assert case.answers == {"lamps": "more"}
    assert (case.reporter_name, case.reporter_phone, case.anonymous) == ("王小明", "13800138000", False)
    record = db.session.scalars(db.select(ApiRequest)).one()
    assert (record.case_id, record.api_key_id, record.account_id) == (case.id, city["record"].id, "acc-7")
    assert city["record"].last_used_at is not None
    assert db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "open311_request")).one()
    token = client.get(f"/open311/v2/tokens/{answer['token']}.json").get_json()
    assert token == [{"service_request_id": case.number, "token": answer["token"]}]


def test_the_xml_answer_is_a_service_requests_list(client, city):
    response = client.post("/open311/v2/requests.xml", data=good(city))
    root = ET.fromstring(response.data)
    assert root.tag == "service_requests"
    assert [child.tag for child in root.find("request")] == ["service_request_id", "service_notice", "account_id",
                                                             "token"]


def test_a_place_given_by_its_code_or_its_name(client, city):
    by_code = client.post("/open311/v2/requests.json", data=good(city, lat="", long="", address_id="P-EAST"))
    by_name = client.post("/open311/v2/requests.json", data=good(city, lat="", long="", address_string="人民公园东门"))
    assert by_code.status_code == by_name.status_code == 200
    assert {c.point_id for c in db.session.scalars(db.select(Case))} == {city["point"].id}


def test_without_a_key_or_with_a_revoked_one_nothing_is_filed(client, city):
    for data in ({k: v for k, v in good(city).items() if k != "api_key"}, good(city, api_key="ms311_guessed")):
        response = client.post("/open311/v2/requests.json?locale=en", data=data)
        assert response.status_code == 403
        assert response.get_json() == [{"code": 403,
                                        "description": "This api_key is not valid: ask the city for a key."}]
    keys.revoke_key(city["record"], city["admin"])
    db.session.commit()
    response = client.post("/open311/v2/requests.xml", data=good(city))
    assert response.status_code == 403
    assert ET.fromstring(response.data).find("error/code").text == "403"
    assert count(Case) == 0


def test_every_wrong_field_is_named_at_once_in_the_language_asked(client, city):
    bad = good(city, service_code="", lat="95", long="x", phone="12345", email="nope", description="",
               **{"attribute[lamps]": "seven"})
    response = client.post("/open311/v2/requests.json?locale=en", data=bad)
    assert response.status_code == 400
    described = [e["description"] for e in response.get_json()]
    assert [d.split(":")[0] for d in described] == ["service_code", "lat", "description", "phone", "email"]
    assert described[0] == "service_code: service_code is required."
    response = client.post("/open311/v2/requests.json", data=good(city, description="", phone="12345",
                                                                   **{"attribute[lamps]": ""}, locale="en"))
    described = [e["description"] for e in response.get_json()]
    assert described == ["description: Please describe the problem.",
                         "attribute[lamps]: Please answer: How many?",
                         "phone: Enter a mainland mobile number (11 digits) or a landline with its area code, "
                         "e.g. 010-12345678."]
    hant = client.post("/open311/v2/requests.json", data=good(city, locale="zh_Hant", **{"attribute[lamps]": ""}))
    assert hant.status_code == 400 and "不亮的路燈有幾盞？" in hant.get_json()[0]["description"]
    assert count(Case) == 0 and count(CaseEvent) == 0 and count(ApiRequest) == 0
    refused = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "open311_refused")).all()
    assert len(refused) == 3


def test_a_place_outside_the_city_is_refused(client, city):
    response = client.post("/open311/v2/requests.json?locale=en", data=good(city, lat="39.9", long="116.4"))
    assert response.status_code == 400
    assert response.get_json()[0]["description"].startswith("address_string: Say where the problem is")


def test_the_same_post_twice_files_one_case(client, city):
    first = client.post("/open311/v2/requests.json", data=good(city, device_id="phone-1")).get_json()
    again = client.post("/open311/v2/requests.json", data=good(city, device_id="phone-1")).get_json()
    assert first == again
    keyed = client.post("/open311/v2/requests.json", data=good(city, idempotency_key="k-1", description="a")).get_json()
    keyed_again = client.post("/open311/v2/requests.json", data=good(city, idempotency_key="k-1",
                                                                     description="a")).get_json()
    assert keyed == keyed_again
    assert count(Case) == 2 and count(ApiRequest) == 2
    other = client.post("/open311/v2/requests.json", data=good(city, device_id="phone-2")).get_json()
    assert other[0]["service_request_id"] != first[0]["service_request_id"]


def test_a_filed_request_reaches_the_dispatchers_queue_and_its_steps_show_in_status_notes(client, login, city):
    [answer] = client.post("/open311/v2/requests.json", data=good(city, media_url="https://example.org/a.jpg")).get_json()
    number = answer["service_request_id"]
    login(city["dispatcher"])
    listing = client.get("/console/cases/?lang=en").get_data(as_text=True)
    assert number in listing and "Another system (Open311)" in listing
    detail = client.get(f"/console/cases/{number}?lang=en").get_data(as_text=True)
    assert "12345热线" in detail and "https://example.org/a.jpg" in detail  # the system, and the link for staff
    case = db.session.scalars(db.select(Case)).one()
    handling.file_case(case, city["dispatcher"])
    handling.dispatch_case(case, city["unit"], city["dispatcher"])
    db.session.commit()
    from portal.notify_models import Delivery

    told = db.session.scalars(db.select(Delivery.recipient).where(Delivery.case_id == case.id)).all()
    assert "13800138000" in told  # the reporter the other system passed on is told, as from the form
    [record] = client.get(f"/open311/v2/requests/{number}.json?locale=en").get_json()
    assert record["status"] == "open"
    assert record["status_notes"] == "Sent to the responsible unit"
    assert record["agency_responsible"] == "市政维护处"
    assert "example.org" not in str(record)  # the client's link is not a public photo
    handling.accept_case(case, make_user(role=Role.HANDLER, unit=city["unit"]))
    handling.handle_case(case, None, "已修复")
    handling.verify_case(case, city["dispatcher"], True, "灯已全部亮起")
    db.session.commit()
    [record] = client.get(f"/open311/v2/requests/{number}.json?locale=en").get_json()
    assert (record["status"], record["status_notes"]) == ("closed", "Checked and closed: 灯已全部亮起")


def test_posts_per_key_are_rate_limited_with_an_open311_error(make_app):
    with one_point_city(make_app, RATELIMIT_ENABLED=True, OPEN311_KEY_RATE_LIMIT="2 per minute") as (client, data):
        assert [client.post("/open311/v2/requests.json", data=data).status_code for _ in range(2)] == [200, 200]
        response = client.post("/open311/v2/requests.json?locale=en", data=data)
        assert response.status_code == 429
        assert response.get_json()[0]["code"] == 429
        assert count(Case) == 2


def issue_form(client, system):
    """The issue form's fields as the keys page gives them (with its one-time token)."""
    page = client.get("/console/api-keys/").get_data(as_text=True)
    token = re.search(r'name="issue_token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    return {"system": system, "issue_token": token}


def test_an_admin_issues_a_key_sees_it_once_and_revokes_it(client, login, city):
    login(city["admin"])
    page = client.post("/console/api-keys/", data=issue_form(client, "市民App"))
    assert page.status_code == 200
    shown = page.get_data(as_text=True).split('id="issued-key">')[1].split("<")[0]
    assert shown.startswith("ms311_")
    assert keys.active_key(shown).system == "市民App"
    assert shown not in client.get("/console/api-keys/").get_data(as_text=True)
    assert count(Case) == 0
    record = keys.active_key(shown)
    response = client.post(f"/console/api-keys/{record.id}/revoke")
    assert response.status_code == 302
    assert keys.active_key(shown) is None
    assert client.post("/console/api-keys/", data=issue_form(client, "")).status_code == 422


def test_the_same_issue_form_sent_again_issues_no_second_key(client, login, city):
    """A reload of the page that showed the key sends the form again: the admin is told, and no key is shown."""
    login(city["admin"])
    before = count(ApiKey)  # the 12345 hotline's key of the fixture
    form = issue_form(client, "区12345平台")
    first = client.post("/console/api-keys/", data=form).get_data(as_text=True)
    shown = first.split('id="issued-key">')[1].split("<")[0]
    again = client.post("/console/api-keys/?lang=en", data=form)
    text = again.get_data(as_text=True)
    assert again.status_code == 200
    assert 'id="issued-key"' not in text and shown not in text
    assert "This form was already sent" in text and f"{shown[:12]}…" in text
    assert count(ApiKey) == before + 1 and keys.active_key(shown).system == "区12345平台"
    # the page answered carries a new token: the next key is a new one
    assert client.post("/console/api-keys/", data=issue_form(client, "市民App")).status_code == 200
    assert count(ApiKey) == before + 2


def test_two_requests_with_one_issue_form_at_the_same_moment_make_one_key(city, monkeypatch):
    """The second request looked for the form's key before the first had stored it: the unique token refuses its
    insert, and it answers with the first request's key, not a second one (and not an error)."""
    token = "0123456789abcdef0123456789abcdef"
    first, shown = keys.issue_key("区12345平台", city["admin"], issue_token=token)
    db.session.commit()
    before = count(ApiKey)
    looked_up = []

    def not_yet_visible(issue_token):  # what the racing request saw: no key for the token yet
        looked_up.append(issue_token)
        return None if len(looked_up) == 1 else real_lookup(issue_token)

    real_lookup = keys._issued_for
    monkeypatch.setattr(keys, "_issued_for", not_yet_visible)
    record, key = keys.issue_key("区12345平台", city["admin"], issue_token=token)
    db.session.commit()
    assert (record.id, key) == (first.id, None) and looked_up == [token, token]
    assert count(ApiKey) == before and keys.active_key(shown) is not None


@pytest.mark.parametrize("token", [None, "", "not-a-token", "A" * 32])
def test_an_issue_form_without_its_token_is_refused_and_issues_nothing(client, login, city, token):
    login(city["admin"])
    before = count(ApiKey)
    data = {"system": "市民App"} if token is None else {"system": "市民App", "issue_token": token}
    response = client.post("/console/api-keys/?lang=en", data=data)
    assert response.status_code == 422
    expired = "This form has expired or was sent twice. Please reload the page and try again."
    assert expired in response.get_data(as_text=True)
    assert count(ApiKey) == before


def test_the_demo_citys_example_key_files_and_its_requests_read_without_a_key(demo_city, app):
    from oversight.open311.demo import DEMO_KEY

    client = app.test_client()
    listed = client.get("/open311/v2/requests.json?page_size=100")
    assert listed.status_code == 200 and len(listed.get_json()) > 10
    point = db.session.scalars(db.select(Case.point_id).where(Case.point_id.is_not(None))).first()
    from portal.registry.models import Category, Point

    code = db.session.get(Point, point).code
    category = db.session.scalars(db.select(Category).where(Category.code == "SR01")).one()
    data = {"api_key": DEMO_KEY, "service_code": category.code, "address_id": code, "description": "示例对接"}
    response = client.post("/open311/v2/requests.json", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_other_systems_post_without_a_csrf_token_where_forms_need_one(make_app):
    with one_point_city(make_app, WTF_CSRF_ENABLED=True) as (client, data):
        assert client.post("/open311/v2/requests.json", data=data).status_code == 200
        assert client.post("/console/api-keys/", data={"system": "x"}).status_code in (302, 400)  # not exempt


def test_a_wrong_method_is_an_open311_error(client):
    response = client.put("/open311/v2/requests.xml?locale=en")
    assert response.status_code == 405
    root = ET.fromstring(response.data)
    assert root.tag == "errors" and root.find("error/code").text == "405"


def test_photos_sent_with_the_post_are_checked_like_the_forms(client, city):
    from io import BytesIO

    from complaints.models import CasePhoto
    from tests.oversight.board.factories import jpeg_bytes

    bad = dict(good(city), media=(BytesIO(b"not a picture"), "a.jpg"))
    response = client.post("/open311/v2/requests.json?locale=en", data=bad, content_type="multipart/form-data")
    assert response.status_code == 400
    assert [e["description"].split(":")[0] for e in response.get_json()] == ["media"]
    assert count(Case) == 0 and count(CasePhoto) == 0
    sent = dict(good(city), media=(BytesIO(jpeg_bytes()), "a.jpg"))
    response = client.post("/open311/v2/requests.json", data=sent, content_type="multipart/form-data")
    assert response.status_code == 200
    assert count(CasePhoto) == 1
    [record] = client.get(f"/open311/v2/requests/{response.get_json()[0]['service_request_id']}.json").get_json()
    assert record["media_url"] is None  # a resident's photo is not public until the board publishes a redacted copy


def test_a_nul_byte_is_refused_as_an_open311_error(client, city):
    response = client.post("/open311/v2/requests.xml", data=good(city, description="a\x00b"))
    assert response.status_code == 400
    assert ET.fromstring(response.data).tag == "errors"
    assert count(Case) == 0


def test_the_per_key_limit_is_shared_through_redis(make_app, redis_url):
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    apps = [make_app(RATELIMIT_ENABLED=True, OPEN311_KEY_RATE_LIMIT="3 per minute", RATELIMIT_STORAGE_URI=redis_url)
            for _ in range(2)]  # two processes
    with apps[0].app_context():
        make_category(name="路灯不亮", code="SZ03")
        point = make_point(code="P-1")
        _record, key = keys.issue_key("app", None)
        db.session.commit()
        data = {"api_key": key, "service_code": "SZ03", "address_id": point.code, "description": "坏了"}
        codes = [apps[n % 2].test_client().post("/open311/v2/requests.json", data=data).status_code
                 for n in range(4)]
        assert codes == [200, 200, 200, 429]
