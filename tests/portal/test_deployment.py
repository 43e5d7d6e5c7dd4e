"""The scaled deployment's settings reach what they configure: the PostgreSQL pool, the trusted proxy, and the
sample gunicorn and nginx files agree with the app's limits."""
import re

from flask import jsonify, request

from composition import create_app
from portal.config import DEFAULTS, ROOT, config_from_env
from portal.extensions import db
from tests.conftest import base_config

PG = "postgresql+psycopg://postgres@127.0.0.1:1/minsheng"  # never connected to: building the engine is enough


def test_the_postgresql_engine_gets_the_pool_settings():
    app = create_app(base_config(PG, DB_POOL_SIZE=7, DB_MAX_OVERFLOW=3, DB_POOL_TIMEOUT=4, DB_POOL_RECYCLE=600,
                                 DB_CONNECT_TIMEOUT=2))
    with app.app_context():
        engine = db.engine
    pool = engine.pool

    assert engine.dialect.driver == "psycopg"
    assert (pool.size(), pool._max_overflow, pool._timeout, pool._recycle, pool._pre_ping) == (7, 3, 4, 600, True)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 2}


def test_the_pool_defaults_hold_ten_connections_per_process_at_most():
    app = create_app(base_config(PG))
    with app.app_context():
        pool = db.engine.pool

    assert (pool.size(), pool._max_overflow, pool._timeout, pool._recycle, pool._pre_ping) == (5, 5, 10, 1800, True)


def test_sqlite_gets_no_pre_ping_and_no_server_pool_settings(tmp_path):
    app = create_app(base_config("sqlite:///" + str(tmp_path / "x.db"), DB_POOL_SIZE=7))
    with app.app_context():
        pool = db.engine.pool

    assert pool._pre_ping is False
    assert "pool_size" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_the_environment_sets_the_deployment_keys(tmp_path):
    config = config_from_env(str(tmp_path), {
        "DATABASE_URL": "postgres://app@db.internal/minsheng", "DB_POOL_SIZE": "12", "DB_MAX_OVERFLOW": "0",
        "DB_POOL_TIMEOUT": "3", "DB_POOL_RECYCLE": "300", "DB_CONNECT_TIMEOUT": "3", "PROXY_FIX_HOPS": "1",
        "LOG_FORMAT": "json", "UPLOAD_STORE": "s3", "S3_BUCKET": "photos", "S3_ENDPOINT_URL": "http://minio:9000",
        "S3_REGION": "cn-north-1", "READY_TIMEOUT": "1.5", "REDIS_URL": "redis://cache:6379/0"})

    assert config["DB_POOL_SIZE"] == 12 and config["DB_MAX_OVERFLOW"] == 0 and config["DB_POOL_TIMEOUT"] == 3
    assert config["DB_POOL_RECYCLE"] == 300 and config["DB_CONNECT_TIMEOUT"] == 3 and config["PROXY_FIX_HOPS"] == 1
    assert (config["LOG_FORMAT"], config["UPLOAD_STORE"], config["S3_BUCKET"]) == ("json", "s3", "photos")
    assert config["S3_ENDPOINT_URL"] == "http://minio:9000" and config["READY_TIMEOUT"] == 1.5
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"


def echo_app(**config):
    app = create_app(base_config("sqlite:///:memory:", **config))

    @app.get("/echo")
    def echo():
        return jsonify(addr=request.remote_addr, scheme=request.scheme, host=request.host,
                       url=request.url_root)

    return app


BEHIND_NGINX = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "12345.gov.cn"}


def test_behind_one_proxy_the_app_sees_the_client_address_https_and_sends_hsts():
    client = echo_app(PROXY_FIX_HOPS=1).test_client()

    response = client.get("/echo", headers=BEHIND_NGINX, environ_base={"REMOTE_ADDR": "127.0.0.1"})

    assert response.json == {"addr": "203.0.113.9", "scheme": "https", "host": "12345.gov.cn",
                             "url": "https://12345.gov.cn/"}
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" in client.get("/healthz", headers=BEHIND_NGINX).headers


def test_without_proxy_fix_forwarded_headers_are_not_believed():
    client = echo_app().test_client()

    response = client.get("/echo", headers=BEHIND_NGINX, environ_base={"REMOTE_ADDR": "198.51.100.7"})

    assert response.json["addr"] == "198.51.100.7" and response.json["scheme"] == "http"
    assert "Strict-Transport-Security" not in response.headers


def test_only_the_last_hop_is_believed_so_a_client_cannot_claim_another_address():
    client = echo_app(PROXY_FIX_HOPS=1).test_client()

    # The client sent its own X-Forwarded-For; nginx appended the address it really came from.
    response = client.get("/echo", headers={"X-Forwarded-For": "10.0.0.1, 203.0.113.77"})

    assert response.json["addr"] == "203.0.113.77"


# The sample files in deploy/ agree with the app ----------------------------------------------------------------------

def gunicorn_settings(environ):
    import runpy
    from unittest import mock

    with mock.patch.dict("os.environ", environ, clear=False):
        return runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))


def test_gunicorn_runs_sync_workers_from_the_environment_with_time_for_a_photo_report():
    default, tuned = gunicorn_settings({}), gunicorn_settings({"WEB_WORKERS": "8", "BIND": "0.0.0.0:8000"})

    assert default["worker_class"] == "sync" and default["workers"] == 4
    assert tuned["workers"] == 8 and tuned["bind"] == "0.0.0.0:8000"
    assert default["timeout"] > DEFAULTS["PHOTO_WAIT_SECONDS"] + 10  # the wait for a turn, then the decoding


def test_nginx_takes_bodies_as_large_as_the_app_does_and_keeps_probes_out_of_its_log():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()

    megabytes = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1))
    assert megabytes * 1024 * 1024 == DEFAULTS["MAX_CONTENT_LENGTH"]
    for probe in ("/healthz", "/readyz"):
        block = conf.split(f"location = {probe} {{", 1)[1].split("}", 1)[0]
        assert "access_log off;" in block
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "proxy_set_header X-Request-ID $request_id;" in conf
