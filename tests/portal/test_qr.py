"""QR codes on points: scanning, tampering, regenerating, permissions and printed placards."""
import io
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image

from portal.auth.models import AuditEntry, Role
from portal.extensions import db
from portal.registry import qr
from portal.registry.models import AreaLevel
from portal.registry.services import set_active
from tests.factories import make_area, make_point, make_unit, make_user

HOTLINE = "12345"  # the default city hotline


@pytest.fixture
def client(english_client):
    return english_client


@pytest.fixture
def admin(login):
    return login(make_user(Role.ADMIN))


@pytest.fixture
def point():
    district = make_area("示范区")
    street = make_area("人民街道", level=AreaLevel.STREET, parent=district)
    return make_point(street, name="人民公园公厕", owner=make_unit("市环卫处"))


def scan_path(token):
    return f"/q/{token}"


def decode_png(data):
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))
    assert len(results) == 1
    return results[0].text


def assert_friendly_problem(response, *phrases):
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert f'href="tel:{HOTLINE}"' in page
    assert 'href="/report"' in page
    for phrase in phrases:
        assert phrase in page
    return page


# Scanning ---------------------------------------------------------------------------------------------------------

def test_downloaded_png_scans_to_the_report_page_of_its_point(client, admin, point):
    response = client.get(f"/console/points/{point.id}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"

    url = decode_png(response.data)
    assert url.startswith("http://minsheng.test/q/")

    scanned = client.get(urlsplit(url).path)
    assert scanned.status_code == 302
    assert urlsplit(scanned.location).path == "/report"

    page = client.get(scanned.location).get_data(as_text=True)
    assert "人民公园公厕" in page
    assert point.code in page
    assert "示范区 / 人民街道" in page
    assert "市环卫处" in page


def test_token_is_short_and_url_safe(app, point):
    with app.test_request_context():
        token = qr.token_for(point)
    assert re.fullmatch(rf"{point.id}\.[A-Za-z0-9_-]{{12}}", token)


def test_code_url_uses_the_request_host_when_no_public_base_url_is_set(app, point):
    app.config["PUBLIC_BASE_URL"] = ""
    with app.test_request_context(base_url="https://city.example/"):
        assert qr.point_url(point).startswith("https://city.example/q/")


def test_code_url_ignores_a_trailing_slash_in_the_public_base_url(app, point):
    app.config["PUBLIC_BASE_URL"] = "https://minsheng.example.gov.cn/"
    with app.test_request_context():
        assert qr.point_url(point).startswith("https://minsheng.example.gov.cn/q/")


def test_printed_codes_keep_working_after_the_secret_key_is_rotated(client, app, point):
    with app.test_request_context():
        token = qr.token_for(point)
    app.config["SECRET_KEY"] = "a-brand-new-secret-key"
    scanned = client.get(scan_path(token))
    assert scanned.status_code == 302 and urlsplit(scanned.location).path == "/report"
    page = client.get(scanned.location).get_data(as_text=True)
    assert "人民公园公厕" in page and point.code in page  # the report form of this very point


# Codes that lead nowhere ------------------------------------------------------------------------------------------

def test_tampered_code_gets_the_friendly_page(client, app, point):
    with app.test_request_context():
        token = qr.token_for(point)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert_friendly_problem(client.get(scan_path(tampered)), "could not read this code")


def test_code_moved_to_another_point_gets_the_friendly_page(client, app, point):
    other = make_point(point.area, name="人民公园北门")
    with app.test_request_context():
        mac = qr.token_for(point).split(".")[1]
    assert_friendly_problem(client.get(scan_path(f"{other.id}.{mac}")), "could not read this code")


@pytest.mark.parametrize("token", [
    "garbage",
    "1.",
    "0.AAAAAAAAAAAA",
    "99999999999999999999.AAAAAAAAAAAA",
    "2147483647.AAAAAAAAAAAA",
    "１.ＡＡＡＡＡＡＡＡＡＡＡＡ",
    "人民公园",
    "x" * 5000,
    "1.AAAAAAAAAAAA/extra/parts",
])
def test_malformed_codes_get_the_friendly_page(client, point, token):
    assert_friendly_problem(client.get(scan_path(token)), "could not read this code")


@pytest.mark.parametrize("token", [None, "", "\x00", "1.AAAAAAAAAAAA\n", "-1.AAAAAAAAAAAA", "1" * 100000])
def test_resolving_never_raises(app, token):
    with app.test_request_context():
        resolution = qr.resolve_token(token)
    assert resolution.point is None
    assert resolution.problem == qr.UNKNOWN


def test_report_page_with_a_bad_code_gets_the_friendly_page(client, point):
    assert_friendly_problem(client.get("/report?t=nonsense"), "could not read this code")


def test_deactivated_points_code_gets_the_friendly_page(client, app, point):
    with app.test_request_context():
        token = qr.token_for(point)
    set_active(point, False, actor=None)
    db.session.commit()
    assert_friendly_problem(client.get(scan_path(token)), "no longer in service")


def test_friendly_page_speaks_the_readers_language(app, point):
    client = app.test_client()
    page = client.get(scan_path("garbage"), headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'lang="zh-Hans"' in page


# Regenerating -----------------------------------------------------------------------------------------------------

def test_regenerated_code_replaces_the_old_placard(client, app, admin, point):
    with app.test_request_context():
        old_token = qr.token_for(point)

    response = client.post(f"/console/points/{point.id}/qr/regenerate")
    assert response.status_code == 302
    assert response.location.endswith(f"/console/points/{point.id}/qr")

    db.session.refresh(point)
    with app.test_request_context():
        new_token = qr.token_for(point)
    assert new_token != old_token
    assert_friendly_problem(client.get(scan_path(old_token)), "This code has been replaced")
    scanned = client.get(scan_path(new_token))
    assert scanned.status_code == 302 and urlsplit(scanned.location).path == "/report"
    assert point.code in client.get(scanned.location).get_data(as_text=True)


def test_regenerating_is_audited(client, admin, point):
    client.post(f"/console/points/{point.id}/qr/regenerate")
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="qr_regenerate")).scalar_one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (admin.id, "points", point.id)
    assert entry.summary == point.code


