"""Browser tests: Debian's Chromium driven by Playwright against the app served by the test itself.

They run in ``make test`` when Chromium and Playwright are installed (``.ci/run`` installs both) and are skipped
with the reason printed when they are not. Playwright's own browser download does not work on our machines, so the
browser is Debian's: its headless shell (``chromium-headless-shell``, the old headless mode, which Playwright's
``headless=True`` uses with its own builds too) where installed, else ``/usr/bin/chromium``; override with
``CHROMIUM``. The shell renders with the same Blink and V8 as the full browser but without the browser's windows and
services around each tab: a new context cost the full browser 0.27 s of CPU in its main process, the shell 0.06 s,
and the browser tests took 236 s of CPU with the full browser, 110 s with the shell. They run on SQLite only: what a
browser sees does not depend on the database, and the PostgreSQL behaviour is covered by the rest of the suite.
"""
import io
import os
import shutil
import threading

import pytest
from PIL import Image
from werkzeug.serving import make_server

from portal.extensions import db

HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
CHROMIUM = os.environ.get("CHROMIUM") or (HEADLESS_SHELL if os.path.exists(HEADLESS_SHELL) else "/usr/bin/chromium")
# Without these Chromium keeps trying to reach Google's hosts, which this network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Mobile/15E148 MicroMessenger/8.0.50(0x18003237) NetType/WIFI Language/zh_CN")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True,
         "has_touch": True, "user_agent": WECHAT_UA, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def _unavailable_reason():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium-headless-shell; .ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _unavailable_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


def closing_body(app):
    """The WSGI app whose response body is closed as soon as it has been sent.

    Werkzeug's development server closes the body only after draining what is left of the request; when the browser
    resets the connection in that moment (a page closed while its thumbnails finish loading), the read raises and
    ``close()`` is skipped, so a photo's open file waits for the garbage collector, whose ResourceWarning then fails
    whichever test is running. Closing the body when it is exhausted (or when the unfinished generator is collected)
    leaves nothing open."""

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, closing_body(app), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._thread.join(5)


@pytest.fixture
def live_server(browser, make_app, database_url):
    """The app with CSRF on, as in production, served on a free local port in a thread."""
    if not database_url.startswith("sqlite"):
        pytest.skip("browser tests run on SQLite only")
    app = make_app(WTF_CSRF_ENABLED=True, PUBLIC_BASE_URL="")
    server = LiveServer(app)
    app.config["PUBLIC_BASE_URL"] = server.url
    server.start()
    with app.app_context():
        yield server
        db.session.remove()
    server.stop()


def _context(browser, options):
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def phone(browser):
    """A fresh phone browser (390×844, touch, WeChat's user agent)."""
    context = _context(browser, PHONE)
    yield context
    context.close()


@pytest.fixture
def desktop(browser):
    """A fresh desktop browser for staff pages."""
    context = _context(browser, DESKTOP)
    yield context
    context.close()


@pytest.fixture
def new_context(browser):
    """Make fresh browsers: ``new_context(PHONE or DESKTOP, lang, url)``, ``lang`` set as the language cookie."""
    contexts = []

    def factory(options, lang=None, url=None):
        context = _context(browser, options)
        if lang:
            context.add_cookies([{"name": "lang", "value": lang, "url": url}])
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def new_phone(new_context):
    """Make more fresh phone browsers (e.g. the SMS link opened elsewhere)."""
    return lambda: new_context(PHONE)


def horizontal_overflow(page):
    """How many CSS pixels the page is wider than its viewport (0 when nothing overflows)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def jpeg_upload(color=(200, 30, 30), size=(64, 48)):
    """A small JPEG as Playwright's ``set_input_files`` takes it: a resident's or a handler's photo."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}
