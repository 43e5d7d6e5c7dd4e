"""Accessibility of the main resident and staff pages (issue #12): axe-core, vendored from npm for the tests only
and injected by Playwright, finds no serious or critical violation of WCAG 2.1 A/AA; forms announce their errors;
staff pages work from the keyboard."""
from pathlib import Path

import pytest

from complaints import handling
from portal.auth.models import Role
from portal.extensions import db
from tests.browser.conftest import jpeg_upload
from tests.factories import make_area, make_case, make_category, make_point, make_rule, make_unit, make_user
from tests.surveys.factories import make_survey, matrix, satisfaction, single, text

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PASSWORD = "password123"


def serious_violations(page):
    """What axe-core reports as serious or critical on the page as shown, one line per rule and element."""
    # Evaluated through the DevTools protocol, not as a <script>: the page's Content-Security-Policy allows no
    # inline script, and axe is a test tool the site never serves.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    return [f"{v['id']} ({v['impact']}): {', '.join(map(str, node['target']))} {_detail(node)}"
            for v in result["violations"] if v["impact"] in ("serious", "critical") for node in v["nodes"]]


def _detail(node):
    data = next((check.get("data") for check in node.get("any", []) if isinstance(check.get("data"), dict)), None)
    if data and "contrastRatio" in data:
        return f"{data['fgColor']} on {data['bgColor']} = {data['contrastRatio']}"
    return node.get("failureSummary", "").replace("\n", " ")[:160]




@pytest.fixture
def city(live_server):
    area = make_area("示范区")
    unit = make_unit("市环卫处")
    category = make_category("公厕问题", limit_hours=8)
    make_rule(category, unit)
    point = make_point(area, name="人民公园公厕")
    dispatcher = make_user(Role.DISPATCHER, username="dispatcher", display_name="指挥中心王五")
    case = make_case(category=category, point=point, description="男厕所的水龙头坏了")
    handling.file_case(case, dispatcher)
    handling.dispatch_case(case, unit, dispatcher)
    db.session.commit()
    survey = make_survey([satisfaction(), single("age"), matrix(), text("comment")])
    handler = make_user(Role.HANDLER, username="handler", unit=unit, display_name="环卫处赵六")
    return {"point": point, "case": case, "survey": survey, "category": category, "unit": unit,
            "dispatcher": dispatcher, "handler": handler}


def close_reported_case(page, city):
    """Staff handle the case on the receipt page and close it, so the tracking page asks for a rating."""
    from complaints.models import Case

    case = db.session.scalar(db.select(Case).where(Case.number == page.locator("#case-number").inner_text()))
    handling.file_case(case, city["dispatcher"])
    handling.dispatch_case(case, city["unit"], city["dispatcher"])
    handling.accept_case(case, city["handler"])
    handling.handle_case(case, city["handler"], "已清理")
    handling.verify_case(case, city["dispatcher"], True, "现场核查：已清理干净")
    db.session.commit()


def report(page, live_server, city):
    page.goto(f"{live_server.url}/report?p={city['point'].id}")
    page.locator("#category_id").select_option(str(city["category"].id))
    page.locator("#description").fill("垃圾桶满了")
    page.locator("#photos").set_input_files([jpeg_upload()])
    with page.expect_navigation():
        page.locator("#report-form button[type=submit]:not([name=check])").last.click()
    return page


RESIDENT_PAGES = ["home", "report form", "report form with errors", "receipt", "tracking lookup", "tracking",
                  "tracking with the rating form", "survey", "board"]


@pytest.mark.parametrize("name", RESIDENT_PAGES)
def test_a_resident_page_has_no_serious_accessibility_violation(live_server, phone, city, name):
    page = phone.new_page()
    url = live_server.url
    if name == "home":
        page.goto(url + "/")
    elif name == "report form":
        page.goto(f"{url}/report?p={city['point'].id}")
    elif name == "report form with errors":
        page.goto(f"{url}/report?p={city['point'].id}")
        with page.expect_navigation():
            page.locator("#report-form button[type=submit]:not([name=check])").last.click()
    elif name in ("receipt", "tracking", "tracking with the rating form"):
        report(page, live_server, city)
        if name == "tracking with the rating form":
            close_reported_case(page, city)
        if name != "receipt":
            page.locator("a[href^='/track/']").first.click()
            page.wait_for_url("**/track/*")
            assert page.locator("#rating-form").count() == (1 if name.endswith("rating form") else 0)
    elif name == "tracking lookup":
        page.goto(url + "/track")
    elif name == "survey":
        page.goto(f"{url}/surveys/{city['survey'].slug}")
    elif name == "board":
        page.goto(url + "/board/")
    violations = serious_violations(page)
    assert violations == [], "\n".join(violations)


STAFF_PAGES = ["login", "console home", "case list", "case page"]


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_a_staff_page_has_no_serious_accessibility_violation(live_server, desktop, city, name):
    page = desktop.new_page()
    page.goto(live_server.url + "/login")
    if name != "login":
        page.locator("input[name=username]").fill("dispatcher")
        page.locator("input[name=password]").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("form button").click()
        page.goto(live_server.url + {"console home": "/console/", "case list": "/console/cases/",
                                     "case page": f"/console/cases/{city['case'].number}"}[name])
    violations = serious_violations(page)
    assert violations == [], "\n".join(violations)


def test_a_report_sent_empty_lists_every_problem_in_an_announced_summary(live_server, phone, city):
    page = phone.new_page()
    page.goto(f"{live_server.url}/report?p={city['point'].id}")
    with page.expect_navigation():
        page.locator("#report-form button[type=submit]:not([name=check])").last.click()
    summary = page.locator("#form-errors")
    assert summary.get_attribute("role") == "alert"  # screen readers read it out when the page comes back
    assert summary.locator("li").count() >= 2  # the type and the description are both missing (一次性告知)


def test_staff_sign_in_and_file_a_case_with_the_keyboard_only(live_server, desktop, city):
    case = make_case(category=city["category"], point=city["point"], description="路灯不亮")
    page = desktop.new_page()
    page.goto(live_server.url + "/login")
    page.locator("input[name=username]").focus()
    page.keyboard.type("dispatcher")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"{live_server.url}/console/cases/{case.number}")

    for _ in range(200):  # Tab through the page until the filing button has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#action-file') && document.activeElement.tagName"):
            if page.evaluate("document.activeElement.tagName") == "BUTTON":
                break
    else:
        pytest.fail("the filing button cannot be reached with Tab")
    visible_focus = page.evaluate("getComputedStyle(document.activeElement).boxShadow + "
                                  "getComputedStyle(document.activeElement).outlineStyle")
    assert visible_focus not in ("nonenone", "none")  # the focused button is marked
    with page.expect_navigation():
        page.keyboard.press("Enter")
    db.session.expire_all()
    assert case.state.value == "filed"
