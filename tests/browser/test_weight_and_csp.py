"""In a real browser: what a phone downloads for the resident pages on a cold cache (encoded bytes, as Chromium
counts them), that nothing is fetched from elsewhere, that cached static files are not asked for again, and that
the Content-Security-Policy blocks nothing on the main resident and staff pages while the report form's script
still works under it."""
import pytest

from complaints.models import Case
from portal.auth.models import Role
from portal.extensions import db
from portal.registry.models import AreaLevel
from portal.taxonomy import install_taxonomy
from tests.factories import make_area, make_user
from tests.surveys.factories import make_survey, matrix, multiple, satisfaction, single, text

BUDGET = 60 * 1024  # bytes, issue #12

# Runs before any page script and outside the page's CSP: collects every violation the browser reports.
WATCH_CSP = ("window.__csp = [];"
             "document.addEventListener('securitypolicyviolation', function (e) {"
             "  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber);"
             "});")


@pytest.fixture
def city(live_server):
    categories = install_taxonomy()
    district = make_area("示范区")
    street = make_area("第1街道", level=AreaLevel.STREET, parent=district)
    survey = make_survey([satisfaction(), single(), multiple(), matrix(), text()])
    admin = make_user(Role.ADMIN, username="admin-csp")
    db.session.commit()
    return {"category": categories["SR01"], "area": street, "survey": survey, "admin": admin}


class Transfers:
    """Every request a page makes and the bytes its response body took on the wire (after compression)."""

    def __init__(self, page):
        self.requests = []
        page.on("requestfinished", self._finished)

    def _finished(self, request):
        self.requests.append((request.url, request.sizes()["responseBodySize"]))

    def total(self, exclude=("/photos/",)):
        return sum(size for url, size in self.requests if not any(part in url for part in exclude))


def _load(page, url, violations):
    page.goto(url, wait_until="load")
    page.wait_for_timeout(100)  # violation events are queued as tasks
    violations += [f"{url}: {v}" for v in page.evaluate("window.__csp")]


def _report(page, live_server, city):
    page.goto(live_server.url + "/report")
    page.select_option("#category_id", str(city["category"].id))
    page.select_option("#area_id", str(city["area"].id))
    page.fill("#description", "东门垃圾桶满了没人清，气味很大")
    page.click("#submit-report")
    page.wait_for_url("**/report/receipt/**")
    return db.session.scalars(db.select(Case).order_by(Case.id.desc())).first()


def test_the_resident_pages_transfer_at_most_60_kb_each_in_chromium(live_server, phone, new_phone, city):
    case = _report(phone.new_page(), live_server, city)
    for path in ("/", "/report", f"/report/receipt/{case.number}", f"/track/{case.number}",
                 f"/surveys/{city['survey'].slug}", "/board/"):
        cold = new_phone()  # an empty cache, as on a first visit
        cold.add_cookies(phone.cookies())  # the reporter's session: the receipt and the case's code
        page = cold.new_page()
        transfers = Transfers(page)

        response = page.goto(live_server.url + path, wait_until="networkidle")  # every transfer reported

        assert response.status == 200, path
        assert len(transfers.requests) >= 2  # the page and its stylesheet at least
        assert all(url.startswith(live_server.url) for url, _ in transfers.requests), transfers.requests
        assert transfers.total() <= BUDGET, f"{path}: {transfers.total()} bytes: {transfers.requests}"


def test_a_second_page_takes_the_stylesheet_from_the_cache(live_server, phone, city):
    from flask import request

    served = []
    live_server.app.before_request(lambda: served.append(request.path))  # what reached the server
    page = phone.new_page()
    page.goto(live_server.url + "/", wait_until="networkidle")
    first = list(served)

    page.goto(live_server.url + "/track", wait_until="networkidle")

    assert any(path.startswith("/static/bundle/resident.") for path in first)
    assert [path for path in served[len(first):] if path.startswith("/static/")] == []  # immutable: not revalidated
    assert page.evaluate("document.styleSheets.length") == 1


def test_the_main_pages_run_under_the_csp_without_a_single_violation(live_server, phone, desktop, city):
    violations, messages = [], []
    phone.add_init_script(WATCH_CSP)
    desktop.add_init_script(WATCH_CSP)
    page = phone.new_page()
    page.on("console", lambda message: messages.append(message.text))
    case = _report(page, live_server, city)
    for path in ("/", "/report", f"/track/{case.number}", "/track", f"/surveys/{city['survey'].slug}", "/board/",
                 "/board/honours/", f"/report/receipt/{case.number}"):
        _load(page, live_server.url + path, violations)

    staff = desktop.new_page()
    staff.on("console", lambda message: messages.append(message.text))
    staff.goto(live_server.url + "/login")
    staff.fill("#username", "admin-csp")
    staff.fill("#password", "password123")
    staff.click("button[type=submit], form button")
    staff.wait_for_url("**/console/**")
    for path in ("/console/", "/console/cases/", f"/console/cases/{case.number}", "/console/cases/intake",
                 f"/console/surveys/{city['survey'].id}/results", "/console/ledger/", "/console/scorecards/"):
        _load(staff, live_server.url + path, violations)
    chart = staff.locator(".sc-chart-on").first  # the dashboard's ECharts trend, drawn under the CSP
    chart.hover(position={"x": 300, "y": 200})  # its tooltip too
    staff.wait_for_timeout(300)
    violations += staff.evaluate("window.__csp")

    assert violations == []
    assert [m for m in messages if "Content Security Policy" in m] == []


def test_the_report_forms_script_still_works_under_the_csp(live_server, phone, city):
    page = phone.new_page()
    page.goto(live_server.url + "/report")

    assert "ms-js" in page.evaluate("document.documentElement.className")  # report.js ran
    page.fill("#category-search", "垃圾")
    page.locator("#category-results button").first.click()  # the search asked categories.json (connect-src)
    assert page.input_value("#category_id") != ""
    page.fill("#description", "路灯不亮")
    assert page.text_content("#description-count") == "4"
