"""The board page with 20 items and their thumbnails serves under 100 KB of HTML, CSS and JavaScript in total."""
import re
from datetime import timedelta

from oversight.board.models import EntryMilestone
from portal.city import city_today
from tests.factories import make_area, make_category, make_unit
from tests.oversight.board.factories import make_item

BUDGET = 100 * 1024


def linked_assets(html):
    """Every stylesheet and script the page references (images are lazy-loaded and not counted)."""
    styles = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
    styles += re.findall(r'<link[^>]+href="([^"]+)"[^>]+rel="stylesheet"', html)
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    return styles + scripts


def test_board_page_with_twenty_items_weighs_under_100_kb(client, app):
    today = city_today()
    area = make_area("东城区")
    unit = make_unit("市环卫处")
    category = make_category("暴露垃圾")
    for n in range(25):
        make_item(title=f"柳荫农贸市场门口垃圾堆积多日无人清运第{n}处", area=area, unit=unit, category=category,
                  deadline=today + timedelta(days=n - 10), photos=2,
                  entries=[(EntryMilestone.PROGRESS, today, "已安排清理")] if n % 3 else ())
    response = client.get("/board/")
    html = response.get_data(as_text=True)
    assert html.count('loading="lazy"') >= 20
    total = len(response.data)
    assets = linked_assets(html)
    assert any("/bundle/board." in url for url in assets)  # public.css and board.css, one bundle (portal/assets.py)
    for url in assets:
        asset = client.get(url)
        assert asset.status_code == 200, url
        total += len(asset.data)
        asset.close()
    assert total < BUDGET, f"{total} bytes: {assets}"
