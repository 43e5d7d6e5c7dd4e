"""The board's console pages: lists, new items, the item page with its steps, redaction without JavaScript,
appeals from the unit's inbox, candidates; originals only for editors and publishers; every text inert."""
import io
import re
from datetime import timedelta

import pytest
from PIL import Image

from oversight.board.models import Appeal, EditorialState, ExposureItem
from portal.auth.models import Role
from portal.city import city_today
from portal.extensions import db
from portal.notify_models import Delivery
from tests.factories import make_area, make_case, make_category, make_point, make_unit, make_user
from tests.oversight.board.factories import jpeg_bytes, make_item

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def body(response):
    return response.get_data(as_text=True)


@pytest.fixture
def moderator(app):
    return make_user(Role.MODERATOR)


def test_the_list_shows_items_with_counts_by_state(app, client, login, moderator):
    make_item("draft", title="草稿一号", area=make_area())
    make_item("published", title="已发布一号", area=make_area())
    login(moderator)
    page = body(client.get("/console/board/"))
    assert "草稿一号" in page and "已发布一号" in page
    assert 'data-count="draft">1<' in page and 'data-count="published">1<' in page
    only_drafts = body(client.get("/console/board/?state=draft"))
    assert "草稿一号" in only_drafts and "已发布一号" not in only_drafts


def _add_items_of_strangers(count, start):
    """``count`` items, alternately at a point and in an area, each of a unit of its own with an appeal: every
    relation a row of the list shows is a different record."""
    for n in range(start, start + count):
        unit = make_unit(f"单位{n}")
        where = {"point": make_point(name=f"点位{n}")} if n % 2 else {"area": make_area(f"区{n}")}
        item = make_item("review", title=f"待审曝光{n}号", unit=unit, photos=0, **where)
        db.session.add(Appeal(item=item, unit_id=unit.id, statement="已整改"))
    db.session.commit()


def test_the_list_sends_as_many_statements_for_eight_items_as_for_two(app, client, login, moderator):
    """The list loads each item's appeals, unit, point and area with the page, not one query per item (without
    that, 2 → 8 items took it from 14 to 32 statements)."""
    from tests.sqlcount import statements_for_two_and_eight_rows

    login(moderator)
    few, many = statements_for_two_and_eight_rows(client, "/console/board/", _add_items_of_strangers,
                                                  lambda page: len(re.findall(r"待审曝光\d+号", page)))
    assert few == many, (few, many)


def test_a_new_item_through_the_form(app, client, login, moderator):
    unit = make_unit("市环卫处")
    area = make_area("东城区")
    login(moderator)
    response = client.post("/console/board/new", data={
        "kind": "place", "title": "东门路段占道经营", "description": "早市摊贩占用人行道", "unit": unit.id,
        "area": area.id, "found_on": city_today().isoformat(),
        "deadline": (city_today() + timedelta(days=7)).isoformat()})
    assert response.status_code == 302
    item = db.session.execute(db.select(ExposureItem)).scalar_one()
    assert item.title == "东门路段占道经营" and item.state == EditorialState.DRAFT and item.unit_id == unit.id


def test_a_bad_form_lists_every_problem_and_stores_nothing(app, english_client, moderator):
    english_client.post("/login", data={"username": moderator.username, "password": "password123"})
    response = english_client.post("/console/board/new", data={
        "kind": "place", "title": "", "description": "x", "point_code": "NOPE",
        "found_on": city_today().isoformat(), "deadline": (city_today() - timedelta(days=1)).isoformat()})
    assert response.status_code == 200
    page = body(response)
    assert "This field is required." in page
    assert db.session.scalar(db.select(db.func.count(ExposureItem.id))) == 0


