"""Each resident page reaches a phone on a weak network in at most 60 KB on a cold cache (HTML, CSS, JS, fonts and
icons as transferred, compressed; photos excluded), with one stylesheet, deferred scripts and nothing from elsewhere."""
import re
import uuid
from datetime import timedelta

import pytest

from complaints.models import Case
from oversight.board.models import EntryMilestone
from portal.city import city_today
from portal.extensions import db
from portal.registry.models import AreaLevel
from portal.taxonomy import install_taxonomy
from tests.factories import make_area, make_category, make_unit
from tests.oversight.board.factories import make_item
from tests.pageweight import page_weight
from tests.surveys.factories import make_survey, matrix, multiple, satisfaction, single, text

BUDGET = 60 * 1024  # bytes, issue #12
RESIDENT_PAGES = ("home", "report form", "receipt", "tracking", "survey form", "board")


@pytest.fixture
def city(app):
    """A city as residents meet it: the whole starting taxonomy, a district with streets, a case reported through the
    form (receipt and tracking pages), a survey of every question type and a board of twenty items."""
    categories = install_taxonomy()
    district = make_area("示范区")
    streets = [make_area(f"第{n}街道", level=AreaLevel.STREET, parent=district) for n in range(1, 9)]
    survey = make_survey([satisfaction(), single(), multiple(), matrix(), text()])
    today, unit, garbage = city_today(), make_unit("市环卫处"), make_category("暴露垃圾")
    for n in range(20):
        make_item(title=f"柳荫农贸市场门口垃圾堆积多日无人清运第{n}处", area=district, unit=unit, category=garbage,
                  deadline=today + timedelta(days=n - 10), photos=2,
                  entries=[(EntryMilestone.PROGRESS, today, "已安排清理")] if n % 3 else ())
    db.session.commit()
    return {"category": categories["SR01"], "area": streets[0], "survey": survey}


@pytest.fixture
def pages(client, city):
    response = client.post("/report", data={
        "category_id": str(city["category"].id), "area_id": str(city["area"].id),
        "description": "东门垃圾桶满了没人清，气味很大", "idempotency_key": uuid.uuid4().hex})
    assert response.status_code == 302, response.get_data(as_text=True)
    case = db.session.scalars(db.select(Case).order_by(Case.id.desc())).first()
    return {"home": "/", "report form": "/report", "receipt": f"/report/receipt/{case.number}",
            "tracking": f"/track/{case.number}",  # the session holds the code, as after the receipt
            "survey form": f"/surveys/{city['survey'].slug}", "board": "/board/"}


@pytest.mark.parametrize("name", RESIDENT_PAGES)
def test_a_resident_page_weighs_at_most_60_kb_on_a_cold_cache(client, pages, name):
    # The reporter's own browser (the receipt is shown to it alone); a test client keeps no HTTP cache.
    weight = page_weight(client, pages[name])

    assert weight.external == []
    assert len(weight.parts) >= 2  # the page and its stylesheet at least: the sum is not of the HTML alone
    assert weight.total <= BUDGET, f"{name}: {weight.total} bytes: {weight.parts}"


@pytest.mark.parametrize("name", RESIDENT_PAGES)
def test_a_resident_page_is_compressed_with_one_stylesheet_and_deferred_scripts(client, pages, name):
    response = client.get(pages[name], headers={"Accept-Encoding": "gzip, deflate, br"})
    plain = client.get(pages[name]).get_data(as_text=True)

    assert response.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response.headers["Vary"]
    head = plain.split("</head>", 1)[0]
    assert len(re.findall(r'<link[^>]+rel="stylesheet"', plain)) == 1
    assert re.findall(r"<script\b[^>]*>", head) == []  # nothing that blocks rendering in <head>
    for script in re.findall(r"<script\b[^>]*>", plain):
        assert " src=" in script and " defer" in script, script


def test_gzip_is_served_to_a_browser_without_brotli(app, pages):
    page = app.test_client().get("/report", headers={"Accept-Encoding": "gzip"})
    stylesheet = re.search(r'<link[^>]+href="([^"]+)"', app.test_client().get("/report").get_data(as_text=True))[1]
    css = app.test_client().get(stylesheet, headers={"Accept-Encoding": "gzip"})

    assert page.headers["Content-Encoding"] == "gzip"
    assert css.headers["Content-Encoding"] == "gzip"
    css.close()
