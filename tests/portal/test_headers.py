"""Every response carries the security headers (issue #13 item 8): a CSP that runs only our own scripts and styles,
no framing, a strict referrer, no MIME sniffing, HSTS over HTTPS; staff pages and exports are never stored."""
import re
from pathlib import Path

import pytest

from portal.auth.models import Role
from tests.factories import make_area, make_case, make_category, make_user
from tests.surveys.factories import make_survey

ROOT = Path(__file__).resolve().parents[2]

RESIDENT = ["/", "/report", "/track", "/track/{number}", "/report/receipt/{number}", "/surveys/",
            "/surveys/{slug}", "/board/", "/board/honours/", "/login", "/no-such-page", "/static/js/report.js"]
JSON_AND_FEEDS = ["/report/categories.json", "/report/points.json?q=公园", "/report/similar.json", "/board/api/items",
                  "/board/feed.atom"]
STAFF = ["/console/", "/console/cases/", "/console/cases/{number}", "/console/cases/intake", "/console/ledger/",
         "/console/scorecards/", "/console/surveys/"]
EXPORTS = ["/console/ledger/cases.csv", "/console/ledger/cases.xlsx", "/console/export/areas.csv",
           "/console/scorecards/export/city.csv", "/console/ledger/cases/{number}/record"]


@pytest.fixture
def city(app):
    case = make_case(category=make_category("暴露垃圾"), area=make_area("示范区"))
    survey = make_survey()
    return {"number": case.number, "slug": survey.slug}


def assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    directives = dict((part.split(" ", 1) + [""])[:2] for part in csp.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in csp and "*" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin",
                                                   "strict-origin-when-cross-origin")
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: only over HTTPS


@pytest.mark.parametrize("path", RESIDENT + JSON_AND_FEEDS)
def test_public_responses_carry_the_security_headers_and_may_be_cached(client, city, path):
    response = client.get(path.format(**city))

    assert response.status_code in (200, 302, 404), response.status_code
    assert_security_headers(response)
    if not path.startswith(("/login", "/track")):
        assert "no-store" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("path", STAFF + EXPORTS)
def test_staff_pages_and_exports_carry_the_headers_and_are_never_stored(client, login, city, path):
    login(make_user(Role.ADMIN))

    response = client.get(path.format(**city))

    assert response.status_code == 200, (path, response.status_code)
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store, private"


def test_the_sign_in_page_and_a_signed_out_redirect_are_never_stored(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store, private"
    redirect = client.get("/console/cases/")
    assert redirect.status_code == 302 and redirect.headers["Cache-Control"] == "no-store, private"


def test_hsts_over_https_and_when_https_is_preferred(make_app):
    secure = make_app().test_client().get("/", base_url="https://minsheng.test")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"  # 365 × 24 × 3600 s

    preferred = make_app(PREFER_HTTPS=True).test_client().get("/")
    assert preferred.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_server_error_carries_the_headers_too(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom-for-test")

    assert response.status_code == 500
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


# The CSP forbids inline code; these keep every template inside it. -----------------------------------------------

TEMPLATES = sorted(path for package in ("portal", "complaints", "surveys", "oversight", "composition")
                   for path in (ROOT / package).rglob("*.html"))


def test_templates_are_found():
    assert len(TEMPLATES) > 90


@pytest.mark.parametrize("pattern, what", [
    (r"<script\b(?![^>]*\bsrc=)[^>]*>", "an inline <script>"),
    (r"<[a-zA-Z][^>]*\son[a-z]+\s*=", "an inline event handler (onclick=...)"),
    (r"<style\b", "a <style> block"),
    (r"<[a-zA-Z][^>]*\sstyle\s*=", "a style attribute"),
    (r"javascript:", "a javascript: URL"),
    (r"""(?:src|href)=["'](?:https?:)?//""", "a file from another site"),
])
def test_no_template_has_inline_code_or_outside_files(pattern, what):
    offenders = []
    for path in TEMPLATES:
        text = path.read_text("utf-8")
        offenders += [f"{path.relative_to(ROOT)}: {m[:60]}" for m in re.findall(pattern, text)]
    assert offenders == [], f"{what}, which the Content-Security-Policy blocks: move it to static/"


def test_a_streamed_export_arrives_whole_when_compressed(client, login, city):
    import brotli

    login(make_user(Role.ADMIN))
    plain = client.get("/console/ledger/cases.csv").get_data()

    compressed = client.get("/console/ledger/cases.csv", headers={"Accept-Encoding": "br"})

    assert compressed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(compressed.get_data()) == plain and city["number"].encode() in plain
