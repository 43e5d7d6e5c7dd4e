"""Found by the load test's PostgreSQL restart (make loadtest-faults FAULT=pg-restart): the exposure board's JSON API
lives under /board/api/, and during an outage it answered the HTML 503 page to API clients."""
import pytest

from tests.portal.test_outage import Outage


@pytest.fixture
def outage(served):
    outage = Outage(served)
    yield outage
    outage.remove()


@pytest.mark.parametrize("url", ["/board/api/items", "/board/api/items/1"])
def test_the_board_api_answers_a_json_503_during_an_outage(served, outage, url):
    client = served.test_client()
    outage.begin()

    response = client.get(url, headers={"Accept": "*/*"})  # what curl and most API clients send

    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.get_json()["error"] == 503


def test_an_unknown_board_api_path_answers_json(served):
    response = served.test_client().get("/board/api/nosuch", headers={"Accept": "*/*"})

    assert response.status_code == 404
    assert response.get_json()["error"] == 404


def test_pages_still_answer_html_503(served, outage):
    client = served.test_client()
    client.set_cookie("lang", "en")
    outage.begin()

    response = client.get("/board/", headers={"Accept": "*/*"})

    assert response.status_code == 503 and response.headers["Content-Type"].startswith("text/html")
    assert 'lang="en"' in response.get_data(as_text=True)


class RollbackFails:
    """The server closes the connection after the page was rendered: the session's closing ROLLBACK fails."""

    def __init__(self, app):
        from portal.extensions import db

        with app.app_context():
            self.dialect = db.engine.dialect
        self.down = False
        self.original = self.dialect.do_rollback
        self.dialect.do_rollback = self._rollback

    def _rollback(self, connection):
        if self.down:  # as the server did: the connection is gone, with its transaction
            connection.close()
            raise self.dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")
        return self.original(connection)

    def remove(self):
        self.dialect.do_rollback = self.original


def test_a_connection_lost_after_the_page_was_rendered_does_not_turn_it_into_a_bare_500(served):
    """Found by the PostgreSQL restart under load: Flask-SQLAlchemy's teardown rolled back on the dead connection,
    and the error escaped to gunicorn, which answered its bare English "Internal Server Error"."""
    client = served.test_client()
    client.set_cookie("lang", "en")
    failing = RollbackFails(served)
    try:
        failing.down = True
        response = client.get("/report")
        failing.down = False

        assert response.status_code == 200 and 'id="report-form"' in response.get_data(as_text=True)
        assert client.get("/report").status_code == 200  # the next request gets a working connection
    finally:
        failing.remove()
