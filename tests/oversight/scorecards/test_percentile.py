"""The 90th-percentile handling time is an observed value, the nearest rank ⌈0.9·n⌉ (issue #11 item 5)."""
from datetime import date, timedelta

import pytest

from complaints.measures import p90_rank
from complaints.models import CaseState
from oversight.scorecards.figures import compute
from oversight.scorecards.periods import Period
from oversight.scorecards.rollups import refresh_rollups
from portal.extensions import db
from portal.registry.models import AreaLevel
from tests.factories import make_area, make_category, make_unit
from tests.oversight.scorecards.helpers import local, put_case
from tests.sqlcount import recorded_statements

NOVEMBER = Period.containing("month", date(2026, 11, 1))
NOW = local(2026, 12, 5, 9)


def closed_after(hours, *, unit, area, category, day=10):
    """A case dispatched 2026-11-<day> 08:00, handled ``hours`` calendar hours later, due (and closed) in November."""
    dispatched = local(2026, 11, day, 8)
    handled = dispatched + timedelta(hours=hours)
    put_case(category=category, area=area, unit=unit, received=dispatched, state=CaseState.CLOSED,
             dispatched=dispatched, due=local(2026, 11, 28, 10), handled=handled, closed=handled)


@pytest.fixture
def place(app):
    district = make_area("东城区")
    return {"district": district, "north": make_area("北街道", level=AreaLevel.STREET, parent=district),
            "south": make_area("南街道", level=AreaLevel.STREET, parent=district),
            "category": make_category("暴露垃圾")}


def p90_of(unit, now=NOW):
    (figures,) = compute(NOVEMBER, "unit", ids=[unit.id], tz="Asia/Shanghai", now=now)
    return figures.p90_hours


def test_the_nearest_rank_in_integers():
    assert [p90_rank(n) for n in (1, 2, 3, 4, 5, 9, 10, 11, 20, 70)] == [1, 2, 3, 4, 5, 9, 9, 10, 18, 63]
    # 0.9 × 70 is 63.000000000000007 in floating point: ⌈⌉ of that would be 64


@pytest.mark.parametrize(("hours", "expected"), [
    ([20, 29], 29),  # the histogram read 24 + 12 × 0.8 = 33.6 h here, longer than any case took
    ([5], 5),  # a field of one
    ([3] * 10, 3),  # ties
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 29], 9),  # rank ⌈9⌉ = 9: the ninth smallest
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 29], 10),  # rank ⌈9.9⌉ = 10
    ([800, 1000], 1000),  # past the last bucket edge (720 h)
    ([0.25, 0.3], 0.3),  # inside the first bucket
])
def test_the_90th_percentile_is_an_observed_handling_time(place, hours, expected):
    unit = make_unit("市环卫处")
    for value in hours:
        closed_after(value, unit=unit, area=place["north"], category=place["category"])
    assert p90_of(unit) == pytest.approx(expected)
    assert min(hours) <= p90_of(unit) <= max(hours)


def test_an_area_takes_the_percentile_of_all_its_sub_areas_values(place):
    unit = make_unit("市环卫处")
    for value in (1, 2):
        closed_after(value, unit=unit, area=place["north"], category=place["category"])
    closed_after(50, unit=unit, area=place["south"], category=place["category"])
    areas = {f.key: f for f in compute(NOVEMBER, "area", tz="Asia/Shanghai", now=NOW)}
    assert areas[place["north"].id].p90_hours == pytest.approx(2)  # rank 2 of [1, 2]
    assert areas[place["south"].id].p90_hours == pytest.approx(50)
    assert areas[place["district"].id].p90_hours == pytest.approx(50)  # rank ⌈2.7⌉ = 3 of [1, 2, 50]


def test_the_rollups_give_the_same_percentile(place):
    unit = make_unit("市环卫处")
    for value in (20, 29, 3, 3, 100):
        closed_after(value, unit=unit, area=place["north"], category=place["category"])
    live = p90_of(unit, now=None)
    refresh_rollups()
    db.session.commit()
    assert p90_of(unit, now=None) == live == pytest.approx(100)  # rank ⌈4.5⌉ = 5 of 5


def test_on_sqlite_the_values_are_read_through_the_handling_time_indexes(app, place):
    """The reads of the values inside a bucket name their partial (due time, handling time) index: SQLite otherwise
    walks (state, due time) and looks every case of the period up (with 1,000,000 cases: 284 → 68 ms a page).
    SQLAlchemy renders table hints only for MySQL and SQL Server; portal.sqlite renders SQLite's INDEXED BY."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("INDEXED BY is SQLite's")
    unit = make_unit("市环卫处")
    for value in (3, 5, 8):
        closed_after(value, unit=unit, area=place["north"], category=place["category"])
    with recorded_statements() as statements:
        assert p90_of(unit) == 8
    reads = [s for s in statements if "cases.hours AS value" in s or "cases.work_hours AS value" in s]
    assert reads
    for read in reads:
        index = "ix_cases_due_at_hours" if "cases.hours AS value" in read else "ix_cases_due_at_work_hours"
        assert f"FROM cases INDEXED BY {index} " in read
        plan = db.session.execute(db.text("EXPLAIN QUERY PLAN " + read.replace("?", "NULL"))).all()
        assert any(f"USING INDEX {index}" in row[-1] for row in plan), plan
