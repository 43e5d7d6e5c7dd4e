"""The demo board: published items in every rectification status, praise, redacted photos; seeded once."""
from oversight.board.demo import seed_board_demo
from oversight.board.models import ExposureItem, ItemKind, ItemPhoto
from portal.city import city_today
from portal.clock import utcnow
from portal.extensions import db


def test_demo_board_covers_every_status_with_redacted_photos(demo_city, client, app):
    # the demo city's seeding seeds the board too
    assert db.session.scalar(db.select(db.func.count()).select_from(ExposureItem)) == 14
    items = db.session.execute(db.select(ExposureItem)).scalars().all()
    today = city_today()
    statuses = {item.status(today).value for item in items if item.kind != ItemKind.PRAISE}
    assert statuses == {"pending", "in_progress", "done", "overdue"}
    assert any(item.kind == ItemKind.PRAISE for item in items)
    assert all(item.is_public and item.unit is not None and item.area is not None for item in items)
    assert any(item.case_links for item in items)
    photos = db.session.execute(db.select(ItemPhoto)).scalars().all()
    assert photos and all(p.published_key and p.published_key != p.original_key for p in photos)
    assert any(p.stage == "after" for p in photos)
    assert seed_board_demo(utcnow()) == 0
    response = client.get("/board/")
    assert response.status_code == 200
    listed = response.get_data(as_text=True).split('id="items"', 1)[1]
    assert listed.count('class="bd-row"') == 13  # 12 exposures and the archived one; praise has its strip
