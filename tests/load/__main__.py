"""``make loadtest``: the app under gunicorn (4 sync workers) on a fresh PostgreSQL database and on SQLite, each with
the demo city and an open survey; 64 phones submit reports and survey responses (a fifth retried with the same key:
after the answer, at the same time, after a client-side timeout) while readers load the board and tracking pages.
Then the database is checked (tests/load/checks.py) and ``LOAD <backend> <name> <value>`` lines are printed; the
exit status is 1 when any check fails.

    python -m tests.load [--backend pg|sqlite|both]

Environment: LOAD_REPORTS, LOAD_RESPONSES (20000 each), LOAD_CLIENTS (64), LOAD_READERS (8),
LOADTEST_DATABASE_URL (postgresql+psycopg://postgres@127.0.0.1:5432/loadtest, dropped and created by the run),
LOADTEST_REDIS_URL (redis://127.0.0.1:6379/4: the rate-limit store of the PostgreSQL run), LOADTEST_KEEP=1 keeps
the databases afterwards. The server's per-address limits are raised for the run (REPORT_RATE_LIMIT,
SURVEY_RATE_LIMIT): every phone comes from 127.0.0.1. CSRF and idempotency stay on.
"""
import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.bench.harness import ROOT, Server
from tests.load.checks import Acknowledged, check_database
from tests.load.client import Plan, drive, percentile

SECRET = "loadtest-secret"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/loadtest"
REDIS_URL = "redis://127.0.0.1:6379/4"
HIGH_LIMIT = "1000000 per minute"


def load_line(backend, name, value):
    print(f"LOAD {backend} {name} {value}", flush=True)


def env_int(name, default):
    return int(os.environ.get(name, default))


# ---------------------------------------------------------------- databases

def _admin_connection(url):
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return psycopg.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                           password=parsed.password, dbname="postgres", autocommit=True), parsed.database


def recreate_pg(url):
    connection, name = _admin_connection(url)
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_pg(url):
    connection, name = _admin_connection(url)
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_app(url):
    from composition import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING",
                       "PUBLIC_BASE_URL": "http://127.0.0.1"})


def prepare_city(url):
    """Migrate, seed the demo city, open a survey in four areas; the Plan's fixed parts."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "PUBLIC_BASE_URL": "http://127.0.0.1",
           "LOG_LEVEL": "WARNING"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    from portal.extensions import db
    from surveys.bench import make_bench_survey

    with make_app(url).app_context():
        survey = make_bench_survey()
        category = db.session.execute(db.text("SELECT id FROM categories WHERE code = 'SR01'")).scalar()
        areas = db.session.execute(db.text("SELECT id FROM areas WHERE level = 'grid' AND active "
                                           "ORDER BY code LIMIT 8")).scalars().all()
        return {"category_id": category, "area_ids": list(areas), "survey_slug": survey.slug,
                "survey_area_keys": [link.key for link in survey.areas]}


def server_env(backend, url, upload_folder):
    env = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING", "PUBLIC_BASE_URL": "http://127.0.0.1",
           "UPLOAD_FOLDER": upload_folder, "REPORT_RATE_LIMIT": HIGH_LIMIT, "SURVEY_RATE_LIMIT": HIGH_LIMIT}
    if backend == "pg":
        env["REDIS_URL"] = os.environ.get("LOADTEST_REDIS_URL", REDIS_URL)
    return env


# ---------------------------------------------------------------- the run

def acknowledged_from(stats, url, slug):
    """What the clients were told, by idempotency key: the form tokens and survey receipts are read with the
    server's secret (the key inside the token, the response id inside the receipt)."""
    from itsdangerous import URLSafeSerializer

    from portal.extensions import db
    from surveys.guards import read_form_token
    from surveys.models import Survey

    acknowledged = Acknowledged()
    for key, number in stats.report_acks:
        acknowledged.add_report(key, number)
    receipts = URLSafeSerializer(SECRET, salt="survey-receipt")
    with make_app(url).app_context():
        survey = db.session.execute(db.select(Survey).filter_by(slug=slug)).scalar_one()
        for token, receipt in stats.response_acks:
            key, _started = read_form_token(SECRET, survey, token)
            acknowledged.add_response(key, receipts.loads(receipt))
    return acknowledged


