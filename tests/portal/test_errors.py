"""Errors: friendly pages in the reader's language, JSON for API clients, never a stack trace."""
from flask import abort


def test_unknown_page_is_friendly_and_shows_the_hotline(client):
    response = client.get("/no-such-page?lang=en")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "does not exist" in page and "12345" in page


def test_unknown_page_in_chinese(client):
    page = client.get("/no-such-page").get_data(as_text=True)
    assert "热线" in page and "Traceback" not in page


def test_api_clients_get_json_errors(client):
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.is_json and response.json["error"] == 404
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.is_json


def test_crash_gives_a_friendly_500_and_is_logged(make_app, caplog):
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaput")

    response = app.test_client().get("/boom?lang=en")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True) and "kaput" not in response.get_data(as_text=True)
    assert any("kaput" in (r.exc_text or "") or "Unhandled error" in r.getMessage() for r in caplog.records)


def test_forbidden_page_is_translated(make_app):
    app = make_app()

    @app.get("/forbidden-test")
    def forbidden():
        abort(403)

    assert "没有权限" in app.test_client().get("/forbidden-test").get_data(as_text=True)


def test_missing_csrf_token_is_refused_with_a_clear_message(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/login?lang=en", data={"username": "a", "password": "b"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_the_board_api_answers_its_errors_in_json_too(client):
    # a NUL byte refused before the view, and an address under the API that does not exist (were HTML pages)
    for url in ("/board/api/items?q=%00", "/board/api/items/abc"):
        response = client.get(url)
        assert response.status_code in (400, 404) and response.is_json, url
        assert response.get_json()["error"] == response.status_code
