"""Issue #12, end-to-end tests 1 and 2: a resident reports from a placard's QR code on a phone, follows the case from
another browser, staff file, dispatch, handle, check and close it on a desktop, and the resident rates the result."""
import io
import re

import pytest
import zxingcpp
from PIL import Image

from complaints import handling, services
from portal.auth.models import Role
from portal.extensions import db
from tests.browser.conftest import horizontal_overflow, jpeg_upload
from tests.factories import make_area, make_case, make_category, make_point, make_rule, make_unit, make_user

PASSWORD = "password123"




@pytest.fixture
def city(live_server):
    area = make_area("示范区")
    unit = make_unit("市环卫处")
    toilet = make_category("公厕问题", limit_hours=8)
    make_category("路灯不亮", parent=toilet.parent)
    make_rule(toilet, unit)
    point = make_point(area, name="人民公园公厕")
    return {"area": area, "unit": unit, "category": toilet, "point": point,
            "dispatcher": make_user(Role.DISPATCHER, username="dispatcher", display_name="指挥中心王五"),
            "handler": make_user(Role.HANDLER, username="handler", unit=unit, display_name="环卫处赵六")}


def sign_in(context, live_server, username, password=PASSWORD):
    page = context.new_page()
    page.goto(live_server.url + "/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("form button").click()
    assert "/login" not in page.url
    return page


def placard_url(page, live_server, point):
    """What a resident's camera reads: the code in the PNG the console offers for download (``page`` is staff's)."""
    png = page.request.get(f"{live_server.url}/console/points/{point.id}/qr.png")
    assert png.status == 200 and png.headers["content-type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.body())))
    assert len(decoded) == 1
    return decoded[0].text


def report_from_the_placard(phone, url, category_name):
    """The resident's phone: scan, choose the type, describe, attach a photo, send; returns (page, number, code)."""
    page = phone.new_page()
    page.goto(url)
    assert "人民公园公厕" in page.locator("#bound-point").inner_text()
    page.locator("#category_id").select_option(label=category_name)
    page.locator("#description").fill("男厕所的水龙头坏了，一直在漏水")
    page.locator("#photos").set_input_files([jpeg_upload((200, 30, 30))])
    with page.expect_navigation():
        page.locator("#report-form button[type=submit]:not([name=check])").last.click()
    assert "/report/receipt/" in page.url
    assert horizontal_overflow(page) == 0
    number, code = page.locator("#case-number").inner_text(), page.locator("#query-code").inner_text()
    assert re.fullmatch(r"\d{8}-\d{4,6}", number) and re.fullmatch(r"\d{8}", code)
    return page, number, code


def follow_from_a_fresh_browser(context, live_server, number, code):
    page = context.new_page()
    page.goto(f"{live_server.url}/track")
    page.locator("input[name=number]").fill(number)
    page.locator("input[name=code]").fill(code)
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    assert page.url == f"{live_server.url}/track/{number}"
    return page


def test_a_resident_reports_from_a_placard_and_follows_the_case_elsewhere(live_server, city, phone, desktop,
                                                                          new_phone):
    url = placard_url(sign_in(desktop, live_server, "dispatcher"), live_server, city["point"])
    assert url.startswith(live_server.url + "/q/")

    receipt, number, code = report_from_the_placard(phone, url, "公厕问题")
    assert "男厕所的水龙头坏了" in receipt.inner_text("body")
    assert "1" in receipt.locator(".ms-summary").inner_text()  # one photo attached
    for label, html_lang in (("繁體中文", "zh-Hant"), ("English", "en"), ("简体中文", "zh-Hans")):
        with receipt.expect_navigation():
            receipt.locator(".ms-lang a", has_text=label).click()
        assert receipt.evaluate("document.documentElement.lang") == html_lang
        assert receipt.locator("#query-code").inner_text() == code  # still this browser's receipt
        assert horizontal_overflow(receipt) == 0

    tracking = follow_from_a_fresh_browser(new_phone(), live_server, number, code)
    body = tracking.inner_text("body")
    assert "男厕所的水龙头坏了" in body and "人民公园公厕" in body
    assert tracking.locator("img").count() >= 1  # the photo the resident sent
    assert horizontal_overflow(tracking) == 0


def case_page(page, live_server, number):
    page.goto(f"{live_server.url}/console/cases/{number}")
    return page


def step(page, action, fill=None, button=None, photos=None):
    section = page.locator(f"#action-{action}")
    for name, value in (fill or {}).items():
        field = section.locator(f"[name$={name}]")  # the forms on a case page carry prefixes
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(field.locator("option", has_text=value).get_attribute("value"))
        else:
            field.fill(value)
    if photos:
        section.locator("input[type=file]").set_input_files(photos)
    with page.expect_navigation():
        (section.locator(f"button[value={button}]") if button else section.locator("button")).click()
    assert page.locator(".alert-danger, .invalid-feedback").count() == 0, page.inner_text("main")


def test_staff_handle_the_case_and_the_resident_rates_it_satisfied(live_server, city, phone, desktop, browser):
    dispatcher = sign_in(desktop, live_server, "dispatcher")
    url = placard_url(dispatcher, live_server, city["point"])
    resident, number, code = report_from_the_placard(phone, url, "公厕问题")

    case_page(dispatcher, live_server, number)
    step(dispatcher, "file", {"note": "属实，立案"})
    step(dispatcher, "dispatch", {"unit": "市环卫处", "note": "请今天修好"})

    unit_desktop = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                       timezone_id="Asia/Shanghai")
    try:
        handler = sign_in(unit_desktop, live_server, "handler")
        case_page(handler, live_server, number)
        step(handler, "accept")
        step(handler, "handle", {"note": "已更换水龙头"}, photos=[jpeg_upload((30, 160, 60))])
    finally:
        unit_desktop.close()

    case_page(dispatcher, live_server, number)
    step(dispatcher, "verify", {"note": "现场核查：水龙头已更换，不再漏水"}, button="pass")
    assert dispatcher.locator("#actions #action-verify").count() == 0

    resident.goto(f"{live_server.url}/track/{number}")
    body = resident.inner_text("body")
    assert "现场核查：水龙头已更换，不再漏水" in body
    resident.locator("#rating-form label[for=rating-1]").click()  # 1 = 满意 on the city's 3-level scale
    with resident.expect_navigation():
        resident.locator("#rating-form button[type=submit]").click()
    assert "满意" in resident.inner_text("body")
    assert resident.locator("#rating-form").count() == 0  # rated once: the form is gone

    case_page(dispatcher, live_server, number)
    assert dispatcher.locator("#rating").count() == 1  # staff see the rating (its wording: the test below)


def test_staff_see_a_rating_by_its_label(live_server, city, desktop):
    case = make_case(category=city["category"], point=city["point"])
    handling.file_case(case, city["dispatcher"])
    handling.dispatch_case(case, city["unit"], city["dispatcher"])
    handling.accept_case(case, city["handler"])
    handling.handle_case(case, city["handler"], "已更换水龙头")
    handling.verify_case(case, city["dispatcher"], True, "已修好")
    services.rate_case(case, 1, "")  # 1 = 满意 on the city's 3-level scale
    db.session.commit()

    page = case_page(sign_in(desktop, live_server, "dispatcher"), live_server, case.number)
    assert "满意" in page.locator("#rating").inner_text()