def test_new_from_cases_prefills_from_the_case_list_and_makes_the_draft(app, client, login, moderator):
    point = make_point(make_area())
    category = make_category("暴露垃圾")
    cases = [make_case(category=category, point=point) for _ in range(2)]
    numbers = ",".join(c.number for c in cases)
    login(moderator)
    assert numbers in body(client.get(f"/console/board/new-from-cases?cases={numbers}"))
    response = client.post("/console/board/new-from-cases", data={"cases": numbers, "kind": "place"})
    assert response.status_code == 302
    item = db.session.execute(db.select(ExposureItem)).scalar_one()
    assert len(item.case_links) == 2 and item.point_id == point.id
    bad = client.post("/console/board/new-from-cases", data={"cases": "20990101-0009", "kind": "place"})
    assert "20990101-0009" in body(bad) and db.session.scalar(db.select(db.func.count(ExposureItem.id))) == 1


def test_steps_are_offered_only_to_roles_that_may_take_them(app, client, login):
    item = make_item("review", unit=make_unit(), area=make_area())
    login(make_user(Role.MODERATOR))
    page = body(client.get(f"/console/board/items/{item.id}"))
    assert 'id="step-send_back"' in page and 'id="step-take_down"' in page and 'id="step-publish"' not in page
    client.post("/logout")
    login(make_user(Role.LEADER))
    page = body(client.get(f"/console/board/items/{item.id}"))
    assert 'id="step-publish"' in page and 'id="step-send_back"' not in page
    assert 'id="entry-form"' not in page and "/redact" not in page


def test_publishing_through_the_page_says_why_it_waits(app, english_client):
    item = make_item("review", unit=make_unit(), area=make_area(), photos=0)
    from portal.clock import utcnow

    item.unit_notified_at = utcnow()
    db.session.commit()
    english_client.post("/login", data={"username": make_user(Role.LEADER).username, "password": "password123"})
    response = english_client.post(f"/console/board/items/{item.id}/publish", follow_redirects=True)
    assert "notice period has not ended yet" in body(response)
    assert db.session.get(ExposureItem, item.id).state == EditorialState.REVIEW


def test_submit_through_the_page_notifies_the_unit(app, client, login, moderator):
    item = make_item("draft", unit=make_unit(contact_phone="13700001111"), area=make_area())
    login(moderator)
    assert client.post(f"/console/board/items/{item.id}/submit").status_code == 302
    assert db.session.get(ExposureItem, item.id).state == EditorialState.REVIEW
    assert db.session.scalar(db.select(db.func.count(Delivery.id)).where(Delivery.template == "board_notice")) == 1


def test_redaction_works_without_javascript(app, english_client, moderator):
    item = make_item("review", unit=make_unit(), area=make_area())
    photo = item.photos[0]
    client = english_client
    client.post("/login", data={"username": moderator.username, "password": "password123"})
    bad = client.post(f"/console/board/photos/{photo.id}/redact", data={"boxes": "10, 10, 50, 20\n10, 10, 500, 20"})
    assert bad.status_code == 400 and "Box 2: Each box must lie inside the picture." in body(bad)
    assert db.session.get(type(photo), photo.id).published_key is None
    response = client.post(f"/console/board/photos/{photo.id}/redact", data={"boxes": "10, 10, 50, 40"})
    assert response.status_code == 302
    assert db.session.get(type(photo), photo.id).boxes == [[10, 10, 50, 40]]


def test_originals_are_served_to_editors_and_publishers_only(app, client, login):
    unit = make_unit()
    item = make_item("published", unit=unit, area=make_area())
    photo = item.photos[0]
    url = f"/console/board/photos/{photo.id}/original"
    login(make_user(Role.LEADER))
    response = client.get(url)
    assert response.status_code == 200 and response.headers["Cache-Control"].startswith("private")
    Image.open(io.BytesIO(response.data)).verify()
    response.close()
    client.post("/logout")
    login(make_user(Role.HANDLER, unit=unit))
    assert client.get(url).status_code == 403
    own = client.get(f"/console/board/inbox/photos/{photo.id}")
    assert own.status_code == 200 and own.data != b""
    own.close()


