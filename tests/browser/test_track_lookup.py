"""Walkthrough item 1 (issue #12): following a case from a real browser, as a resident does with the SMS link."""
from tests.browser.conftest import horizontal_overflow
from tests.factories import make_case


def test_a_lookup_typed_in_a_fresh_browser_opens_the_case(live_server, phone):
    case = make_case(description="东门垃圾桶满了没人清")
    page = phone.new_page()
    page.goto(live_server.url + "/track")
    page.get_by_label("工单号").fill(case.number)
    page.get_by_label("查询码").fill(case.query_code)
    with page.expect_navigation():
        page.get_by_role("button", name="查看我的工单").click()
    assert page.url == f"{live_server.url}/track/{case.number}"
    assert "东门垃圾桶满了没人清" in page.content()
    assert horizontal_overflow(page) == 0


def test_the_sms_link_opened_fresh_asks_for_the_code_without_an_error(live_server, phone):
    case = make_case()
    page = phone.new_page()
    page.goto(f"{live_server.url}/track/{case.number}")
    assert page.locator("[role=alert]").count() == 0
    assert "未找到" not in page.inner_text("body")
    assert page.get_by_label("工单号").input_value() == case.number
    page.get_by_label("查询码").fill(case.query_code)
    with page.expect_navigation():
        page.get_by_role("button", name="查看我的工单").click()
    assert page.url == f"{live_server.url}/track/{case.number}"


def test_a_wrong_code_says_not_found_and_the_next_try_still_works(live_server, phone):
    case = make_case()
    page = phone.new_page()
    page.goto(live_server.url + "/track")
    page.get_by_label("工单号").fill(case.number)
    wrong = "00000000" if case.query_code != "00000000" else "11111111"
    page.get_by_label("查询码").fill(wrong)
    with page.expect_navigation():
        page.get_by_role("button", name="查看我的工单").click()
    assert page.locator("[role=alert]").count() == 1
    page.get_by_label("查询码").fill(case.query_code)
    with page.expect_navigation():
        page.get_by_role("button", name="查看我的工单").click()
    assert page.url == f"{live_server.url}/track/{case.number}"


def test_the_home_page_links_the_lookup_and_the_board(live_server, phone):
    page = phone.new_page()
    page.goto(live_server.url + "/")
    page.locator("a[href='/track']").first.click()
    assert page.url == live_server.url + "/track"
    page.goto(live_server.url + "/")
    page.locator("a[href^='/board']").first.click()
    assert page.url.startswith(live_server.url + "/board")


def test_a_link_with_a_mistyped_code_can_be_corrected_on_the_page(live_server, phone):
    case = make_case()
    page = phone.new_page()
    page.goto(f"{live_server.url}/track?number={case.number}&code=1234")  # 4 digits: the code has 8
    assert page.locator(".ms-field-error").count() >= 1
    page.get_by_label("查询码").fill(case.query_code)
    with page.expect_navigation():
        page.get_by_role("button", name="查看我的工单").click()
    assert page.url == f"{live_server.url}/track/{case.number}"
