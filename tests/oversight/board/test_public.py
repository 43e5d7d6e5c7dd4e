"""The public exposure board: list and filters, item page, unit page, photos, 410 for taken-down items."""
import re
from datetime import timedelta

import pytest

from oversight.board import views as board_views
from oversight.board.models import EntryMilestone, ItemKind
from portal import cache
from portal.city import city_today
from portal.clock import utcnow
from portal.extensions import db
from portal.photos import prepare_photo, store_photos
from tests.factories import make_area, make_unit
from tests.oversight.board.factories import jpeg_bytes, make_item, make_photo, stored_bytes
from tests.oversight.board.public_world import build_world
from tests.sqlcount import recorded_statements


@pytest.fixture
def world(app):
    return build_world()


def titles(response):
    """The item titles listed on a board page, in order (the praise strip excluded)."""
    html = response.get_data(as_text=True)
    listing = html.split('id="items"', 1)[1] if 'id="items"' in html else ""
    return re.findall(r'class="bd-row__title">([^<]*)<', listing)


def test_board_lists_public_exposures_newest_first_and_never_drafts(client, world):
    world.pending.published_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    response = client.get("/board/")
    assert response.status_code == 200
    listed = titles(response)
    assert listed[0] == world.pending.title
    assert set(listed) == {world.pending.title, world.progress.title, world.done.title, world.overdue.title,
                           world.archived.title, world.other_area.title}
    html = response.get_data(as_text=True)
    for hidden in (world.draft, world.review, world.taken_down):
        assert hidden.title not in html


def test_praise_appears_in_its_own_strip_and_tab(client, world):
    html = client.get("/board/").get_data(as_text=True)
    strip = html.split('id="praise"', 1)[1].split("</section>", 1)[0]
    assert world.praise.title in strip
    assert world.praise.title not in titles(client.get("/board/"))
    assert titles(client.get("/board/?kind=praise")) == [world.praise.title]
    assert titles(client.get("/board/?kind=unit")) == [world.overdue.title]


def test_area_filter_includes_sub_areas(client, world):
    listed = set(titles(client.get(f"/board/?area={world.district.id}")))
    assert listed == {world.pending.title, world.progress.title, world.done.title, world.overdue.title,
                      world.archived.title}
    assert set(titles(client.get(f"/board/?area={world.community.id}"))) == {world.pending.title, world.done.title}
    assert titles(client.get(f"/board/?area={world.other_district.id}")) == [world.other_area.title]


@pytest.mark.parametrize("status, expected", [
    ("pending", {"pending", "other_area"}),
    ("in_progress", {"progress"}),
    ("done", {"done", "archived"}),
    ("overdue", {"overdue"}),
])
def test_status_filter_follows_deadlines_and_follow_ups(client, world, status, expected):
    assert set(titles(client.get(f"/board/?status={status}"))) == {getattr(world, n).title for n in expected}


def test_deadline_day_itself_is_not_overdue_and_the_day_after_is(client, app, world):
    world.pending.deadline = world.today
    world.other_area.deadline = world.today - timedelta(days=1)
    db.session.commit()
    overdue = set(titles(client.get("/board/?status=overdue")))
    assert world.pending.title not in overdue
    assert world.other_area.title in overdue
    html = client.get(f"/board/items/{world.pending.id}").get_data(as_text=True)
    assert "bd-status_pending" in html


def test_unit_category_and_month_filters(client, world):
    assert set(titles(client.get(f"/board/?unit={world.market_bureau.id}"))) == {world.overdue.title,
                                                                                  world.archived.title}
    assert set(titles(client.get(f"/board/?category={world.stalls.id}"))) == {world.overdue.title,
                                                                               world.archived.title}
    group = world.stalls.parent_id
    assert world.overdue.title in titles(client.get(f"/board/?category={group}"))
    month = world.archived.published_at.strftime("%Y-%m")
    assert titles(client.get(f"/board/?month={month}")) == [world.archived.title]


def test_filters_combine(client, world):
    url = f"/board/?area={world.district.id}&status=done&unit={world.sanitation.id}"
    assert titles(client.get(url)) == [world.done.title]


