"""A database outage: readers get a 503 page in their language with Retry-After (JSON APIs a JSON 503), the error
handler never fails again on the dead connection, and the app serves again by itself once the database is back."""
import pytest
from sqlalchemy import event

from portal.extensions import db


class Outage:
    """Makes every new database connection of ``app`` fail, as while the server restarts, until ``end()``."""

    def __init__(self, app):
        self.app, self.down = app, False
        with app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "do_connect", self._connect)

    def _connect(self, _dialect, _record, _args, _kwargs):
        if self.down:
            raise self.engine.dialect.loaded_dbapi.OperationalError("the database system is starting up")
        return None

    def begin(self):
        self.down = True
        self.engine.dispose()  # the pooled connections died with the server

    def end(self):
        self.down = False

    def remove(self):
        event.remove(self.engine, "do_connect", self._connect)


@pytest.fixture
def outage(served):
    outage = Outage(served)
    yield outage
    outage.remove()


@pytest.mark.parametrize("lang, text", [("zh_Hans", "暂时无法"), ("en", "temporarily unavailable")])
def test_pages_answer_503_in_the_readers_language_with_retry_after(served, outage, lang, text):
    client = served.test_client()
    client.set_cookie("lang", lang)
    assert client.get("/board/").status_code == 200
    outage.begin()

    for url in ("/board/", "/track/20260101-0001?code=12345678", "/report"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert response.headers["Retry-After"] == "30"
        assert text in response.get_data(as_text=True)


def test_json_apis_answer_a_json_503(served, outage):
    client = served.test_client()
    outage.begin()

    response = client.get("/report/points.json?q=公厕")

    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert response.get_json()["error"] == 503


def test_a_signed_in_page_answers_503_too(served, outage):
    from portal.auth.models import Role
    from tests.factories import make_user

    with served.app_context():
        user = make_user(Role.LEADER)
        username = user.username
    client = served.test_client()
    assert client.post("/login", data={"username": username, "password": "password123"}).status_code == 302
    outage.begin()

    assert client.get("/console/").status_code == 503


def test_the_app_serves_again_by_itself_when_the_database_is_back(served, outage):
    client = served.test_client()
    outage.begin()
    assert client.get("/board/").status_code == 503

    outage.end()

    assert client.get("/board/").status_code == 200


def test_connections_killed_by_the_server_are_replaced_without_an_error(served):
    with served.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: the server ends the connections (pg_terminate_backend)")
    client = served.test_client()
    assert client.get("/board/").status_code == 200
    with served.app_context():
        killer = db.engine.connect()
        killer.execute(db.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        killer.close()

    assert [client.get("/board/").status_code for _ in range(3)] == [200, 200, 200]
