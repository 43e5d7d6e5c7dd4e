"""The browser harness itself: a phone opens the home page served by the test."""
from tests.browser.conftest import horizontal_overflow


def test_a_phone_opens_the_home_page_in_chinese_without_overflow(live_server, phone):
    page = phone.new_page()
    response = page.goto(live_server.url + "/")
    assert response.status == 200
    assert page.evaluate("document.documentElement.lang").startswith("zh")
    assert horizontal_overflow(page) == 0
