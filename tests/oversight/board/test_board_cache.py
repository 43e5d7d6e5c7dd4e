"""The board under a media spike: anonymous board pages, feeds and JSON are cacheable (strong ETag, Last-Modified,
Cache-Control public, 304 without rendering), kept in a shared cache that every public change invalidates at
once, never mixed between languages, filters or readers, and never shared with signed-in staff."""
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime

import pytest

from oversight.board import appeals, items, publishing, rules
from oversight.board.models import Appeal, EditorialState, EntryMilestone, ItemKind
from oversight.board.redaction import redact_photo
from portal import cache
from portal.auth.models import Role
from portal.city import city_today
from portal.clock import utcnow
from portal.extensions import db
from tests.factories import make_area, make_case, make_unit, make_user
from tests.oversight.board.factories import make_item, make_photo

MAX_AGE = "public, max-age=60, stale-while-revalidate=30"


def _pages(item, unit, area):
    return [f"/board/items/{item.id}", "/board/", f"/board/units/{unit.id}", "/board/feed.atom",
            f"/board/areas/{area.id}/feed.atom", f"/board/units/{unit.id}/feed.atom", "/board/api/items",
            f"/board/api/items/{item.id}", "/board/honours/"]


@pytest.fixture
def board(app):
    unit = make_unit("市环卫处", name_en="Sanitation Department")
    area = make_area("东城区")
    item = make_item(title="人民路菜市场门口垃圾堆积", title_en="Rubbish at the Renmin Road market", unit=unit,
                     area=area)
    return item, unit, area


@pytest.fixture
def moderator(app):
    return make_user(Role.MODERATOR)


# ---------------------------------------------------------------- validators and 304

def test_every_public_board_url_is_cacheable_and_answers_304_to_its_etag(client, board):
    for url in _pages(*board):
        first = client.get(url)
        assert first.status_code == 200, url
        assert first.headers["Cache-Control"] == MAX_AGE, url
        assert {"Accept-Language", "Cookie"} <= {v.strip() for v in first.headers["Vary"].split(",")}, url
        etag, weak = first.get_etag()
        assert etag and not weak, url
        assert first.last_modified is not None, url
        assert "X-Minsheng-Page-Cache" not in first.headers
        replayed = client.get(url)
        assert replayed.get_data() == first.get_data(), url
        per_request = ("Date", "X-Request-ID")
        assert {k: v for k, v in replayed.headers.items() if k not in per_request} == \
            {k: v for k, v in first.headers.items() if k not in per_request}, url
        assert replayed.headers["X-Request-ID"] and replayed.headers["X-Request-ID"] != first.headers["X-Request-ID"]
        again = client.get(url, headers={"If-None-Match": f'"{etag}"'})
        assert again.status_code == 304, url
        assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
        assert again.get_data() == b"", url
        assert again.get_etag() == (etag, False), url


def test_a_304_is_answered_without_rendering_the_page(client, board, monkeypatch):
    from oversight.board import views

    item = board[0]
    etag = client.get(f"/board/items/{item.id}").get_etag()[0]

    def no_rendering(*args, **kwargs):
        raise AssertionError("rendered")

    monkeypatch.setattr(views, "render_template", no_rendering)
    monkeypatch.setattr(views.public, "public_item", no_rendering)
    assert client.get(f"/board/items/{item.id}", headers={"If-None-Match": f'"{etag}"'}).status_code == 304
    assert client.get(f"/board/items/{item.id}").status_code == 200  # and the copy itself, from the cache


def test_the_etag_of_a_compressed_copy_also_matches(client, board):
    url = f"/board/items/{board[0].id}"
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    etag = first.get_etag()[0]
    assert etag.endswith(":gzip")
    assert client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": f'"{etag}"'}).status_code == 304
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers and plain.get_etag()[0] == etag.removesuffix(":gzip")


