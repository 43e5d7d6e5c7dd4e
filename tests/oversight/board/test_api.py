"""The board's JSON API: the same lists and filters as the pages, absolute URLs, 404/410 as on the pages."""
from datetime import timedelta

import pytest

from portal.clock import utcnow
from tests.oversight.board.factories import make_item
from tests.oversight.board.public_world import build_world


@pytest.fixture
def world(app):
    return build_world()


def test_list_gives_every_public_item_with_absolute_urls(client, world):
    response = client.get("/board/api/items")
    assert response.status_code == 200
    data = response.get_json()
    assert data["page"] == 1 and data["next"] is None and data["prev"] is None
    by_id = {row["id"]: row for row in data["items"]}
    assert set(by_id) == {world.pending.id, world.progress.id, world.done.id, world.overdue.id, world.praise.id,
                          world.archived.id, world.other_area.id}
    row = by_id[world.pending.id]
    assert row["url"] == f"http://minsheng.test/board/items/{world.pending.id}"
    assert row["thumbnail_url"].startswith("http://minsheng.test/board/photos/")
    assert row["status"]["code"] == "pending"
    assert row["unit"]["url"] == f"http://minsheng.test/board/units/{world.sanitation.id}"
    assert (row["linked_reports"], row["me_too"]) == (2, 3)
    assert by_id[world.praise.id]["status"] is None
    assert by_id[world.archived.id]["archived"] is True


def test_list_takes_the_board_filters(client, world):
    def ids(query):
        return {row["id"] for row in client.get(f"/board/api/items?{query}").get_json()["items"]}

    assert ids("status=overdue") == {world.overdue.id}
    assert ids(f"area={world.community.id}") == {world.pending.id, world.done.id}
    assert ids(f"unit={world.market_bureau.id}&status=done") == {world.archived.id}
    assert ids("kind=praise") == {world.praise.id}
    assert client.get("/board/api/items?status=bogus").get_json()["ignored_filters"] == ["status"]


def test_list_is_paginated_with_next_links(client, app):
    for n in range(23):
        make_item(title=f"条目{n:02d}", photos=0, published_at=utcnow() - timedelta(minutes=n))
    first = client.get("/board/api/items?status=pending").get_json()
    assert len(first["items"]) == 20
    assert first["prev"] is None
    assert first["next"] == "http://minsheng.test/board/api/items?status=pending&page=2"
    second = client.get("/board/api/items?status=pending&page=2").get_json()
    assert [row["title"] for row in second["items"]] == ["条目20", "条目21", "条目22"]
    assert second["next"] is None and second["prev"].endswith("/board/api/items?status=pending")


def test_detail_has_entries_and_published_photos_only(client, world):
    data = client.get(f"/board/api/items/{world.done.id}?lang=en").get_json()
    assert data["description"] == world.done.description
    assert [e["text"] for e in data["entries"]] == ["开始清理", "已清理完毕"]
    assert data["status"] == {"code": "done", "label": "Rectified"}
    assert len(data["photos"]["after"]) == 1
    pending = client.get(f"/board/api/items/{world.pending.id}").get_json()
    published = {p.id for p in world.pending.photos if p.published_key}
    assert {p["id"] for p in pending["photos"]["before"]} == published


def test_detail_of_taken_down_is_410_and_drafts_404(client, world):
    gone = client.get(f"/board/api/items/{world.taken_down.id}")
    assert gone.status_code == 410
    assert gone.get_json()["error"] == 410
    assert world.taken_down.title not in gone.get_data(as_text=True)
    for item in (world.draft, world.review):
        missing = client.get(f"/board/api/items/{item.id}")
        assert missing.status_code == 404 and missing.is_json
