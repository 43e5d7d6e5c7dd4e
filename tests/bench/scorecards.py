"""The city scorecard page with 1,000,000 cases on SQLite: ``python -m tests.bench.scorecards``.

Builds the demo city (migrate + ``flask seed-demo``), adds 1,000,000 synthetic cases over the last 12 months with
sqlite3 ``executemany`` (spread over the demo's units, areas, categories and channels, with realistic states and
times), refreshes the rollups as the scheduler would, then times the leader dashboard
(``/console/scorecards/``) and prints ``BENCH scorecard_ms_1m <median ms of 7 renders>`` (target < 300 ms).
"""
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

CASES = int(os.environ.get("BENCH_SCORECARD_CASES", "1000000"))
RENDERS = 7
FORMAT = "%Y-%m-%d %H:%M:%S.%f"
CHANNELS = (("qr", 30), ("web", 15), ("hotline", 30), ("letter", 3), ("box", 2), ("patrol", 15), ("media", 2),
            ("superior", 3))


def _stamp(value):
    return value.strftime(FORMAT)


def seed_cases(db_path, count=CASES, now=None, seed=6):
    """``count`` cases received over the 365 days before ``now``, written straight into the database."""
    rng = random.Random(seed)
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    with sqlite3.connect(db_path) as connection:
        categories = connection.execute(
            "SELECT id, limit_hours FROM categories WHERE parent_id IS NOT NULL").fetchall()
        units = [row[0] for row in connection.execute("SELECT id FROM units")]
        areas = [row[0] for row in connection.execute(
            "SELECT id FROM areas WHERE id NOT IN (SELECT parent_id FROM areas WHERE parent_id IS NOT NULL)")]
        start_id = connection.execute("SELECT COALESCE(MAX(id), 0) FROM cases").fetchone()[0] + 1
    channels = [name for name, weight in CHANNELS for _ in range(weight)]
    span = 365 * 24 * 3600

    def rows():
        for offset in range(count):
            case_id = start_id + offset
            created = now - timedelta(seconds=rng.randrange(span))
            category, limit = rng.choice(categories)
            roll = rng.random()
            state, unit, dispatched, due, handled, closed = "received", None, None, None, None, None
            rework = reopen = 0
            rating = scale = rated = None
            postponed = 0
            if roll < 0.04:
                state = "rejected"
            elif roll < 0.06:
                state = "merged"
            elif roll < 0.07:
                state = "filed"
            elif roll > 0.075:
                unit = rng.choice(units)
                dispatched = created + timedelta(minutes=rng.randrange(10, 600))
                if dispatched > now:  # received in the last hours: not dispatched yet
                    unit, dispatched = None, None
            if dispatched is not None:
                due = dispatched + timedelta(hours=limit * rng.uniform(1.5, 3))  # working hours → calendar
                late = rng.random() < 0.2
                handled = dispatched + (due - dispatched) * (rng.uniform(1.05, 2.5) if late else rng.uniform(0.1, 1))
                postponed = 1 if rng.random() < 0.02 else 0
                if handled > now:
                    state, handled = rng.choice(("dispatched", "in_progress")), None
                else:
                    closed = handled + timedelta(hours=rng.uniform(0.5, 30))
                    if closed > now:
                        state, closed = "handled", None
                    else:
                        state = "closed"
                        rework = 1 if rng.random() < 0.06 else 0
                        reopen = 1 if rng.random() < 0.03 else 0
                        if rng.random() < 0.6:
                            scale = 3
                            rating = rng.choices((1, 2, 3), (70, 20, 10))[0]
                            rated = closed + timedelta(hours=rng.uniform(1, 48))
                            if rated > now:
                                rating = scale = rated = None
            changed = max(value for value in (created, dispatched, handled, closed, rated) if value is not None)
            yield (case_id, f"B{case_id:011d}", "000000", rng.choice(channels), state, category, rng.choice(areas),
                   "压测工单", unit, _stamp(dispatched) if dispatched else None, _stamp(due) if due else None,
                   _stamp(handled) if handled else None, _stamp(closed) if closed else None, postponed, rework,
                   rework, reopen, rating, scale, _stamp(rated) if rated else None, _stamp(created), _stamp(changed),
                   (handled - dispatched).total_seconds() / 3600 if handled and dispatched else None,
                   # working hours: about a third of the calendar hours (8 of every 24, fewer at weekends)
                   (handled - dispatched).total_seconds() / 3600 * 0.3 if handled and dispatched else None)

    insert = ("INSERT INTO cases (id, number, query_code, channel, state, category_id, area_id, description,"
              " unit_id, dispatched_at, due_at, handled_at, closed_at, postponed, rework_count, round_rework_count,"
              " reopen_count, rating, rating_scale, rated_at, created_at, updated_at, hours, work_hours, urgent,"
              " anonymous, rebound_count, me_too_count, reopen_requested) VALUES (" + ", ".join(["?"] * 24)
              + ", 0, 1, 0, 0, 0)")
    with sqlite3.connect(db_path) as connection:
        connection.execute("PRAGMA synchronous=OFF")
        generator = rows()
        while True:
            batch = [row for _n, row in zip(range(50_000), generator, strict=False)]
            if not batch:
                break
            connection.executemany(insert, batch)
        connection.commit()
        connection.execute("ANALYZE")


def _app(db_path):
    from composition import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "bench",
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING"})


def run(tmp=None):
    """Build the city with 1,000,000 cases and time the city scorecard page; {"scorecard_ms_1m": median ms}."""
    from tests.bench.throughput import prepare_city

    with tempfile.TemporaryDirectory() as own:
        db_path = Path(tmp or own) / "scorecards.db"
        if db_path.exists():
            db_path.unlink()
        prepare_city(db_path)
        seed_cases(db_path)
        app = _app(db_path)
        from oversight.scorecards.rollups import refresh_rollups
        from portal.auth.models import Role, User
        from portal.extensions import db

        with app.app_context():
            started = time.perf_counter()
            refresh_rollups()
            db.session.commit()
            refresh_seconds = time.perf_counter() - started
            leader = db.session.execute(db.select(User).filter_by(role=Role.LEADER)).scalars().first()
            username = leader.username
        client = app.test_client()
        client.post("/login", data={"username": username, "password": "minsheng-demo"})
        timings = []
        for _ in range(RENDERS):
            started = time.perf_counter()
            response = client.get("/console/scorecards/?lang=en")
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"scorecard page answered {response.status_code}")
        print(f"scorecards: full rollup refresh took {refresh_seconds:.1f} s; renders {timings}", file=sys.stderr)
        return {"scorecard_ms_1m": sorted(timings)[len(timings) // 2]}


if __name__ == "__main__":
    result = run()
    print(f"BENCH scorecard_ms_1m {result['scorecard_ms_1m']:.1f}")