def test_if_modified_since_answers_304_from_last_modified_on_and_200_before(client, board):
    url = f"/board/items/{board[0].id}"
    last_modified = client.get(url).headers["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = parsedate_to_datetime(last_modified) - timedelta(seconds=1)
    assert client.get(url, headers={"If-Modified-Since": format_datetime(earlier, usegmt=True)}).status_code == 200


def test_if_none_match_wins_over_if_modified_since(client, board):
    url = f"/board/items/{board[0].id}"
    last_modified = client.get(url).headers["Last-Modified"]
    answer = client.get(url, headers={"If-None-Match": '"an-old-copy"', "If-Modified-Since": last_modified})
    assert answer.status_code == 200 and "人民路菜市场门口垃圾堆积" in answer.get_data(as_text=True)  # the page, whole


def test_last_modified_moves_when_the_board_changes(client, board, moderator):
    item = board[0]
    url = f"/board/items/{item.id}"
    before = client.get(url)
    items.add_entry(item, moderator, milestone=EntryMilestone.PROGRESS, text="已清运一半", reported_on=city_today())
    db.session.commit()
    after = client.get(url, headers={"If-Modified-Since": before.headers["Last-Modified"],
                                     "If-None-Match": f'"{before.get_etag()[0]}"'})
    assert after.status_code == 200
    assert after.last_modified >= before.last_modified
    assert after.get_etag()[0] != before.get_etag()[0]


@pytest.mark.parametrize("value", [
    "x" * 100_000, '"abc\x00def"', "\x00", "garbage", '"unterminated', 'W/"weak"', ",,,,", '"a", "b", W/"c"',
    "\u4e2d\u6587", "*, *",
])
def test_strange_if_none_match_values_never_fail(client, board, value):
    url = f"/board/items/{board[0].id}"
    client.get(url)
    answer = client.get(url, headers={"If-None-Match": value.encode("utf-8").decode("latin-1")})
    assert answer.status_code in (200, 304)
    fresh = client.get(url, headers={"If-None-Match": value.encode("utf-8").decode("latin-1")})  # a miss, rendered
    assert fresh.status_code in (200, 304)


@pytest.mark.parametrize("value", ["yesterday", "\x00", "Sun, 99 Foo 2026 99:99:99 GMT", "x" * 10_000,
                                   "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_strange_if_modified_since_values_never_fail(client, board, value):
    url = f"/board/items/{board[0].id}"
    client.get(url)
    assert client.get(url, headers={"If-Modified-Since": value}).status_code in (200, 304)


def test_a_nul_byte_is_refused_even_when_the_clean_page_is_cached(client, board):
    client.get("/board/?kind=praise")
    assert client.get("/board/?kind=praise&from=%00").status_code == 400
    assert client.get("/board/?kind=praise").status_code == 200


def test_head_gets_the_headers_without_a_body(client, board):
    url = f"/board/items/{board[0].id}"
    full = client.get(url)
    for _attempt in range(2):
        head = client.head(url)
        assert head.status_code == 200 and head.get_data() == b""
        assert head.get_etag() == full.get_etag()


def test_if_none_match_star_matches_the_existing_page(client, board):
    url = f"/board/items/{board[0].id}"
    client.get(url)
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 304


# ---------------------------------------------------------------- cookies and readers

def test_anonymous_board_responses_set_no_cookie(app, board):
    client = app.test_client()
    for url in _pages(*board):
        for _attempt in range(2):  # rendered, then from the cache
            answer = client.get(url)
            assert answer.status_code == 200
            assert "Set-Cookie" not in answer.headers, url
    assert not client._cookies  # noqa: SLF001 - the browser holds nothing


def test_a_visitor_with_a_session_gets_the_page_privately_and_no_new_cookie(app, board):
    client = app.test_client()
    with client.session_transaction() as session:
        session["report_codes"] = {"1": "abc"}  # an anonymous session (e.g. after filing a report)
    answer = client.get("/board/")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "private, no-cache"
    assert "Set-Cookie" not in answer.headers


def test_signed_in_staff_never_get_a_shared_copy(client, board, login):
    anonymous = client.get("/board/")
    assert anonymous.headers["Cache-Control"] == MAX_AGE
    login(make_user(Role.MODERATOR))
    staff = client.get("/board/")
    assert staff.status_code == 200
    assert staff.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in staff.headers
    # a conditional request with the public copy's tag is rendered for staff, not answered from the cache
    again = client.get("/board/", headers={"If-None-Match": f'"{anonymous.get_etag()[0]}"'})
    assert again.status_code == 200 and again.headers["Cache-Control"] == "private, no-store"


def test_a_flashed_message_is_never_cached_or_shared(app, board):
    item = board[0]
    client = app.test_client()
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "FLASH-FOR-ONE-READER")]
    mine = client.get(f"/board/items/{item.id}")
    assert mine.headers["Cache-Control"] == "private, no-store"
    stranger = app.test_client().get(f"/board/items/{item.id}")
    assert "FLASH-FOR-ONE-READER" not in stranger.get_data(as_text=True)


def test_a_language_chosen_in_the_query_is_remembered_and_kept_private(app, board):
    answer = app.test_client().get("/board/?lang=en")
    assert "lang=en" in answer.headers["Set-Cookie"]
    assert answer.headers["Cache-Control"] == "private, no-cache"


# ---------------------------------------------------------------- variants don't mix

def test_languages_never_mix(app, board):
    url = f"/board/items/{board[0].id}"
    client = app.test_client()
    chinese = client.get(url, headers={"Accept-Language": "zh-CN"})
    english = client.get(url, headers={"Accept-Language": "en-US"})
    traditional = client.get(url, headers={"Accept-Language": "zh-TW"})
    assert '<html lang="zh-Hans">' in chinese.get_data(as_text=True)
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Rubbish at the Renmin Road market" in english.get_data(as_text=True)
    assert '<html lang="zh-Hant">' in traditional.get_data(as_text=True)
    assert len({chinese.get_etag()[0], english.get_etag()[0], traditional.get_etag()[0]}) == 3
    # the cached copies come back in the right language, and an English tag never validates the Chinese page
    assert '<html lang="zh-Hans">' in client.get(url).get_data(as_text=True)
    english_cookie = app.test_client()
    english_cookie.set_cookie("lang", "en")
    assert '<html lang="en">' in english_cookie.get(url).get_data(as_text=True)
    assert client.get(url, headers={"If-None-Match": f'"{english.get_etag()[0]}"'}).status_code == 200
    # the same language spelled otherwise gets the same copy; preferences by quality are honoured
    assert client.get(url, headers={"Accept-Language": "en-GB,en;q=0.9"}).get_etag() == english.get_etag()
    preferring_chinese = client.get(url, headers={"Accept-Language": "en;q=0.1, zh-CN;q=0.9"})
    assert '<html lang="zh-Hans">' in preferring_chinese.get_data(as_text=True)
    assert client.get(url, headers={"Accept-Language": "fr-FR"}).get_etag() == chinese.get_etag()  # city default
    api = client.get(f"/board/api/items/{board[0].id}", headers={"Accept-Language": "en"}).get_json()
    assert api["language"] == "en" and api["title"] == "Rubbish at the Renmin Road market"
    assert client.get(f"/board/api/items/{board[0].id}").get_json()["language"] == "zh_Hans"


def test_filters_and_pages_do_not_collide(client, app):
    unit = make_unit("市环卫处")
    praise = make_item(kind=ItemKind.PRAISE, title="表扬：环卫工人连夜清运", unit=unit)
    exposures = [make_item(title=f"曝光第{n}条", unit=unit) for n in range(25)]
    everything = client.get("/board/api/items?kind=").get_json()
    praise_only = client.get("/board/api/items?kind=praise").get_json()
    second = client.get("/board/api/items?kind=&page=2").get_json()
    assert [i["id"] for i in praise_only["items"]] == [praise.id]
    assert len(everything["items"]) == 20 and len(second["items"]) == 6
    assert not {i["id"] for i in everything["items"]} & {i["id"] for i in second["items"]}
    assert {i["id"] for i in everything["items"] + second["items"]} == {praise.id} | {e.id for e in exposures}
    assert "表扬：环卫工人连夜清运" not in client.get("/board/?kind=place").get_data(as_text=True)
    assert "曝光第0条" not in client.get("/board/?kind=praise").get_data(as_text=True)


def test_tracking_parameters_share_the_copy_and_repeated_filters_keep_their_order(client, app):
    unit = make_unit("市环卫处")
    make_item(kind=ItemKind.PRAISE, title="表扬：环卫工人连夜清运", unit=unit)
    make_item(title="曝光：河道漂浮垃圾", unit=unit)
    plain = client.get("/board/?kind=praise")
    shared = client.get("/board/?from=singlemessage&kind=praise&isappinstalled=0",
                        headers={"If-None-Match": f'"{plain.get_etag()[0]}"'})
    assert shared.status_code == 304
    first_praise = client.get("/board/api/items?kind=praise&kind=place").get_json()
    first_place = client.get("/board/api/items?kind=place&kind=praise").get_json()
    assert [i["title"] for i in first_praise["items"]] == ["表扬：环卫工人连夜清运"]
    assert [i["title"] for i in first_place["items"]] == ["曝光：河道漂浮垃圾"]


def test_a_huge_query_string_is_answered_but_not_stored(client, board):
    answer = client.get("/board/?area=" + "9" * 5000)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "private, no-cache"


# ---------------------------------------------------------------- every public change invalidates

def _ready(item):
    for photo in item.photos:
        photo.published_key, photo.published_thumb_key = photo.original_key, photo.original_thumb_key
    item.unit_notified_at = utcnow() - timedelta(hours=rules.notice_hours() + 1)


def _publish(world, actor):
    item = make_item(EditorialState.REVIEW, title="新曝光：河道漂浮垃圾", unit=world["unit"])
    _ready(item)
    db.session.commit()
    return "/board/", "新曝光：河道漂浮垃圾", lambda: publishing.publish(item, actor, confirm_warnings=True)


def _take_down(world, actor):
    item = world["item"]
    return f"/board/items/{item.id}", 410, lambda: publishing.take_down(item, actor, "信息有误")


def _take_down_from_the_list(world, actor):
    item = world["item"]
    return "/board/api/items", "gone", lambda: publishing.take_down(item, actor, "信息有误")


def _archive(world, actor):
    item = world["item"]
    return f"/board/api/items/{item.id}", '"archived": true', lambda: publishing.archive(item, actor)


def _edit(world, actor):
    item = world["item"]
    data = {"title": "更正后的标题：菜市场北门"}
    return f"/board/items/{item.id}", "更正后的标题：菜市场北门", lambda: items.edit_item(item, data, actor,
                                                                                     reason="地点有误")


def _follow_up(world, actor):
    item = world["item"]
    return f"/board/items/{item.id}", "第二次回访：已清运完毕", lambda: items.add_entry(
        item, actor, milestone=EntryMilestone.RECTIFIED, text="第二次回访：已清运完毕", reported_on=city_today())


def _appeal(world, decision, **kw):
    item = world["item"]
    appeal = Appeal(item=item, unit_id=world["unit"].id, statement="已整改", filed_by_id=world["handler"].id)
    db.session.add(appeal)
    db.session.commit()
    return lambda actor: appeals.decide_appeal(appeal, actor, decision, "经核实", **kw)


def _correct(world, actor):
    decide = _appeal(world, "corrected", correction_note="更正说明：责任单位应为市政处")
    return f"/board/items/{world['item'].id}", "更正说明：责任单位应为市政处", lambda: decide(actor)


def _withdraw(world, actor):
    decide = _appeal(world, "withdrawn")
    return f"/board/api/items/{world['item'].id}", 410, lambda: decide(actor)


def _redact(world, actor):
    item = world["item"]
    photo = make_photo(item, stage="after", published=False)
    db.session.commit()
    return (f"/board/api/items/{item.id}", f"/board/photos/{photo.id}/thumb",
            lambda: redact_photo(photo, [], actor, confirm_nothing=True))


def _link_case(world, actor):
    item = world["item"]
    case = make_case()
    db.session.commit()

    def link():
        from oversight.board.models import ItemCase

        item.case_links.append(ItemCase(case=case))
        db.session.flush()

    return f"/board/api/items/{item.id}", '"linked_reports": 1', link


def _rename_unit(world, actor):
    unit = world["unit"]

    def rename():
        unit.name = "市城市管理综合执法局"
        db.session.flush()

    return f"/board/units/{unit.id}", "市城市管理综合执法局", rename


CHANGES = {"publish": _publish, "take down (item page)": _take_down, "take down (list)": _take_down_from_the_list,
           "archive": _archive, "edit": _edit, "follow-up": _follow_up, "appeal corrected": _correct,
           "appeal withdrawn": _withdraw, "redaction": _redact, "linked report": _link_case,
           "unit renamed": _rename_unit}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_public_change_shows_at_once_although_the_page_was_cached(client, app, change):
    unit = make_unit("市环卫处")
    world = {"unit": unit, "item": make_item(title="菜市场门口垃圾堆积", unit=unit),
             "handler": make_user(Role.HANDLER, unit=unit)}
    actor = make_user(Role.ADMIN)
    url, expected, act = CHANGES[change](world, actor)
    before = client.get(url)
    assert before.status_code == 200
    assert client.get(url, headers={"If-None-Match": f'"{before.get_etag()[0]}"'}).status_code == 304  # cached
    act()
    db.session.commit()
    after = client.get(url, headers={"If-None-Match": f'"{before.get_etag()[0]}"'})
    if isinstance(expected, int):
        assert after.status_code == expected
        return
    text = after.get_data(as_text=True)
    assert after.status_code == 200
    if expected == "gone":
        assert str(world["item"].id) not in {str(i["id"]) for i in after.get_json()["items"]}
        return
    assert expected not in before.get_data(as_text=True).replace(": ", ":")
    assert expected.replace(": ", ":") in text.replace(": ", ":")


def test_a_change_made_in_another_process_reaches_this_ones_cache(served, board, moderator):
    """Two workers without Redis: each has its own copies, the generation in the database is shared."""
    item = board[0]
    reader = served.test_client()
    assert reader.get(f"/board/items/{item.id}").status_code == 200
    publishing.take_down(item, moderator, "信息有误")
    db.session.commit()  # this test's app is the other worker
    assert reader.get(f"/board/items/{item.id}").status_code == 410


def test_a_rolled_back_change_does_not_move_the_generation(app, board, moderator):
    before = cache.current_generation()
    publishing.take_down(board[0], moderator, "信息有误")
    db.session.rollback()
    assert cache.current_generation() == before


# ---------------------------------------------------------------- Redis

def test_withdrawn_items_disappear_at_once_from_the_redis_cache_of_every_worker(make_app, redis_url):
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    first, second = make_app(REDIS_URL=redis_url), make_app(REDIS_URL=redis_url)
    with second.app_context():
        item_id = make_item(title="人民路菜市场门口垃圾堆积").id
    reader = first.test_client()
    page = reader.get(f"/board/items/{item_id}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == MAX_AGE
    etag = page.get_etag()[0]
    other_reader = second.test_client()  # another worker gets the copy the first one stored
    assert other_reader.get(f"/board/items/{item_id}", headers={"If-None-Match": f'"{etag}"'}).status_code == 304
    with second.app_context():
        from oversight.board.models import ExposureItem

        publishing.take_down(db.session.get(ExposureItem, item_id), make_user(Role.MODERATOR), "信息有误")
        db.session.commit()
    assert reader.get(f"/board/items/{item_id}").status_code == 410
    assert reader.get(f"/board/api/items/{item_id}").status_code == 410
    with first.app_context():
        assert "人民路菜市场门口垃圾堆积" not in reader.get("/board/").get_data(as_text=True)
    redis.Redis.from_url(redis_url).flushdb()


def test_the_board_still_answers_when_its_redis_is_unreachable(make_app, board):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    with app.app_context():
        answer = app.test_client().get(f"/board/items/{board[0].id}")
    assert answer.status_code == 200 and "人民路菜市场门口垃圾堆积" in answer.get_data(as_text=True)


def test_when_the_generation_cannot_be_read_in_front_of_flask_the_page_is_still_answered(client, board, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from portal import page_replay

    def unavailable(app):
        raise OperationalError("SELECT value", {}, Exception("server closed the connection"))

    monkeypatch.setattr(page_replay, "_generation", unavailable)
    for _attempt in range(2):
        answer = client.get(f"/board/items/{board[0].id}")
        assert answer.status_code == 200 and "人民路菜市场门口垃圾堆积" in answer.get_data(as_text=True)


def test_a_change_made_in_sql_by_hand_shows_after_bumping_the_generation(client, board):
    item = board[0]
    url = f"/board/items/{item.id}"
    assert "改过的标题" not in client.get(url).get_data(as_text=True)
    db.session.execute(db.text("UPDATE exposure_items SET title = '改过的标题' WHERE id = :id"), {"id": item.id})
    db.session.commit()
    assert "改过的标题" not in client.get(url).get_data(as_text=True)  # no model event: the copy stays
    cache.bump_generation()
    db.session.commit()
    assert "改过的标题" in client.get(url).get_data(as_text=True)
