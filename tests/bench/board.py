"""Benchmark of the public exposure board: 10,000 published items on SQLite, gunicorn with 2 workers, driven by wrk.
Prints ``BENCH board_per_s`` and ``BENCH board_p99_ms`` (the first page, 64 readers at once), ``BENCH board_ratio``
(that rate ÷ bare Flask "ok" of the same make bench run, target ≥ 0.8), and ``BENCH board_p95_ms`` (a mix of pages and
filters, target < 50 ms) and ``BENCH board_feed_p95_ms`` at 16 connections.

Run alone with ``python -m tests.bench.board``.
"""
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from tests.bench import wrk
from tests.bench.harness import ROOT, Server, bench_line

ITEMS = int(os.environ.get("BENCH_BOARD_ITEMS", "10000"))
SEED = 5


def _stamp(value):
    """How SQLAlchemy stores a UTC datetime in SQLite (naive, microseconds)."""
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def prepare_board(db_path, uploads):
    """Migrate, seed the demo city, then bulk-insert ``ITEMS`` published items with photos and follow-ups."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "bench", "UPLOAD_FOLDER": uploads}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    rng = random.Random(SEED)
    now = datetime.now(timezone.utc)
    today = date.today()
    with sqlite3.connect(db_path) as connection:
        areas = [row[0] for row in connection.execute("SELECT id FROM areas WHERE level IN ('community', 'grid')")]
        units = [row[0] for row in connection.execute("SELECT id FROM units")]
        categories = [row[0] for row in connection.execute("SELECT id FROM categories WHERE parent_id IS NOT NULL")]
        first = (connection.execute("SELECT COALESCE(MAX(id), 0) FROM exposure_items").fetchone()[0]) + 1
        items, photos, entries = [], [], []
        for n in range(ITEMS):
            item_id = first + n
            published = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            found = published.date() - timedelta(days=rng.randint(1, 10))
            deadline = found + timedelta(days=rng.randint(3, 30))
            kind = rng.choices(["place", "unit", "praise"], weights=[80, 15, 5])[0]
            progress = found + timedelta(days=1) if rng.random() < .5 else None
            rectified = deadline - timedelta(days=1) if rng.random() < .4 and deadline < today else None
            state = "archived" if published < now - timedelta(days=300) else "published"
            title, text = f"压测曝光条目第{n}号：农贸市场门口垃圾堆积", f"第{n}号条目的描述。" * 5
            items.append((item_id, kind, state, title, text,
                          rng.choice(areas), rng.choice(units), rng.choice(categories), found.isoformat(),
                          None if kind == "praise" else deadline.isoformat(),
                          progress.isoformat() if progress else None, rectified.isoformat() if rectified else None,
                          _stamp(published), _stamp(published - timedelta(days=3)), _stamp(published),
                          _stamp(published)))
            key = f"{n % 256:02x}/{n:032x}.jpg"
            photos.append((item_id, "before", key, key, key, key, 640, 480, _stamp(published)))
            if progress:
                entries.append((item_id, progress.isoformat(), "progress", "已开始整改", _stamp(published)))
        connection.executemany(
            "INSERT INTO exposure_items (id, kind, state, title, description, area_id, unit_id, category_id, found_on,"
            " deadline, progress_on, rectified_on, published_at, unit_notified_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
        connection.executemany(
            "INSERT INTO exposure_photos (item_id, stage, original_key, original_thumb_key, published_key,"
            " published_thumb_key, width, height, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", photos)
        connection.executemany(
            "INSERT INTO exposure_entries (item_id, reported_on, milestone, text, created_at) VALUES (?, ?, ?, ?, ?)",
            entries)
        connection.execute("ANALYZE")
        districts = [row[0] for row in connection.execute("SELECT id FROM areas WHERE level = 'district'")]
        streets = [row[0] for row in connection.execute("SELECT id FROM areas WHERE level = 'street'")]
    return {"districts": districts, "streets": streets, "units": units, "categories": categories}


def board_paths(ids, count):
    """A mix of what readers and media ask for: first pages, deeper pages, each filter, combinations."""
    rng = random.Random(SEED)
    months = [(date.today().replace(day=1) - timedelta(days=31 * n)).strftime("%Y-%m") for n in range(12)]
    statuses = ["pending", "in_progress", "done", "overdue"]
    makers = [
        lambda: "/board/",
        lambda: f"/board/?page={rng.randint(2, 50)}",
        lambda: f"/board/?status={rng.choice(statuses)}",
        lambda: f"/board/?area={rng.choice(ids['districts'] + ids['streets'])}",
        lambda: f"/board/?unit={rng.choice(ids['units'])}",
        lambda: f"/board/?category={rng.choice(ids['categories'])}",
        lambda: f"/board/?month={rng.choice(months)}",
        lambda: "/board/?kind=praise",
        lambda: f"/board/?area={rng.choice(ids['districts'])}&status={rng.choice(statuses)}&page=2",
        lambda: f"/board/units/{rng.choice(ids['units'])}",
    ]
    return [rng.choice(makers)() for _n in range(count)]


def feed_paths(ids, count):
    rng = random.Random(SEED + 1)
    makers = [lambda: "/board/feed.atom", lambda: f"/board/areas/{rng.choice(ids['districts'])}/feed.atom",
              lambda: f"/board/units/{rng.choice(ids['units'])}/feed.atom", lambda: "/board/api/items"]
    return [rng.choice(makers)() for _n in range(count)]


def run(bare_ok=None):
    """Build the 10,000-item board, serve it with gunicorn -w 2 and measure it with wrk: the board's first page
    read by 64 readers at once (its rate, as a ratio of ``bare_ok`` when given, and its p99), then the mix of board
    pages and the feeds at the usual 16 connections (their p95). Returns {BENCH name: (value, unit)}."""
    if not wrk.available():
        print(wrk.MISSING, file=sys.stderr)
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        db_path, uploads = Path(tmp) / "board.db", str(Path(tmp) / "uploads")
        ids = prepare_board(db_path, uploads)
        env = {"DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING",
               "RATELIMIT_ENABLED": "0", "UPLOAD_FOLDER": uploads}
        with Server("wsgi:app", env) as server:
            wrk.run(server, paths=board_paths(ids, 200), seconds=2)  # warm both workers (templates, caches)
            front = wrk.run(server, path="/board/", connections=64)
            mix = wrk.run(server, paths=board_paths(ids, 2000))
            feeds = wrk.run(server, paths=feed_paths(ids, 400))
    for name, result in (("board", front), ("board mix", mix), ("board feeds", feeds)):
        if result.accepted != result.requests:
            raise SystemExit(f"{name}: {result.requests - result.accepted} of {result.requests} requests failed: "
                             f"{result.statuses}")
    figures = {"board_per_s": (f"{front.per_s:.1f}", "req/s (/board/, wrk -c64)"),
               "board_p99_ms": (f"{front.p99_ms:.1f}", "ms (/board/, 64 concurrent readers)")}
    if bare_ok:
        figures["board_ratio"] = (f"{front.per_s / bare_ok:.2f}", "x bare ok")
    figures["board_p95_ms"] = (f"{mix.p95_ms:.1f}", "ms (pages and filters, wrk -c16)")
    figures["board_feed_p95_ms"] = (f"{feeds.p95_ms:.1f}", "ms (feeds, wrk -c16)")
    return figures


def main():
    for name, (value, unit) in run().items():
        bench_line(name, value, unit)


if __name__ == "__main__":
    main()
