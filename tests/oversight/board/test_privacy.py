"""The reporter-identity guarantee: no public page, filter, feed or JSON answer of the board ever carries the name
or phone of a resident who reported a linked case, nor of those who said "me too" (not even masked)."""
import itertools

import pytest

from oversight.board.models import ItemKind, RectificationStatus
from tests.oversight.board.public_world import (
    ME_TOO_PHONE,
    REPORTER_NAME,
    REPORTER_PHONE,
    REPORTER_PHONE_MASKED,
    build_world,
)

FORBIDDEN = (REPORTER_NAME, REPORTER_PHONE, REPORTER_PHONE_MASKED, ME_TOO_PHONE, "137****9999", "13600001111")


@pytest.fixture
def world(app):
    return build_world()


def every_public_url(world, with_filter_combinations=True):
    items = [world.pending, world.progress, world.done, world.overdue, world.praise, world.archived,
             world.other_area, world.taken_down]
    areas = [world.district, world.street, world.community, world.other_district]
    units = [world.sanitation, world.market_bureau]
    filters = {
        "area": [""] + [str(a.id) for a in areas],
        "unit": [""] + [str(u.id) for u in units],
        "status": [""] + [s.value for s in RectificationStatus],
        "kind": [""] + [k.value for k in ItemKind],
    }
    for combo in itertools.product(*filters.values()) if with_filter_combinations else ():
        query = "&".join(f"{name}={value}" for name, value in zip(filters, combo, strict=True) if value)
        yield f"/board/?{query}"
        yield f"/board/api/items?{query}"
    yield f"/board/?category={world.garbage.id}"
    yield f"/board/?month={world.today.strftime('%Y-%m')}"
    yield "/board/feed.atom"
    for item in items:
        yield f"/board/items/{item.id}"
        yield f"/board/api/items/{item.id}"
    for area in areas:
        yield f"/board/areas/{area.id}/feed.atom"
    for unit in units:
        yield f"/board/units/{unit.id}"
        yield f"/board/units/{unit.id}/feed.atom"


@pytest.mark.parametrize("lang, combinations", [("zh_Hans", True), ("zh_Hant", False), ("en", False)])
def test_no_reporter_identity_anywhere_on_the_public_board(client, world, lang, combinations):
    """Every filter combination once; every page, feed and item in each language."""
    assert world.cases[0].reporter_phone == REPORTER_PHONE  # the cases really carry the identity
    checked = 0
    for url in every_public_url(world, combinations):
        separator = "&" if "?" in url else "?"
        response = client.get(f"{url}{separator}lang={lang}")
        assert response.status_code in (200, 410), url
        body = response.get_data(as_text=True)
        for secret in FORBIDDEN:
            assert secret not in body, f"{secret} appears on {url}"
        checked += 1
    assert checked > (500 if combinations else 20)


def test_linked_cases_show_as_counts_only(client, world):
    html = client.get(f"/board/items/{world.pending.id}?lang=en").get_data(as_text=True)
    assert "2 reports" in html
    for case in world.cases:
        assert case.number not in html
        assert case.description not in html
