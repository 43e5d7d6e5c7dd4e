"""Open311 GeoReport v2, reading: discovery, services, definitions, requests and errors in JSON and XML, shaped as
the specification's examples, with nothing private in them."""
from datetime import datetime
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from complaints import handling
from portal.auth.models import Role
from tests.factories import make_area, make_case, make_category, make_point, make_unit, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The specification's example of GET requests (one element): the keys our records carry, in its order.
SPEC_REQUEST_KEYS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                     "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                     "expected_datetime", "address", "lat", "long", "media_url"]
SPEC_SERVICE_KEYS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
LAMPS = [{"key": "lamps", "type": "choice", "required": True, "label": "不亮的路灯有几盏？",
          "label_en": "How many lamps?",
          "choices": [{"value": "1", "label": "1盏", "label_en": "One"},
                      {"value": "more", "label": "整条路", "label_en": "The whole street"}]},
         {"key": "lamp_number", "type": "text", "required": False, "label": "灯杆编号", "label_en": "Lamp-post number"}]


@pytest.fixture
def city(app):
    group = make_category(name="市政设施", as_group=True, name_en="Municipal facilities")
    lamps = make_category(name="路灯不亮", parent=group, name_en="Street lamp out", code="SZ03", questions=LAMPS,
                          limit_hours=2, urgent_limit_hours=1)
    rubbish = make_category(name="暴露垃圾", parent=group, name_en="Exposed rubbish", code="SR01")
    area = make_area(name="示范区", name_en="Demo district")
    point = make_point(area=area, name="人民公园公厕", address="人民路1号", latitude=30.27, longitude=120.15)
    unit = make_unit(name="市政维护处", name_en="Municipal maintenance")
    return {"lamps": lamps, "rubbish": rubbish, "area": area, "point": point, "unit": unit,
            "dispatcher": make_user(role=Role.DISPATCHER), "handler": make_user(role=Role.HANDLER, unit=unit)}


def xml(response):
    assert response.mimetype == "text/xml"
    assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.data)


def test_discovery_lists_this_endpoint_with_both_formats(client):
    body = client.get("/open311/v2/discovery.json").get_json()
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = body["endpoints"][0]
    assert endpoint["url"] == "http://minsheng.test/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["application/json", "text/xml"]
    root = xml(client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["application/json", "text/xml"]


def test_services_are_the_active_categories_as_in_the_specification(client, city):
    body = client.get("/open311/v2/services.json?locale=en").get_json()
    lamps = next(s for s in body if s["service_code"] == "SZ03")
    assert list(lamps) == SPEC_SERVICE_KEYS
    assert lamps["service_name"] == "Street lamp out"
    assert lamps["group"] == "Municipal facilities"
    assert lamps["metadata"] is True and lamps["type"] == "realtime"
    assert next(s for s in body if s["service_code"] == "SR01")["metadata"] is False
    assert "市政设施" not in {s["service_name"] for s in body}  # a group is not a service
    root = xml(client.get("/open311/v2/services.xml?locale=en"))
    assert root.tag == "services" and {child.tag for child in root} == {"service"}
    service = next(s for s in root if s.findtext("service_code") == "SZ03")
    assert [child.tag for child in service] == SPEC_SERVICE_KEYS
    assert service.findtext("metadata") == "true"


def test_the_default_language_is_simplified_chinese(client, city):
    body = client.get("/open311/v2/services.json").get_json()
    assert "路灯不亮" in {s["service_name"] for s in body}


def test_a_service_definition_carries_the_extra_questions_with_the_specifications_datatypes(client, city):
    body = client.get("/open311/v2/services/SZ03.json?locale=en").get_json()
    assert body["service_code"] == "SZ03"
    first, second = body["attributes"]
    assert first == {"variable": True, "code": "lamps", "datatype": "singlevaluelist", "required": True,
                     "datatype_description": None, "order": 1, "description": "How many lamps?",
                     "values": [{"key": "1", "name": "One"}, {"key": "more", "name": "The whole street"}]}
    assert second["datatype"] == "string" and second["required"] is False and second["order"] == 2
    root = xml(client.get("/open311/v2/services/SZ03.xml?locale=en"))
    assert root.tag == "service_definition"
    attribute = root.find("attributes/attribute")
    assert attribute.findtext("variable") == "true" and attribute.findtext("datatype") == "singlevaluelist"
    assert [v.findtext("key") for v in attribute.find("values")] == ["1", "more"]
    assert attribute.find("datatype_description").text is None  # an empty element, as in the example


def test_an_unknown_service_is_a_404_error_list(client, city):
    response = client.get("/open311/v2/services/NOPE.json?locale=en")
    assert response.status_code == 404
    assert response.get_json() == [{"code": 404, "description": "No service has this service_code."}]
    root = xml(client.get("/open311/v2/services/NOPE.xml?locale=en"))
    assert root.tag == "errors" and root.find("error/code").text == "404"


def _dispatched(city, **kw):
    case = make_case(category=city["lamps"], point=city["point"], **kw)
    handling.file_case(case, city["dispatcher"])
    handling.dispatch_case(case, city["unit"], city["dispatcher"], now=datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI))
    from portal.extensions import db

    db.session.commit()
    return case


