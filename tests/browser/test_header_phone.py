"""Headers on a 390 px phone, in the three languages: names stay whole (never broken over two lines) and nothing
is wider than the screen, on the public pages and on the staff console."""
from portal.auth.models import Role
from portal.extensions import db
from tests.browser.conftest import horizontal_overflow
from tests.factories import make_user

WHOLE = """(selector) => [...document.querySelectorAll(selector)].map(e => e.getClientRects().length)"""


def test_the_public_header_never_breaks_a_name_in_the_middle(live_server, phone):
    page = phone.new_page()
    for lang in ("zh_Hans", "zh_Hant", "en"):
        page.goto(f"{live_server.url}/report?lang={lang}")
        lines = page.evaluate(WHOLE, ".ms-brand, .ms-lang a, .ms-lang strong")
        assert lines and all(n == 1 for n in lines), (lang, lines)  # a box broken over lines has several rects
        assert horizontal_overflow(page) == 0, lang


def test_the_console_header_fits_a_phone_with_names_whole(live_server, phone):
    user = make_user(Role.DISPATCHER, display_name="王芳")
    db.session.commit()
    page = phone.new_page()
    page.goto(live_server.url + "/login")
    page.fill("#username", user.username)
    page.fill("#password", "password123")
    page.click("form button.btn-primary")
    page.wait_for_url("**/console/**")
    for lang in ("zh_Hans", "zh_Hant", "en"):
        page.goto(f"{live_server.url}/console/?lang={lang}")
        lines = page.evaluate(WHOLE, "nav.navbar .navbar-brand, nav.navbar .navbar-text, nav.navbar .ms-lang a, "
                                     "nav.navbar .ms-lang strong, nav.navbar .btn")
        assert lines and all(n == 1 for n in lines), (lang, lines)
        assert horizontal_overflow(page) == 0, lang