def report(backend, stats, results, plan):
    submissions = len({key for key, _n in stats.report_acks}) + len({t for t, _r in stats.response_acks})
    lines = {"reports": plan.reports, "responses": plan.responses, "clients": plan.clients,
             "acknowledged": submissions, "retries": stats.retries, "reads": stats.reads,
             "lost": results["lost"], "duplicated": results["duplicated"],
             "errors_5xx": stats.errors_5xx + stats.unavailable, "unexpected": sum(stats.unexpected.values()),
             "transport_errors": stats.transport_errors,
             "cases_without_event": results["cases_without_event"],
             "responses_without_answers": results["responses_without_answers"],
             "tally_mismatches": results["tally_mismatches"], "counter_mismatches": results["counter_mismatches"],
             "seconds": round(stats.seconds, 1), "submissions_per_s": round(submissions / stats.seconds, 1),
             "p50_ms": round(percentile(stats.latencies_ms, 0.5)),
             "p99_ms": round(percentile(stats.latencies_ms, 0.99)),
             "read_p99_ms": round(percentile(stats.read_latencies_ms, 0.99))}
    for name, value in lines.items():
        load_line(backend, name, value)
    if stats.unexpected:
        print(f"{backend}: unexpected answers {dict(stats.unexpected)}", file=sys.stderr)
    return lines


FAILS_WHEN_NONZERO = ("lost", "duplicated", "errors_5xx", "unexpected", "transport_errors", "cases_without_event",
                      "responses_without_answers", "tally_mismatches", "counter_mismatches")


def failures(lines, expected_acknowledged):
    failed = [name for name in FAILS_WHEN_NONZERO if lines[name]]
    if lines["acknowledged"] != expected_acknowledged:
        failed.append("acknowledged")
    return failed


def run_backend(backend, during=None):
    """One load run on ``backend`` ("pg" or "sqlite"); ``during(server, stats)`` is a coroutine run beside the
    load (the fault scripts). Returns (lines, failed check names)."""
    plan_counts = {"reports": env_int("LOAD_REPORTS", 20000), "responses": env_int("LOAD_RESPONSES", 20000),
                   "clients": env_int("LOAD_CLIENTS", 64), "readers": env_int("LOAD_READERS", 8)}
    with tempfile.TemporaryDirectory(prefix="loadtest-") as tmp:
        url = os.environ.get("LOADTEST_DATABASE_URL", PG_URL) if backend == "pg" else f"sqlite:///{tmp}/load.db"
        if backend == "pg":
            recreate_pg(url)
        try:
            print(f"{backend}: preparing the demo city", file=sys.stderr, flush=True)
            city = prepare_city(url)
            with Server("wsgi:app", server_env(backend, url, str(Path(tmp) / "uploads")), workers=4) as server:
                plan = Plan(base=server.url, **plan_counts, **city)
                print(f"{backend}: {plan.reports} reports and {plan.responses} responses from {plan.clients} phones",
                      file=sys.stderr, flush=True)
                stats = asyncio.run(_drive_with(plan, server, during))
            results = check_database_at(url, acknowledged_from(stats, url, plan.survey_slug))
            lines = report(backend, stats, results, plan)
            return lines, stats, failures(lines, plan.reports + plan.responses)
        finally:
            if backend == "pg" and not os.environ.get("LOADTEST_KEEP"):
                drop_pg(url)


async def _drive_with(plan, server, during):
    from tests.load.client import Stats

    stats = Stats()
    if during is None:
        return await drive(plan, stats)
    side = asyncio.create_task(during(server, stats))
    await drive(plan, stats)
    await side
    return stats


def check_database_at(url, acknowledged):
    with make_app(url).app_context():
        return check_database(acknowledged)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("pg", "sqlite", "both"), default=os.environ.get("BACKEND", "both"))
    args = parser.parse_args(argv)
    backends = ("pg", "sqlite") if args.backend == "both" else (args.backend,)
    failed = []
    for backend in backends:
        _lines, _stats, failed_checks = run_backend(backend)
        failed += [f"{backend} {name}" for name in failed_checks]
    if failed:
        print("LOAD FAILED: " + ", ".join(failed), file=sys.stderr)
        return 1
    print("LOAD ok", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