def test_a_dispatched_case_is_open_with_its_unit_and_due_time(client, city):
    case = _dispatched(city, description="三盏路灯不亮", reporter_name="王小明", reporter_phone="13800138000")
    response = client.get(f"/open311/v2/requests/{case.number}.json?locale=en")
    [record] = response.get_json()
    assert list(record) == SPEC_REQUEST_KEYS
    assert record["service_request_id"] == case.number
    assert record["status"] == "open"
    assert record["service_code"] == "SZ03"
    assert record["agency_responsible"] == "Municipal maintenance"
    assert record["expected_datetime"] == "2026-12-07T11:00:00+08:00"  # two working hours after 09:00 on a Monday
    assert record["requested_datetime"].endswith("+08:00")
    assert record["address"] == "人民路1号"
    assert (record["lat"], record["long"]) == (30.27, 120.15)
    assert record["status_notes"] == "Sent to the responsible unit"
    assert record["media_url"] is None  # the reporter's photos are never public
    assert record["description"] == "三盏路灯不亮"


def test_nothing_private_appears_in_either_format(client, city):
    case = _dispatched(city, description="王小明说：电话13912345678，邮箱a@b.cn", reporter_name="王小明",
                       reporter_phone="13800138000")
    for fmt in ("json", "xml"):
        body = client.get(f"/open311/v2/requests/{case.number}.{fmt}").get_data(as_text=True)
        for private in ("13800138000", "13912345678", "王小明", "a@b.cn", case.query_code, f'"id": {case.id}'):
            assert private not in body, (fmt, private)


def test_an_anonymous_case_is_listed_without_any_text_of_the_reporters(client, city):
    case = make_case(category=city["rubbish"], area=city["area"], description="我家楼下3栋的垃圾", anonymous=True,
                     location_text="幸福小区3栋502门口")
    [record] = client.get(f"/open311/v2/requests/{case.number}.json?locale=en").get_json()
    assert record["description"] is None
    assert record["address"] == "Demo district"
    assert "502" not in client.get(f"/open311/v2/requests/{case.number}.xml").get_data(as_text=True)


def test_a_closed_case_shows_its_outcome_in_status_notes(client, city):
    case = _dispatched(city)
    handling.accept_case(case, city["handler"])
    handling.handle_case(case, city["handler"], "已更换灯泡")
    handling.verify_case(case, city["dispatcher"], True, "已修复，联系人13800138000")
    from portal.extensions import db

    db.session.commit()
    [record] = client.get(f"/open311/v2/requests/{case.number}.json?locale=en").get_json()
    assert record["status"] == "closed"
    assert record["status_notes"] == "Checked and closed: 已修复，联系人***"
    root = xml(client.get(f"/open311/v2/requests/{case.number}.xml?locale=en"))
    assert root.tag == "service_requests"
    request = root.find("request")
    assert [child.tag for child in request] == SPEC_REQUEST_KEYS
    assert request.findtext("status") == "closed"


