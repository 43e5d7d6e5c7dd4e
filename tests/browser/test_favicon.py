"""Walkthrough item 15 (issue #12): a browser's own requests (the tab's icon) find what they ask for."""


def test_opening_the_home_page_makes_no_failed_request_and_the_tab_gets_an_icon(live_server, phone):
    page = phone.new_page()
    failed = []
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    page.goto(live_server.url + "/")
    icon = page.request.get(live_server.url + "/favicon.ico")
    page.wait_for_load_state("networkidle")
    assert failed == []
    assert icon.status == 200 and icon.headers["content-type"] in ("image/vnd.microsoft.icon", "image/x-icon")
    assert icon.body()[:4] == b"\x00\x00\x01\x00"  # the ICO file signature