def test_malformed_filters_are_ignored_with_a_notice(client, world):
    response = client.get("/board/?area=abc&status=nonsense&month=2026-13&page=-4&lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="ignored-filters"' in html
    assert len(titles(response)) == 6


def test_board_paginates_twenty_per_page(client, app):
    unit = make_unit()
    for n in range(23):
        make_item(title=f"条目{n:02d}", unit=unit, photos=0, published_at=utcnow() - timedelta(minutes=n))
    first, second = client.get("/board/"), client.get("/board/?page=2")
    assert titles(first) == [f"条目{n:02d}" for n in range(20)]
    assert titles(second) == ["条目20", "条目21", "条目22"]
    assert 'rel="next"' in first.get_data(as_text=True)
    assert 'rel="prev"' in second.get_data(as_text=True)


def test_thumbnails_are_lazy_with_their_size_set(client, world):
    html = client.get("/board/").get_data(as_text=True)
    thumbs = re.findall(r"<img [^>]*>", html)
    assert thumbs
    for tag in thumbs:
        assert 'loading="lazy"' in tag and 'width="96"' in tag and 'height="72"' in tag


def test_link_to_the_red_and_black_lists_when_they_exist(client, app, world):
    html = client.get("/board/").get_data(as_text=True)
    if "honours.index" in app.view_functions:
        assert 'id="honours-link"' in html
    else:
        assert 'id="honours-link"' not in html


def test_item_page_shows_the_whole_story(client, world):
    html = client.get(f"/board/items/{world.done.id}").get_data(as_text=True)
    assert world.done.title in html
    assert world.done.description in html
    assert world.sanitation.name in html
    assert world.community.name in html and world.district.name in html  # the full area path
    assert world.done.found_on.isoformat() in html
    assert world.done.deadline.isoformat() in html
    assert "bd-status_done" in html
    timeline = html.split('id="timeline"', 1)[1]
    assert timeline.index("开始清理") < timeline.index("已清理完毕")
    assert 'id="before-photos"' in html and 'id="after-photos"' in html


def test_item_page_counts_linked_reports_and_me_toos(english_client, world):
    html = english_client.get(f"/board/items/{world.pending.id}").get_data(as_text=True)
    reports = html.split('id="reports">', 1)[1].split("</dd>", 1)[0]
    assert "2 reports" in reports
    assert "3 residents added “me too”" in reports


def test_only_redacted_photos_are_shown(client, world):
    html = client.get(f"/board/items/{world.pending.id}").get_data(as_text=True)
    shown = {int(n) for n in re.findall(r"/board/photos/(\d+)", html)}
    published = {p.id for p in world.pending.photos if p.published_key}
    unredacted = {p.id for p in world.pending.photos if not p.published_key}
    assert unredacted and published
    assert shown == published


def test_correction_note_and_archived_marker(english_client, world):
    world.archived.correction_note = "经申诉核实，整改期限更正为10月底。"
    db.session.commit()
    html = english_client.get(f"/board/items/{world.archived.id}").get_data(as_text=True)
    assert 'id="correction"' in html and "整改期限更正" in html
    assert 'id="archived"' in html


def test_taken_down_item_is_gone_not_missing(english_client, world):
    response = english_client.get(f"/board/items/{world.taken_down.id}")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert "taken down" in html
    assert world.taken_down.title not in html and world.taken_down.description not in html


@pytest.mark.parametrize("name", ["draft", "review"])
def test_drafts_and_items_in_review_are_not_found(client, world, name):
    item = getattr(world, name)
    assert client.get(f"/board/items/{item.id}").status_code == 404
    assert client.get(f"/board/items/{item.id}/share.png").status_code == 404
    assert client.get("/board/items/99999").status_code == 404


def test_unit_page_lists_its_items_including_praise(client, world):
    response = client.get(f"/board/units/{world.sanitation.id}")
    assert response.status_code == 200
    assert set(titles(response)) == {world.pending.title, world.progress.title, world.done.title,
                                     world.praise.title, world.other_area.title}
    assert client.get("/board/units/99999").status_code == 404


def test_unit_page_shows_no_figures_without_a_published_ranking(client, world):
    html = client.get(f"/board/units/{world.sanitation.id}").get_data(as_text=True)
    assert 'id="figures"' not in html


def test_unit_page_shows_the_figures_of_the_published_ranking(english_client, world, monkeypatch):
    figures = {"period_key": "2026-10", "rank": 2, "ranked": 9, "received": 40,
               "figures": {"received": 40, "closure_rate": 0.925, "on_time_rate": 0.8,
                           "followup_satisfaction_rate": None, "supervised": 1}}
    monkeypatch.setattr(board_views, "unit_public_figures",
                        lambda unit_id: figures if unit_id == world.sanitation.id else None)
    html = english_client.get(f"/board/units/{world.sanitation.id}").get_data(as_text=True)
    section = html.split('id="figures"', 1)[1].split("</section>", 1)[0]
    assert "2026-10" in section and "92.5%" in section and "80.0%" in section
    assert "2 of 9" in section
    assert 'id="figures"' not in english_client.get(f"/board/units/{world.market_bureau.id}").get_data(as_text=True)


def test_public_photo_serves_the_published_file_with_cache_headers(client, world):
    photo = make_photo(world.pending, published=False, colour=(200, 30, 30))
    redacted = store_photos([prepare_photo(jpeg_bytes(colour=(30, 30, 200)))])[0]
    photo.published_key, photo.published_thumb_key = redacted.key, redacted.thumb_key
    db.session.commit()
    with client.get(f"/board/photos/{photo.id}") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/jpeg"
        assert "public" in response.headers["Cache-Control"]
        assert response.data == stored_bytes(photo.published_key)
        assert response.data != stored_bytes(photo.original_key)
    with client.get(f"/board/photos/{photo.id}/thumb") as thumb:
        assert thumb.data == stored_bytes(photo.published_thumb_key)


def test_unredacted_and_non_public_photos_are_never_served(client, world):
    unredacted = next(p for p in world.pending.photos if not p.published_key)
    assert client.get(f"/board/photos/{unredacted.id}").status_code == 404
    for item in (world.draft, world.review, world.taken_down):
        for photo in item.photos:
            assert client.get(f"/board/photos/{photo.id}").status_code == 404
            assert client.get(f"/board/photos/{photo.id}/thumb").status_code == 404


@pytest.mark.parametrize("lang, heading, status", [
    ("zh_Hans", "曝光台", "逾期未整改"),
    ("zh_Hant", "曝光台", "逾期未整改"),
    ("en", "Exposure board", "Overdue, not rectified"),
])
def test_board_speaks_three_languages(client, world, lang, heading, status):
    html = client.get(f"/board/?lang={lang}").get_data(as_text=True)
    assert heading in html and status in html
    item_html = client.get(f"/board/items/{world.overdue.id}?lang={lang}").get_data(as_text=True)
    assert status in item_html


def test_english_readers_get_the_english_title_when_there_is_one(client, world):
    world.done.title_en = "Old rubbish in Huaishu Lane"
    db.session.commit()
    assert "Old rubbish in Huaishu Lane" in client.get(f"/board/items/{world.done.id}?lang=en").get_data(
        as_text=True)
    assert "槐樹巷陳年垃圾" in client.get(f"/board/items/{world.done.id}?lang=zh_Hant").get_data(as_text=True)


def _count_queries(app, fetch):
    cache.store().clear()  # count a rendering, not a copy from the board's page cache
    with recorded_statements() as statements:
        response = fetch()
    assert response.status_code == 200
    # the city's settings are cached for a while, not per request
    return len([s for s in statements if "FROM city_settings" not in s])


def _add_items(count, area, unit):
    """Items each with their own area and unit (a lazy load per row would show as extra queries)."""
    for n in range(count):
        item = make_item(area=make_area(f"社区{n}", parent=area), unit=make_unit(f"单位{n}"), photos=1,
                         deadline=city_today() + timedelta(days=n % 5),
                         entries=[(EntryMilestone.PROGRESS, city_today(), "整改中")] if n % 2 else ())
        make_photo(item, stage="after")
    db.session.commit()


@pytest.mark.parametrize("url", ["/board/", "/board/?status=in_progress", "/board/feed.atom", "/board/api/items",
                                 "area"])
def test_lists_take_a_constant_number_of_queries(client, app, url):
    area = make_area()
    unit = make_unit()
    make_item(kind=ItemKind.PRAISE, unit=unit, area=area)
    target = f"/board/?area={area.id}" if url == "area" else url
    _add_items(2, area, unit)
    client.get(target)  # the filter menus are kept for a minute: count the steady state
    few = _count_queries(app, lambda: client.get(target))
    _add_items(18, area, unit)
    client.get(target)  # new areas and units: the filter menus are read again once
    many = _count_queries(app, lambda: client.get(target))
    assert many == few


def test_a_new_unit_is_in_the_filter_menu_at_once(client, app):
    make_unit("市环卫处")
    assert "市环卫处" in client.get("/board/").get_data(as_text=True)
    make_unit("新设的市容局")
    db.session.commit()
    # the page and its menus were cached a moment ago; the registry change is seen by the next reader
    assert "新设的市容局" in client.get("/board/").get_data(as_text=True)


def test_item_withdrawn_after_an_appeal_says_so(english_client, world):
    from oversight.board.models import Appeal, AppealDecision

    db.session.add(Appeal(item=world.taken_down, unit_id=world.sanitation.id, statement="整改已完成，照片有误",
                          decision=AppealDecision.WITHDRAWN, decision_reason="核实属实"))
    db.session.commit()
    response = english_client.get(f"/board/items/{world.taken_down.id}")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert 'id="withdrawn"' in html
    assert "核实属实" not in html and "照片有误" not in html
