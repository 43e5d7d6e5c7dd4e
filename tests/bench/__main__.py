"""``make bench``: intake throughput against a bare-insert baseline, both under gunicorn with 2 workers on SQLite.

Prints ``BENCH intake_per_s``, ``BENCH baseline_insert_per_s`` and ``BENCH intake_ratio`` (target ≥ 0.5), and
checks afterwards that every accepted request became exactly one case.
"""
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from tests.bench.harness import ROOT, Server, bench_line, new_session, run_load

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1500"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))


def prepare_city(db_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "bench"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    with sqlite3.connect(db_path) as connection:
        # 暴露垃圾/垃圾未清运: the most common report, with no extra questions
        category = connection.execute("SELECT id FROM categories WHERE code = 'SR01'").fetchone()[0]
        area = connection.execute("SELECT id FROM areas WHERE level = 'grid' ORDER BY code LIMIT 1").fetchone()[0]
        cases = connection.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    return category, area, cases


def bench_intake(tmp):
    db_path = Path(tmp) / "bench.db"
    category, area, before = prepare_city(db_path)
    env = {"DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"}
    with Server("wsgi:app", env) as server:
        def make_session():
            session = new_session()
            page = session.get(server.url + "/report?lang=en", timeout=10).text
            session.csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            return session

        def send(session, index):
            data = {"csrf_token": session.csrf, "idempotency_key": uuid.uuid4().hex, "category_id": str(category),
                    "area_id": str(area), "description": f"压测反映第{index}件：路边垃圾未清运", "anonymous": "y"}
            response = session.post(server.url + "/report", data=data, timeout=30, allow_redirects=False)
            return response.status_code == 302 and "/report/receipt/" in response.headers.get("Location", "")

        ok, errors, seconds = run_load(make_session, send, REQUESTS, CONCURRENCY)
    with sqlite3.connect(db_path) as connection:
        after = connection.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    if after - before != ok:
        raise SystemExit(f"intake accepted {ok} requests but stored {after - before} cases")
    if errors:
        print(f"intake: {errors} requests failed", file=sys.stderr)
    return ok / seconds


def bench_baseline(tmp):
    db_path = Path(tmp) / "baseline.db"
    with Server("tests.bench.baseline_app:app", {"BENCH_BASELINE_DB": str(db_path)}) as server:
        def send(session, index):
            response = session.post(server.url + "/insert", data={"description": f"report {index}"}, timeout=30)
            return response.status_code == 200

        ok, _errors, seconds = run_load(new_session, send, REQUESTS, CONCURRENCY)
    with sqlite3.connect(db_path) as connection:
        stored = connection.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    if stored != ok:
        raise SystemExit(f"baseline accepted {ok} requests but stored {stored} rows")
    return ok / seconds


def main():
    with tempfile.TemporaryDirectory() as tmp:
        baseline = bench_baseline(tmp)
        intake = bench_intake(tmp)
    bench_line("intake_per_s", f"{intake:.1f}", "req/s")
    bench_line("baseline_insert_per_s", f"{baseline:.1f}", "req/s")
    bench_line("intake_ratio", f"{intake / baseline:.2f}", "x")


if __name__ == "__main__":
    main()
