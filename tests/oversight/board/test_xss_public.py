"""Script payloads typed into any text of an item, its follow-ups, unit, area, place or category stay inert on the
public board: escaped in HTML, well-formed and intact in the feeds, plain strings in JSON."""
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest

from oversight.board.models import EntryMilestone
from portal.city import city_today
from portal.extensions import db
from portal.registry.models import AreaLevel
from tests.factories import make_area, make_category, make_point, make_unit
from tests.oversight.board.factories import make_item

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
PAYLOAD = f"{SCRIPT}{ATTRIBUTE}{JS_URL}"
RAW = (SCRIPT, "<img src=x", "onerror=alert(1)>", 'href="javascript:', "href='javascript:", 'src="javascript:')
NS = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture
def hostile(app):
    area = make_area(f"区{PAYLOAD}", level=AreaLevel.DISTRICT, name_en=f"Area {PAYLOAD}")
    unit = make_unit(f"单位{PAYLOAD}", name_en=f"Unit {PAYLOAD}")
    category = make_category(f"类别{PAYLOAD}")
    point = make_point(area=area, name=f"点位{PAYLOAD}")
    today = city_today()
    item = make_item(title=f"标题{PAYLOAD}", title_en=f"Title {PAYLOAD}", description=f"描述{PAYLOAD}\x0b",
                     description_en=f"Description {PAYLOAD}", location_text=f"位置{PAYLOAD}", area=area, unit=unit,
                     category=category, point=point, deadline=today + timedelta(days=2),
                     entries=[(EntryMilestone.PROGRESS, today, f"追踪{PAYLOAD}")])
    item.correction_note = f"更正{PAYLOAD}"
    item.entries[0].text_en = f"Follow-up {PAYLOAD}"
    db.session.commit()
    return item


def html_urls(item):
    return [f"/board/?lang={lang}" for lang in ("zh_Hans", "zh_Hant", "en")] + [
        f"/board/items/{item.id}", f"/board/items/{item.id}?lang=en", f"/board/units/{item.unit_id}",
        f"/board/units/{item.unit_id}?lang=en", f"/board/?area={item.area_id}&unit={item.unit_id}"]


def test_payloads_are_escaped_in_every_page(client, hostile):
    for url in html_urls(hostile):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        for raw in RAW:
            assert raw not in body, f"{raw!r} unescaped on {url}"
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url  # shown as text, not dropped


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_feeds_stay_well_formed_and_carry_the_text_verbatim(client, hostile, lang):
    for url in ("/board/feed.atom", f"/board/areas/{hostile.area_id}/feed.atom",
                f"/board/units/{hostile.unit_id}/feed.atom"):
        response = client.get(f"{url}?lang={lang}")
        assert SCRIPT.encode() not in response.data
        feed = ET.fromstring(response.data)  # raises on malformed XML
        titles = [e.findtext("a:title", namespaces=NS) for e in feed.findall("a:entry", NS)]
        assert titles == [f"标题{PAYLOAD}" if lang == "zh_Hans" else f"Title {PAYLOAD}"]
        assert PAYLOAD in feed.find("a:entry/a:summary", NS).text


def test_json_carries_payloads_as_plain_strings(client, hostile):
    response = client.get(f"/board/api/items/{hostile.id}")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    data = response.get_json()
    assert data["title"] == f"标题{PAYLOAD}"
    assert data["correction_note"] == f"更正{PAYLOAD}"
    assert data["entries"][0]["text"] == f"追踪{PAYLOAD}"
    assert data["unit"]["name"] == f"单位{PAYLOAD}"
    listing = client.get("/board/api/items?lang=en").get_json()
    assert listing["items"][0]["title"] == f"Title {PAYLOAD}"
