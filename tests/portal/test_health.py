"""/healthz and /readyz as a load balancer and a process supervisor use them: cheap liveness that never touches the
database, and readiness that names what is missing (database, migrations, Redis) in a JSON 503."""
import socket
import threading

import pytest
from flask_migrate import upgrade

from composition import create_app
from tests.conftest import base_config
from tests.portal.test_headers import assert_security_headers
from tests.s3server import s3_config, s3_endpoint  # noqa: F401 - fixtures

CLOSED_PORT_DB = "postgresql+psycopg://postgres@127.0.0.1:1/minsheng"
BEFORE_HEAD = "s10texts_synonyms"  # a revision the code has, older than the head


def assert_uncacheable_and_cookieless(response):
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert response.mimetype == "application/json"


def test_healthz_answers_ok_even_when_the_database_is_down():
    app = create_app(base_config(CLOSED_PORT_DB))

    response = app.test_client().get("/healthz")

    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert_uncacheable_and_cookieless(response)


def test_readyz_is_ok_on_a_migrated_database(app):
    response = app.test_client().get("/readyz")

    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["checks"] == {"database": "ok", "migrations": "ok"}
    assert_uncacheable_and_cookieless(response)


def test_readyz_says_the_database_is_unreachable_without_disclosing_where_it_is():
    app = create_app(base_config(CLOSED_PORT_DB))

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["failed"] == ["database", "migrations"]
    assert response.json["checks"]["database"] == "unreachable"
    assert "127.0.0.1" not in response.get_data(as_text=True) and "postgres" not in response.get_data(as_text=True)
    assert_uncacheable_and_cookieless(response)


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never says a word (a hung database)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_readyz_gives_up_on_a_database_that_does_not_answer(silent_server):
    app = create_app(base_config(f"postgresql+psycopg://postgres@127.0.0.1:{silent_server}/minsheng",
                                 READY_TIMEOUT=0.5, DB_CONNECT_TIMEOUT=2))

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["checks"]["database"] == "no answer within 0.5 s"


def test_readyz_names_migrations_behind_the_code(tmp_path):
    url = "sqlite:///" + str(tmp_path / "behind.db")
    app = create_app(base_config(url))
    with app.app_context():
        upgrade(revision=BEFORE_HEAD)

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["failed"] == ["migrations"]
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["migrations"].startswith(f"database at {BEFORE_HEAD}, code at ")


def test_readyz_on_an_empty_database_says_nothing_is_migrated(tmp_path):
    app = create_app(base_config("sqlite:///" + str(tmp_path / "empty.db")))

    response = app.test_client().get("/readyz")

    assert response.status_code == 503 and response.json["failed"] == ["migrations"]
    assert response.json["checks"]["migrations"].startswith("database at nothing, code at ")


def test_readyz_fails_when_the_configured_redis_is_down(make_app):
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["failed"] == ["redis"] and response.json["checks"]["redis"] == "unreachable"


def test_readyz_checks_a_reachable_redis(make_app, redis_url):
    response = make_app(RATELIMIT_STORAGE_URI=redis_url).test_client().get("/readyz")

    assert response.status_code == 200 and response.json["checks"]["redis"] == "ok"


def test_probes_are_never_rate_limited(make_app):
    # A route's own limit, not RATELIMIT_DEFAULT: the limiter is one object for every app of the test session, and
    # a default limit set on it would stay for the apps built after this one.
    app = make_app(RATELIMIT_ENABLED=True, SURVEY_RATE_LIMIT="2 per minute", RATELIMIT_STORAGE_URI="memory://")
    client = app.test_client()

    assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
    assert [client.get("/readyz").status_code for _ in range(5)] == [200] * 5
    assert [client.post("/surveys/no-such-survey").status_code for _ in range(3)] == [404, 404, 429]  # limits on


def test_readyz_checks_the_photo_bucket_when_photos_live_in_one(make_app, s3_config):  # noqa: F811 - fixture
    assert make_app(**s3_config).test_client().get("/readyz").json["checks"]["uploads"] == "ok"

    missing = make_app(**dict(s3_config, S3_BUCKET="no-such-bucket")).test_client().get("/readyz")

    assert missing.status_code == 503 and missing.json["failed"] == ["uploads"]
    assert missing.json["checks"]["uploads"] == "unreachable"
