"""Atom feeds of the board: well-formed, stable ids, the right entries per area and unit."""
from xml.etree import ElementTree as ET

import pytest

from portal.extensions import db
from tests.oversight.board.public_world import build_world

NS = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture
def world(app):
    return build_world()


def parse(response):
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    return ET.fromstring(response.data)


def entry_titles(feed):
    return {e.findtext("a:title", namespaces=NS) for e in feed.findall("a:entry", NS)}


def test_main_feed_lists_every_public_item_with_absolute_links(client, world):
    feed = parse(client.get("/board/feed.atom"))
    assert entry_titles(feed) == {world.pending.title, world.progress.title, world.done.title, world.overdue.title,
                                  world.praise.title, world.archived.title, world.other_area.title}
    entry = next(e for e in feed.findall("a:entry", NS) if e.findtext("a:title", namespaces=NS) == world.done.title)
    link = entry.find("a:link[@rel='alternate']", NS).get("href")
    assert link == f"http://minsheng.test/board/items/{world.done.id}"
    assert entry.findtext("a:id", namespaces=NS).startswith("tag:minsheng.test,")
    assert entry.findtext("a:id", namespaces=NS).endswith(f":board/items/{world.done.id}")
    assert feed.find("a:link[@rel='self']", NS).get("href") == "http://minsheng.test/board/feed.atom"
    assert feed.findtext("a:updated", namespaces=NS)


def test_entry_ids_are_stable_across_edits(client, world):
    def ids():
        feed = parse(client.get("/board/feed.atom"))
        return {e.findtext("a:title", namespaces=NS): e.findtext("a:id", namespaces=NS)
                for e in feed.findall("a:entry", NS)}

    before = ids()[world.done.title]
    world.done.title = "槐树巷陈年垃圾（已更正）"
    db.session.commit()
    assert ids()["槐树巷陈年垃圾（已更正）"] == before


def test_entry_updated_moves_when_a_follow_up_is_added(client, world):
    from datetime import timedelta

    from oversight.board.models import EntryMilestone, ItemEntry
    from portal.clock import utcnow

    def updated():
        feed = parse(client.get("/board/feed.atom"))
        entry = next(e for e in feed.findall("a:entry", NS)
                     if e.findtext("a:title", namespaces=NS) == world.progress.title)
        return entry.findtext("a:updated", namespaces=NS)

    first = updated()
    db.session.add(ItemEntry(item=world.progress, milestone=EntryMilestone.UPDATE, reported_on=world.today,
                             text="追踪：仍在清理", created_at=utcnow() + timedelta(hours=2)))
    db.session.commit()
    assert updated() > first


def test_area_feed_holds_the_area_and_its_sub_areas(client, world):
    feed = parse(client.get(f"/board/areas/{world.street.id}/feed.atom"))
    assert entry_titles(feed) == {world.pending.title, world.progress.title, world.done.title, world.praise.title}
    assert world.street.name in feed.findtext("a:title", namespaces=NS)


def test_unit_feed_holds_the_units_items(client, world):
    feed = parse(client.get(f"/board/units/{world.market_bureau.id}/feed.atom"))
    assert entry_titles(feed) == {world.overdue.title, world.archived.title}


def test_feeds_of_unknown_areas_and_units_are_not_found(client, world):
    assert client.get("/board/areas/99999/feed.atom").status_code == 404
    assert client.get("/board/units/99999/feed.atom").status_code == 404


def test_feed_summaries_carry_status_in_the_readers_language(client, world):
    feed = parse(client.get("/board/feed.atom?lang=en"))
    entry = next(e for e in feed.findall("a:entry", NS) if e.findtext("a:title", namespaces=NS) == world.overdue.title)
    assert "Overdue, not rectified" in entry.findtext("a:summary", namespaces=NS)
