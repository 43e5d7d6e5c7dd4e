"""What an operator reads: each log line once (walkthrough item 15 of issue #12); with LOG_FORMAT=json one JSON object
per line carrying the request id (issue #13)."""
import json
import logging
import re
import subprocess
import sys

import pytest

from portal.auth.models import Role
from portal.config import ROOT
from portal.logs import JsonFormatter
from tests.factories import make_user

SCRIPT = """
import logging
from composition import create_app
app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
logging.getLogger("portal.scheduler.runner").info("scheduler demo-holder started")
app.logger.warning("the app itself speaks")
"""


def test_a_log_line_of_the_app_or_the_scheduler_prints_once():
    # A fresh interpreter, as `flask scheduler` is: pytest's own log capture would hide the doubling.
    run = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("scheduler demo-holder started") == 1
    assert run.stderr.count("the app itself speaks") == 1


# JSON lines with a request id (issue #13, the scaled deployment) ----------------------------------------------------

JSON_SCRIPT = """
import logging
from composition import create_app
app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:", "LOG_FORMAT": "json"})

@app.get("/speak")
def speak():
    app.logger.warning("the app itself speaks")
    return "ok"

client = app.test_client()
answer = client.get("/speak?code=12345678", headers={"X-Request-ID": "edge-0001"})
print(answer.headers["X-Request-ID"])
logging.getLogger("portal.scheduler.runner").info("outside any request")
"""


def test_log_format_json_writes_one_json_object_per_line_with_the_request_id():
    run = subprocess.run([sys.executable, "-c", JSON_SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "edge-0001"

    lines = [json.loads(line) for line in run.stderr.splitlines() if line.strip()]

    spoken = next(line for line in lines if line["message"] == "the app itself speaks")
    assert spoken["level"] == "WARNING" and spoken["logger"] == "portal" and spoken["request_id"] == "edge-0001"
    served = next(line for line in lines if line["logger"] == "portal.request")
    assert served["request_id"] == "edge-0001"
    assert (served["method"], served["path"], served["status"]) == ("GET", "/speak", 200)
    assert served["duration_ms"] >= 0 and served["user_id"] is None
    assert "12345678" not in run.stderr  # the query string (query codes travel there) is never logged
    outside = next(line for line in lines if line["message"] == "outside any request")
    assert outside["request_id"] is None and outside["time"].endswith("+00:00")


def request_lines(caplog):
    return [json.loads(JsonFormatter().format(record)) for record in caplog.records if record.name == "portal.request"]


@pytest.mark.parametrize("offered", ["short", "x" * 65, "a b c d e f", "evil\"quote-1234", "中文请求编号一二三四",
                                     "id;drop table-1", ""])
def test_an_unsafe_or_odd_request_id_is_replaced_by_a_new_one(make_app, offered):
    client = make_app(LOG_FORMAT="json").test_client()

    response = client.get("/healthz", headers={"X-Request-ID": offered})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_a_safe_request_id_from_the_proxy_is_kept_and_each_request_without_one_gets_its_own(make_app):
    client = make_app(LOG_FORMAT="json").test_client()

    kept = client.get("/healthz", headers={"X-Request-ID": "9f1c0e7a-4b1d-4c55-9a3e-1f2b3c4d5e6f"})
    first, second = client.get("/healthz"), client.get("/healthz")

    assert kept.headers["X-Request-ID"] == "9f1c0e7a-4b1d-4c55-9a3e-1f2b3c4d5e6f"
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_the_request_line_names_the_signed_in_user_and_never_a_password_phone_or_query_code(make_app, caplog):
    app = make_app(LOG_FORMAT="json")
    with app.app_context():
        user_id = make_user(Role.ADMIN, username="ops-admin", password="Secret-Passw0rd!").id
    client = app.test_client()
    caplog.set_level(logging.INFO)

    client.post("/login", data={"username": "ops-admin", "password": "Secret-Passw0rd!"})
    client.get("/console/", headers={"X-Request-ID": "console-0001"})
    client.get("/track/20260101-0001?code=87654321")
    client.post("/report", data={"description": "门口垃圾", "reporter_phone": "13912345678"})

    lines = request_lines(caplog)
    console = next(line for line in lines if line["request_id"] == "console-0001")
    assert console["path"] == "/console/" and console["status"] == 200 and console["user_id"] == user_id
    assert [line["path"] for line in lines] == ["/login", "/console/", "/track/20260101-0001", "/report"]
    everything = caplog.text + "".join(json.dumps(line) for line in lines)
    for secret in ("Secret-Passw0rd!", "13912345678", "87654321"):
        assert secret not in everything


def test_text_format_is_the_default_and_adds_no_request_lines(app, caplog):
    caplog.set_level(logging.INFO)

    response = app.test_client().get("/healthz")

    assert response.headers["X-Request-ID"]  # still returned, for a user to quote
    assert not [record for record in caplog.records if record.name == "portal.request"]


def test_probes_that_find_all_well_are_not_logged_but_a_failing_readiness_is(make_app, caplog):
    app = make_app(LOG_FORMAT="json", RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")  # a Redis that is down
    caplog.set_level(logging.INFO)

    app.test_client().get("/healthz")
    app.test_client().get("/readyz")

    assert [(line["path"], line["status"]) for line in request_lines(caplog)] == [("/readyz", 503)]