def test_the_unit_files_an_appeal_from_its_inbox_and_sees_the_decision(app, client, login, moderator):
    unit = make_unit("市环卫处")
    item = make_item("review", unit=unit, area=make_area(), title="西门菜市场脏乱差")
    handler = make_user(Role.HANDLER, unit=unit)
    login(handler)
    assert "西门菜市场脏乱差" in body(client.get("/console/board/inbox/"))
    empty = client.post(f"/console/board/inbox/{item.id}/appeal", data={"statement": ""})
    assert empty.status_code == 400 and not db.session.execute(db.select(Appeal)).first()
    response = client.post(f"/console/board/inbox/{item.id}/appeal", data={
        "statement": "该市场已于上周整改", "evidence": [(io.BytesIO(jpeg_bytes()), "after.jpg")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    appeal = db.session.execute(db.select(Appeal)).scalar_one()
    assert len(appeal.evidence_keys) == 1
    client.post("/logout")
    login(moderator)
    assert "该市场已于上周整改" in body(client.get(f"/console/board/items/{item.id}"))
    client.post(f"/console/board/appeals/{appeal.id}/decide", data={"decision": "rejected",
                                                                     "reason": "复查时问题依旧"})
    client.post("/logout")
    login(handler)
    assert "复查时问题依旧" in body(client.get(f"/console/board/inbox/{item.id}"))


def test_a_handler_cannot_open_another_units_item(app, client, login):
    item = make_item("review", unit=make_unit("市环卫处"), area=make_area())
    login(make_user(Role.HANDLER, unit=make_unit("市园林局")))
    assert client.get(f"/console/board/inbox/{item.id}").status_code == 404
    assert client.post(f"/console/board/inbox/{item.id}/appeal", data={"statement": "x"}).status_code == 404


def test_the_candidates_queue_proposes_on_opening_and_dismisses_with_a_reason(app, client, login, moderator):
    app.config["BOARD_CLUSTER_THRESHOLD"] = 2
    point = make_point(make_area(), name="北站广场")
    category = make_category("流动摊贩")
    make_case(category=category, point=point)
    make_case(category=category, point=point)
    login(moderator)
    page = body(client.get("/console/board/candidates/"))
    assert "北站广场" in page
    from oversight.board.models import Candidate

    candidate = db.session.execute(db.select(Candidate)).scalar_one()
    assert client.post(f"/console/board/candidates/{candidate.id}/dismiss", data={"reason": ""}).status_code == 400
    client.post(f"/console/board/candidates/{candidate.id}/dismiss", data={"reason": "已处理"})
    assert db.session.get(Candidate, candidate.id).state == "dismissed"


def test_xss_payloads_in_every_text_field_are_inert(app, client, login):
    unit = make_unit("市环卫处")
    case = make_case()
    item = make_item("published", unit=unit, area=make_area(), title=XSS, description=XSS, title_en=XSS,
                     description_en=XSS, location_text=XSS, correction_note=XSS, cases=[case],
                     entries=[{"milestone": "progress", "text": XSS}])
    item.takedown_reason = XSS
    db.session.add(Appeal(item_id=item.id, unit_id=unit.id, statement=XSS, decision_reason=XSS))
    db.session.commit()
    login(make_user(Role.ADMIN))
    pages = [client.get(f"/console/board/items/{item.id}"), client.get("/console/board/"),
             client.get(f"/console/board/items/{item.id}/edit")]
    client.post("/logout")
    login(make_user(Role.HANDLER, unit=unit))
    pages += [client.get("/console/board/inbox/"), client.get(f"/console/board/inbox/{item.id}")]
    for response in pages:
        text = body(response)
        assert response.status_code == 200
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert" in text


@pytest.mark.parametrize("lang, html_lang", [("zh_Hans", "zh-Hans"), ("zh_Hant", "zh-Hant"), ("en", "en")])
def test_the_console_pages_render_in_three_languages(app, client, login, lang, html_lang):
    item = make_item("review", unit=make_unit(), area=make_area(),
                     entries=[{"milestone": "progress", "text": "开始整改"}])
    login(make_user(Role.ADMIN))
    client.set_cookie("lang", lang)
    for url in ("/console/board/", f"/console/board/items/{item.id}", "/console/board/new",
                "/console/board/new-from-cases", "/console/board/candidates/"):
        response = client.get(url)
        assert response.status_code == 200 and f'<html lang="{html_lang}">' in body(response), url
    if lang == "en":
        assert "Exposure board" in body(client.get("/console/board/"))
