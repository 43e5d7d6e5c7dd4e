"""The map on SQLite: ``python -m tests.bench.map``.

``BENCH case_map_ms_100k``: the demo city (migrate + ``flask seed-demo``) with 100,000 open cases spread over its
area, and the dispatcher's map data (``/console/cases/map.json?state=open``) for the whole city at zoom 12 and for
one district at zoom 14, clustered on the server; the median of 7 requests of each, the slower of the two
(target < 300 ms).

``BENCH point_in_cell_ms``: a city of 10,000 grid cells (a 100 × 100 grid), the cell holding each of 10,000 random
positions, found with the per-process index that routing uses; milliseconds per lookup (target < 1 ms). The
one-off building of the index is printed on stderr.
"""
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.bench.throughput import prepare_city

CASES = int(os.environ.get("BENCH_MAP_CASES", "100000"))
CELLS_SIDE = 100
LOOKUPS = 10_000
REQUESTS = 7
FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def _app(db_path):
    from composition import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "bench",
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING"})


def seed_open_cases(db_path, count=CASES, seed=16):
    """``count`` open cases at random positions inside the city's bounding box, written straight in."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with sqlite3.connect(db_path) as connection:
        west, south, east, north = connection.execute(
            "SELECT bbox_west, bbox_south, bbox_east, bbox_north FROM areas WHERE level = 'city'").fetchone()
        categories = [r[0] for r in connection.execute("SELECT id FROM categories WHERE parent_id IS NOT NULL")]
        areas = [r[0] for r in connection.execute("SELECT id FROM areas WHERE level = 'grid'")]
        units = [r[0] for r in connection.execute("SELECT id FROM units")]
        start = connection.execute("SELECT COALESCE(MAX(id), 0) FROM cases").fetchone()[0] + 1

        def rows():
            for offset in range(count):
                created = now - timedelta(minutes=rng.randrange(60 * 24 * 60))
                state = rng.choice(("received", "filed", "dispatched", "in_progress", "handled"))
                unit = rng.choice(units) if state in ("dispatched", "in_progress", "handled") else None
                dispatched = created + timedelta(minutes=30) if unit else None
                due = dispatched + timedelta(hours=rng.choice((4, 24, 72))) if dispatched else None
                yield (start + offset, f"M{start + offset:011d}", "000000", "web", state, rng.choice(categories),
                       rng.choice(areas), round(rng.uniform(south, north), 6), round(rng.uniform(west, east), 6),
                       "压测工单", unit, dispatched.strftime(FORMAT) if dispatched else None,
                       due.strftime(FORMAT) if due else None, created.strftime(FORMAT), created.strftime(FORMAT))

        connection.execute("PRAGMA synchronous=OFF")
        connection.executemany(
            "INSERT INTO cases (id, number, query_code, channel, state, category_id, area_id, latitude, longitude,"
            " description, unit_id, dispatched_at, due_at, created_at, updated_at, postponed, rework_count,"
            " round_rework_count, reopen_count, urgent, anonymous, rebound_count, me_too_count, reopen_requested)"
            " VALUES (" + ", ".join(["?"] * 15) + ", 0, 0, 0, 0, 0, 1, 0, 0, 0)", rows())
        connection.commit()
        connection.execute("ANALYZE")
        district = connection.execute(
            "SELECT bbox_west, bbox_south, bbox_east, bbox_north FROM areas WHERE level = 'district' ORDER BY code"
        ).fetchone()
    return (west, south, east, north), district


def bench_case_map(tmp):
    db_path = Path(tmp) / "map.db"
    prepare_city(db_path)
    city_box, district_box = seed_open_cases(db_path)
    app = _app(db_path)
    from portal.auth.models import Role, User
    from portal.extensions import db

    with app.app_context():
        username = db.session.execute(db.select(User.username).filter_by(role=Role.DISPATCHER)).scalars().first()
    client = app.test_client()
    client.post("/login", data={"username": username, "password": "minsheng-demo"})
    medians = {}
    for label, box, zoom in (("city", city_box, 12), ("district", district_box, 14)):
        timings, total = [], None
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.get("/console/cases/map.json", query_string={
                "state": "open", "zoom": zoom, "bbox": ",".join(f"{v:.6f}" for v in box)})
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"case map answered {response.status_code}")
            data = response.get_json()
            total = data["total"]
        medians[label] = sorted(timings)[len(timings) // 2]
        print(f"case map, {label} at zoom {zoom}: {total} cases in {len(data['clusters'])} clusters and "
              f"{len(data['cases'])} single cases; {[round(t) for t in timings]} ms", file=sys.stderr)
    return max(medians.values())


def bench_point_in_cell(tmp):
    from flask_migrate import upgrade

    from portal.clock import utcnow
    from portal.extensions import db
    from portal.registry import cells
    from portal.registry.models import Area

    app = _app(Path(tmp) / "cells.db")
    size = 0.005  # ≈ 500 m: a grid cell of 数字城管's order of size
    west, south = 120.0, 30.0
    with app.app_context():
        upgrade()
        now = utcnow()
        db.session.execute(Area.__table__.insert(), [{
            "id": 1, "code": "CITY", "name": "压测市", "search_key": "", "active": True, "level": "city",
            "path": "/1/", "depth": 0, "created_at": now, "updated_at": now}])
        rows = []
        for i in range(CELLS_SIDE):
            for j in range(CELLS_SIDE):
                area_id = 2 + i * CELLS_SIDE + j
                x, y = west + i * size, south + j * size
                ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
                rows.append({"id": area_id, "parent_id": 1, "code": f"G{area_id:05d}", "name": f"第{area_id}网格",
                             "search_key": "", "active": True, "level": "grid", "path": f"/1/{area_id}/",
                             "depth": 1, "created_at": now, "updated_at": now,
                             "boundary": {"type": "Polygon", "coordinates": [ring]}, "bbox_west": x,
                             "bbox_south": y, "bbox_east": x + size, "bbox_north": y + size})
        db.session.execute(Area.__table__.insert(), rows)
        db.session.commit()
        started = time.perf_counter()
        cells.cell_index()
        build_ms = (time.perf_counter() - started) * 1000
        rng = random.Random(7)
        positions = [(south + rng.uniform(0, CELLS_SIDE * size), west + rng.uniform(0, CELLS_SIDE * size))
                     for _ in range(LOOKUPS)]
        started = time.perf_counter()
        found = sum(1 for lat, lng in positions if cells.locate(lat, lng) is not None)
        per_lookup = (time.perf_counter() - started) * 1000 / LOOKUPS
        if found != LOOKUPS:
            raise SystemExit(f"only {found} of {LOOKUPS} positions found a cell")
        print(f"point in cell: index of {CELLS_SIDE * CELLS_SIDE} cells built in {build_ms:.0f} ms", file=sys.stderr)
    return per_lookup


def run(tmp=None):
    """{"case_map_ms_100k": ms, "point_in_cell_ms": ms per lookup}."""
    with tempfile.TemporaryDirectory() as own:
        folder = tmp or own
        return {"case_map_ms_100k": bench_case_map(folder), "point_in_cell_ms": bench_point_in_cell(folder)}


if __name__ == "__main__":
    result = run()
    print(f"BENCH case_map_ms_100k {result['case_map_ms_100k']:.1f}")
    print(f"BENCH point_in_cell_ms {result['point_in_cell_ms']:.3f}")