def test_admin_sees_the_regenerate_warning(client, admin, point):
    page = client.get(f"/console/points/{point.id}/qr").get_data(as_text=True)
    assert f"/console/points/{point.id}/qr/regenerate" in page
    assert "stops working" in page


def test_dispatcher_may_print_but_not_regenerate(client, login, point):
    login(make_user(Role.DISPATCHER))
    page = client.get(f"/console/points/{point.id}/qr")
    assert page.status_code == 200
    assert "http://minsheng.test/q/" in page.get_data(as_text=True)
    assert "/qr/regenerate" not in page.get_data(as_text=True)
    assert client.post(f"/console/points/{point.id}/qr/regenerate").status_code == 403
    assert point.qr_serial == 1


def test_handler_cannot_download_codes(client, login, point):
    login(make_user(Role.HANDLER, unit=point.owner_unit))
    assert client.get(f"/console/points/{point.id}/qr.png").status_code == 403


@pytest.mark.parametrize("method, suffix", [("get", "/qr"), ("get", "/qr.png"), ("post", "/qr/regenerate")])
def test_anonymous_visitors_are_sent_to_login(client, point, method, suffix):
    response = getattr(client, method)(f"/console/points/{point.id}{suffix}")
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"


# Files and placards -----------------------------------------------------------------------------------------------

def test_svg_download_is_well_formed_and_named_after_the_point(client, admin, point):
    response = client.get(f"/console/points/{point.id}/qr.svg")
    assert response.mimetype == "image/svg+xml"
    assert point.code in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert ET.fromstring(response.data).tag == "{http://www.w3.org/2000/svg}svg"


def test_svg_scans_like_the_png(app, point):
    with app.test_request_context():
        url = qr.point_url(point)
    png = qr.render_png(url)
    assert decode_png(png) == url
    # Rasterise the SVG's module runs by hand to check they draw the same code.
    svg = ET.fromstring(qr.render_svg(url))
    size = int(svg.get("viewBox").split()[2])
    image = Image.new("L", (size, size), 255)
    for x, y, width in re.findall(r"M(\d+),(\d+)h(\d+)", svg.find("{http://www.w3.org/2000/svg}path").get("d")):
        for dx in range(int(width)):
            image.putpixel((int(x) + dx, int(y)), 0)
    assert decode_png(_png_of(image.resize((size * 8, size * 8), Image.NEAREST))) == url


def _png_of(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_placards_for_an_area_cover_its_active_points_only(client, admin):
    district = make_area("示范区")
    street = make_area("人民街道", level=AreaLevel.STREET, parent=district)
    in_district = make_point(district, name="东湖农贸市场")
    in_street = make_point(street, name="人民公园公厕")
    closed = make_point(street, name="旧垃圾中转站")
    set_active(closed, False, actor=None)
    db.session.commit()
    elsewhere = make_point(make_area("另一区"), name="西山学校")

    page = client.get(f"/console/placards?area={district.id}").get_data(as_text=True)

    for point in (in_district, in_street):
        assert point.display_name in page and point.code in page
    assert "人民街道" in page
    assert page.count("Scan to report a problem") == 2
    assert HOTLINE in page
    for point in (closed, elsewhere):
        assert point.display_name not in page and point.code not in page


def test_placards_for_ticked_points(client, admin, point):
    other = make_point(make_area("另一区"), name="西山学校")
    page = client.get(f"/console/placards?point={point.id}&point={other.id}&point=junk").get_data(as_text=True)
    assert point.code in page and other.code in page
    assert page.count("<svg") == 2


def test_placards_fill_a4_pages_six_at_a_time(client, admin):
    area = make_area()
    for n in range(7):
        make_point(area, name=f"公厕{n}")
    page = client.get(f"/console/placards?area={area.id}").get_data(as_text=True)
    stylesheet = re.search(r'href="(/static/css/placards\.[0-9a-f]{12}\.css)"', page)[1]
    assert "size: A4" in client.get(stylesheet).get_data(as_text=True)
    assert "at 100% scale" in page
    assert page.count('<section class="sheet">') == 2


def test_empty_placard_selection_says_so(client, admin):
    response = client.get("/console/placards")
    assert response.status_code == 200
    assert 'id="placards-empty"' in response.get_data(as_text=True)
    assert 'id="placards-empty"' in client.get("/console/placards?area=999999").get_data(as_text=True)


def test_placard_sheet_is_capped(client, admin, monkeypatch):
    monkeypatch.setattr(qr, "MAX_PLACARDS", 2)
    area = make_area()
    for n in range(3):
        make_point(area, name=f"公厕{n}")
    page = client.get(f"/console/placards?area={area.id}").get_data(as_text=True)
    assert 'id="placards-capped"' in page
    assert "3 points were chosen; only the first 2" in page
    assert page.count('class="placard"') == 2


def test_handler_cannot_print_placards(client, login, point):
    login(make_user(Role.HANDLER))
    assert client.get(f"/console/placards?point={point.id}").status_code == 403
