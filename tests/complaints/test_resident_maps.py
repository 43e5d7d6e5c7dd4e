"""Maps on the resident pages: offered, never loaded until asked for (the pages keep their weight budget), and the
list of areas still there for a phone without JavaScript."""
import re
import uuid

import pytest

from complaints.models import Case
from portal.extensions import db
from portal.registry.models import AreaLevel
from tests.complaints.test_intake import post_report
from tests.factories import make_area, make_category

SCRIPTS = re.compile(r'<script[^>]+src="([^"]+)"')
STYLES = re.compile(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"|<link[^>]+href="([^"]+)"[^>]+rel="stylesheet"')


@pytest.fixture
def client(english_client):
    return english_client


@pytest.fixture
def street(app):
    return make_area("人民街道", level=AreaLevel.STREET, parent=make_area("示范区"))


def loaded(page):
    return SCRIPTS.findall(page) + [a or b for a, b in STYLES.findall(page)]


def test_the_report_form_offers_a_map_but_loads_no_map_file_until_asked(client, street):
    page = client.get("/report").get_data(as_text=True)
    assert 'id="pick-on-map"' in page and 'data-kind="pick"' in page and "Pick the place on the map" in page
    assert not [url for url in loaded(page) if "leaflet" in url or "/map." in url]
    # The map's files are named for the button to fetch, fingerprinted like every static URL.
    assert re.search(r'data-leaflet-js="/static/vendor/leaflet/leaflet\.[0-9a-f]{12}\.js"', page)
    # Without JavaScript the area list does the job: it is still a plain <select>.
    assert re.search(r'<select class="weui-select" id="area_id" name="area_id">', page)
    assert 'name="location_source"' in page


def test_the_tracking_page_offers_a_small_map_of_the_place_when_the_position_is_known(client, street):
    category = make_category("暴露垃圾")
    response = post_report(client, {"category_id": str(category.id), "description": "路边垃圾没人清理",
                                    "idempotency_key": uuid.uuid4().hex, "area_id": str(street.id),
                                    "latitude": "30.123456", "longitude": "120.654321"})
    assert response.status_code == 302
    case = db.session.scalars(db.select(Case)).one()
    page = client.get(f"/track/{case.number}").get_data(as_text=True)
    assert 'data-kind="place" data-centre="30.123456,120.654321"' in page
    assert not [url for url in loaded(page) if "leaflet" in url]


def test_the_tracking_page_has_no_map_when_nothing_says_where(client, street):
    category = make_category("暴露垃圾")
    post_report(client, {"category_id": str(category.id), "description": "路边垃圾没人清理",
                         "idempotency_key": uuid.uuid4().hex, "area_id": str(street.id)})
    case = db.session.scalars(db.select(Case)).one()
    assert 'id="place-map"' not in client.get(f"/track/{case.number}").get_data(as_text=True)
