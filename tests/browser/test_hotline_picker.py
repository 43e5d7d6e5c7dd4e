"""The hotline console in a real browser: typing "ldbl" in the picker chooses 路灯不亮; a call sent without a
category comes back with the error and the cursor on the first wrong field."""
from portal.auth.models import Role
from portal.extensions import db
from portal.taxonomy import install_taxonomy
from tests.factories import make_area, make_user


def sign_in(page, url, user):
    page.goto(url + "/login")
    page.fill("#username", user.username)
    page.fill("#password", "password123")
    page.click("form button.btn-primary")
    page.wait_for_url("**/console/**")


def test_typing_pinyin_initials_in_the_picker_chooses_the_category(live_server, desktop):
    categories = install_taxonomy()
    make_area("东城区")
    operator = make_user(Role.OPERATOR)
    db.session.commit()
    page = desktop.new_page()
    sign_in(page, live_server.url, operator)
    page.goto(live_server.url + "/console/cases/intake?lang=zh_Hans")
    assert page.input_value("#category") == ""  # nothing chosen yet

    page.fill("#category-filter", "ldbl")

    assert page.input_value("#category") == str(categories["SZ03"].id)  # 路灯不亮
    page.fill("#category-filter", "厕所")  # a synonym
    assert page.input_value("#category") == str(categories["SZ06"].id)


def test_after_an_error_the_cursor_is_on_the_first_wrong_field(live_server, desktop):
    install_taxonomy()
    area = make_area("东城区")
    operator = make_user(Role.OPERATOR)
    db.session.commit()
    page = desktop.new_page()
    sign_in(page, live_server.url, operator)
    page.goto(live_server.url + "/console/cases/intake?lang=en")
    page.fill("#reporter_phone", "13812345678")
    page.select_option("#area", str(area.id))
    page.fill("#description", "东华路路灯不亮")

    page.click("#intake button.btn-primary")

    assert "This field is required" in page.inner_text("#intake-errors")
    assert page.evaluate("document.activeElement.id") == "category"
