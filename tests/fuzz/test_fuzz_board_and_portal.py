"""Fuzzing the public reading side and the shell: the exposure board's pages, filters, feeds and JSON API, the
红黑榜, sign-in with ``next=``, sign-out, the language switcher and the QR landing route. Never a 5xx, nothing
stored, nothing unpublished or private shown, and no redirect off the site."""
from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from portal.auth.models import Role
from tests.factories import make_user
from tests.fuzz import strategies as hostile
from tests.fuzz.conftest import FUZZ, assert_no_server_error, assert_nothing_private, row_counts
from tests.oversight.board.public_world import REPORTER_NAME

ENDPOINTS = {
    "board.index", "board.item", "board.unit", "board.photo", "board.share_image", "board.feed", "board.area_feed",
    "board.unit_feed", "board.api_items", "board.api_item", "honours.index", "honours.month", "honours.bulletins",
    "honours.bulletin", "auth.login", "auth.logout", "qr.scan", "home.index",
}
UNPUBLISHED = ("草稿条目", "审核中条目", REPORTER_NAME)
FILTERS = ["area", "unit", "category", "status", "kind", "month", "page", "q", "lang", "format"]
ids = st.one_of(st.integers(min_value=0, max_value=2**31 - 1), st.integers(min_value=1, max_value=12))


@FUZZ
@given(data=st.data())
def test_the_board_answers_any_filter_and_any_id(app, world, fuzz_client, data):
    item_ids = [world.pending.id, world.draft.id, world.review.id, world.taken_down.id, world.archived.id]
    item = data.draw(st.one_of(st.sampled_from(item_ids), ids), label="item")
    other = data.draw(ids, label="unit/area/photo/snapshot")
    query = data.draw(st.dictionaries(st.sampled_from(FILTERS), st.one_of(hostile.text, hostile.id_text),
                                      max_size=5), label="query")
    before = row_counts()
    urls = ["/board/", f"/board/items/{item}", f"/board/units/{other}", f"/board/photos/{other}",
            f"/board/photos/{other}/thumb", f"/board/items/{item}/share.png", "/board/feed.atom",
            f"/board/areas/{other}/feed.atom", f"/board/units/{other}/feed.atom", "/board/api/items",
            f"/board/api/items/{item}", "/board/honours/", "/board/honours/bulletins",
            f"/board/honours/bulletins/{other}", f"/board/honours/{other % 10000:04d}-{item % 100:02d}"]

    for url in urls:
        response = fuzz_client.get(url, query_string=query)
        assert_no_server_error(response)
        if response.mimetype.startswith("text/") or response.is_json or "xml" in response.mimetype:
            body = response.get_data(as_text=True)
            assert not any(secret in body for secret in UNPUBLISHED), url
            assert_nothing_private(response, *(c.query_code for c in world.cases))
        if url.startswith("/board/api/"):
            assert response.is_json, url
        response.close()  # a photo is a file being sent
    assert row_counts() == before


@FUZZ
@given(raw=st.lists(st.tuples(st.sampled_from(FILTERS), hostile.raw_query_value), max_size=4),
       path=st.sampled_from(["/board/", "/board/api/items", "/board/feed.atom", "/", "/login"]))
def test_invalid_utf8_in_board_queries_is_no_server_error(app, world, fuzz_client, raw, path):
    response = fuzz_client.get(path + "?" + "&".join(f"{k}={v}" for k, v in raw))

    assert_no_server_error(response)


@FUZZ
@given(fields=hostile.form({"username": st.one_of(hostile.form_value, st.just("admin")),
                            "password": st.one_of(hostile.form_value, st.just("password123"))}),
       next_url=st.one_of(st.none(), hostile.text, st.sampled_from([
           "//evil.example/", "https://evil.example/", "/\\evil.example", "\\\\evil.example", "/console/\r\nX: y",
           "javascript:alert(1)", "/console/", "http://minsheng.test/console/", " //evil.example", "/%0d%0a"])))
def test_sign_in_never_errs_and_never_leaves_the_site(app, fuzz_client, fields, next_url):
    if not row_counts()["users"]:
        make_user(Role.ADMIN, username="admin")
    query = {"next": next_url} if next_url is not None else {}
    users = row_counts()["users"]

    page = fuzz_client.get("/login", query_string=query)
    response = fuzz_client.post("/login", query_string=query, data=fields)

    assert_no_server_error(page), assert_no_server_error(response)
    if response.status_code in (301, 302, 303):
        target = urlsplit(response.location)
        assert target.netloc in ("", "minsheng.test", "localhost") and target.scheme in ("", "http", "https")
        assert "\r" not in response.location and "\n" not in response.location
    else:
        assert response.status_code in (200, 400, 401, 422, 429)
    assert row_counts()["users"] == users
    fuzz_client.post("/logout")


@FUZZ
@given(lang=st.one_of(hostile.text, st.sampled_from(["en", "zh_Hant", "zh-TW", "zh_hans", "EN", "xx"])),
       accept=st.one_of(st.none(), hostile.text.filter(lambda t: t.isprintable() and t.isascii()),
                        st.sampled_from(["zh-CN,zh;q=0.9", "en;q=2", "*;q=abc", "zh-TW;q=0.5,en;q=0.6"])),
       path=st.sampled_from(["/", "/report", "/board/", "/surveys/", "/track", "/login", "/board/api/items"]))
def test_the_language_switcher_takes_any_value(app, world, lang, accept, path):
    client = app.test_client()
    headers = {"Accept-Language": accept} if accept is not None else {}

    response = client.get(path, query_string={"lang": lang}, headers=headers)
    again = client.get(path)

    assert_no_server_error(response), assert_no_server_error(again)
    cookie = client.get_cookie("lang")
    assert cookie is None or cookie.value in ("zh_Hans", "zh_Hant", "en")


@FUZZ
@given(token=st.one_of(hostile.text, st.lists(hostile.text, min_size=2, max_size=3).map("/".join)),
       query=st.dictionaries(st.sampled_from(["s", "lang", "t"]), hostile.text, max_size=2))
def test_a_scanned_code_of_any_shape_lands_on_a_clear_page(app, world, fuzz_client, token, query):
    from urllib.parse import quote

    before = row_counts()

    response = fuzz_client.get("/q/" + (quote(token, safe="/") or "x"), query_string=query)

    assert_no_server_error(response)
    assert response.status_code in (200, 301, 302, 303, 308, 400, 404, 410)  # 308: "//" merged into "/"
    assert row_counts() == before
