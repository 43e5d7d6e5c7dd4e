"""Throughput under wrk: bare Flask "ok", the bare-insert baseline, report intake, survey submission and the survey
form, each under gunicorn with 2 sync workers on SQLite, driven by wrk (``-t2 -c16 -d10s`` by default).

Every POST carries its own idempotency key (intake: ``@KEY@`` filled in by the Lua script) or its own signed form
token (surveys: signed beforehand with the server's secret and sent once each); the session cookie and CSRF token
are fetched once before the run. Afterwards the stored rows are counted: every accepted request must be stored, and
nothing else may be, except the requests still in flight when wrk stopped (at most one per connection), which wrk
never saw answered.
"""
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

from tests.bench import wrk
from tests.bench.harness import ROOT, Server, new_session

SERVER_ENV = {"SECRET_KEY": "bench", "LOG_LEVEL": "WARNING", "RATELIMIT_ENABLED": "0"}
# Signed survey forms made before a run, each sent once; more than 2 workers can take in BENCH_SECONDS.
SURVEY_BODIES_PER_S = int(os.environ.get("BENCH_SURVEY_BODIES_PER_S", "1500"))


def prepare_city(db_path):
    """Migrate and seed the demo city into ``db_path``; returns (category id, grid area id)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "bench"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    with sqlite3.connect(db_path) as connection:
        # 暴露垃圾/垃圾未清运: the most common report, with no extra questions
        category = connection.execute("SELECT id FROM categories WHERE code = 'SR01'").fetchone()[0]
        area = connection.execute("SELECT id FROM areas WHERE level = 'grid' ORDER BY code LIMIT 1").fetchone()[0]
    return category, area


def count(db_path, sql, *params):
    with sqlite3.connect(db_path) as connection:
        return connection.execute(sql, params).fetchone()[0]


def check(name, result, stored):
    """Refuse a figure whose requests were not all answered as expected or not stored exactly once."""
    if result.unexpected:
        raise SystemExit(f"{name}: answers other than 2xx/3xx: {result.unexpected}")
    if result.accepted != result.requests:
        raise SystemExit(f"{name}: {result.requests - result.accepted} of {result.requests} answers were not the "
                         f"expected one: {result.statuses}")
    if result.exhausted:
        raise SystemExit(f"{name}: ran out of prepared bodies; raise BENCH_SURVEY_BODIES_PER_S")
    if stored is not None and not result.accepted <= stored <= result.accepted + wrk.CONNECTIONS:
        raise SystemExit(f"{name}: {result.accepted} requests accepted but {stored} rows stored")
    if result.socket_errors:
        print(f"{name}: {result.socket_errors} socket errors", file=sys.stderr)


def session_for(url):
    """A client's session cookie and the CSRF token of the form at ``url``, fetched once before a run."""
    session = new_session()
    page = session.get(url, timeout=30).text
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    cookie = "; ".join(f"{name}={value}" for name, value in session.cookies.items())
    return ([f"Cookie: {cookie}"] if cookie else []), (match.group(1) if match else "")


def bench_baseline(folder):
    """Bare Flask returning "ok", and bare Flask doing one raw SQLite insert per request: two wrk Results."""
    db_path = Path(folder) / "baseline.db"
    with Server("tests.bench.baseline_app:app", {"BENCH_BASELINE_DB": str(db_path)}) as server:
        bare = wrk.run(server, path="/healthz")
        check("bare ok", bare, None)
        inserts = wrk.run(server, method="POST", path="/insert", body="description=report+@KEY@")
    check("baseline", inserts, count(db_path, "SELECT COUNT(*) FROM reports"))
    return bare, inserts


def bench_intake(folder, category, area):
    db_path = Path(folder) / "bench.db"
    before = count(db_path, "SELECT COUNT(*) FROM cases")
    with Server("wsgi:app", {**SERVER_ENV, "DATABASE_URL": f"sqlite:///{db_path}"}) as server:
        headers, csrf = session_for(server.url + "/report?lang=en")
        body = urlencode({"csrf_token": csrf, "idempotency_key": "KEY", "category_id": category, "area_id": area,
                          "description": "压测反映：路边垃圾未清运", "anonymous": "y"}).replace("=KEY", "=@KEY@")
        result = wrk.run(server, method="POST", path="/report", body=body, headers=headers, accept=302,
                         accept_location="/report/receipt/")
    check("intake", result, count(db_path, "SELECT COUNT(*) FROM cases") - before)
    return result


def make_survey(db_path, bodies):
    """The benchmark survey in the city at ``db_path`` and ``bodies`` form-encoded submissions (without the CSRF
    token), each with its own signed form token: signing them during the run would take the server's CPU."""
    from composition import create_app
    from surveys.bench import make_bench_survey, submission_fields

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "bench",
                      "LOG_LEVEL": "WARNING"})
    with app.app_context():
        survey = make_bench_survey()
        return survey.slug, survey.id, [urlencode(submission_fields(survey, "bench", n)) for n in range(bodies)]


def bench_survey(folder):
    """The wrk Results of submitting the benchmark survey and of its form's GET."""
    db_path = Path(folder) / "bench.db"
    slug, survey_id, bodies = make_survey(db_path, SURVEY_BODIES_PER_S * wrk.SECONDS)
    with Server("wsgi:app", {**SERVER_ENV, "DATABASE_URL": f"sqlite:///{db_path}"}) as server:
        headers, csrf = session_for(f"{server.url}/surveys/{slug}")
        bodies = [f"{body}&{urlencode({'csrf_token': csrf})}" for body in bodies]
        submissions = wrk.run(server, method="POST", path=f"/surveys/{slug}", bodies=bodies, headers=headers,
                              accept=303, accept_location=f"/surveys/{slug}/done/")
        # A first visit (no cookie), as from a QR code: the page, its session and device cookies
        form = wrk.run(server, path=f"/surveys/{slug}")
    check("survey", submissions, count(db_path, "SELECT COUNT(*) FROM survey_responses WHERE survey_id = ?",
                                       survey_id))
    check("survey form", form, None)
    return submissions, form