def test_the_filters_of_the_specification(client, city):
    closed = make_case(category=city["rubbish"], point=city["point"])
    handling.reject_case(closed, city["dispatcher"], "重复")
    from portal.extensions import db

    db.session.commit()
    lamp = make_case(category=city["lamps"], point=city["point"])
    other = make_case(category=city["rubbish"], point=city["point"])

    def numbers(query):
        response = client.get("/open311/v2/requests.json" + query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [r["service_request_id"] for r in response.get_json()]

    assert numbers("") == [other.number, lamp.number, closed.number]  # newest first
    assert numbers("?status=closed") == [closed.number]
    assert numbers("?status=open") == [other.number, lamp.number]
    assert numbers("?service_code=SZ03") == [lamp.number]
    assert numbers("?service_code=UNKNOWN") == []
    assert numbers(f"?service_request_id={closed.number},{lamp.number}&status=open") == [closed.number, lamp.number]
    assert numbers("?page_size=2") == [other.number, lamp.number]
    assert numbers("?page_size=2&page=2") == [closed.number]
    assert numbers("?start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00+08:00") == []
    assert numbers("?end_date=2000-02-01") == []


def test_every_wrong_parameter_is_named_at_once_in_the_language_asked(client, city):
    response = client.get("/open311/v2/requests.json?locale=en&start_date=yesterday&status=pending&page_size=5000")
    assert response.status_code == 400
    descriptions = [e["description"] for e in response.get_json()]
    assert len(descriptions) == 3
    assert descriptions[0].startswith("start_date must be a W3C datetime")
    assert descriptions[1] == "status must be open or closed."
    assert descriptions[2] == "page_size must be a whole number from 1 to 100."
    assert {e["code"] for e in response.get_json()} == {400}
    root = xml(client.get("/open311/v2/requests.xml?status=pending&page=0"))
    assert root.tag == "errors" and len(root) == 2 and root.find("error/code").text == "400"


def test_an_unknown_request_id_and_an_unknown_path_are_404_errors(client, city):
    response = client.get("/open311/v2/requests/20990101-0001.json?locale=en")
    assert response.status_code == 404
    assert response.get_json()[0]["code"] == 404
    response = client.get("/open311/v2/nothing.xml")
    assert response.status_code == 404
    assert xml(response).tag == "errors"
    response = client.get("/open311/v2/tokens/nope.json")
    assert response.status_code == 404


def test_a_jurisdiction_other_than_this_citys_is_refused(make_app):
    app = make_app(OPEN311_JURISDICTION_ID="demo.minsheng.cn", OPEN311_JURISDICTION_REQUIRED=True)
    with app.app_context():
        client = app.test_client()
        assert client.get("/open311/v2/services.json?jurisdiction_id=demo.minsheng.cn").status_code == 200
        assert client.get("/open311/v2/services.json?jurisdiction_id=other.city").status_code == 404
        response = client.get("/open311/v2/services.json?locale=en")
        assert response.status_code == 400
        assert response.get_json() == [{"code": 400, "description": "jurisdiction_id is required."}]


def test_media_url_is_the_redacted_photo_of_a_published_board_item_and_nothing_else(client, city):
    from oversight.board.models import EditorialState
    from tests.oversight.board.factories import make_item

    exposed = make_case(category=city["rubbish"], point=city["point"])
    drafted = make_case(category=city["rubbish"], point=city["point"])
    item = make_item(cases=[exposed], photos=1, unit=city["unit"])
    make_item(EditorialState.DRAFT, cases=[drafted], photos=1)
    records = client.get(f"/open311/v2/requests.json?service_request_id={exposed.number},{drafted.number}")
    first, second = records.get_json()
    assert first["media_url"] == f"http://minsheng.test/board/photos/{item.photos[0].id}"
    assert second["media_url"] is None
    photo = client.get(first["media_url"].replace("http://minsheng.test", ""))
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    photo.close()


def test_control_characters_typed_into_a_report_leave_the_xml_well_formed(client, city):
    case = make_case(category=city["rubbish"], point=city["point"], description="路灯\x01坏了\ufffe")
    root = xml(client.get(f"/open311/v2/requests/{case.number}.xml"))
    assert root.find("request/description").text == "路灯坏了"
    [record] = client.get(f"/open311/v2/requests/{case.number}.json").get_json()
    assert record["description"] == "路灯\x01坏了\ufffe"  # JSON escapes them as they are
