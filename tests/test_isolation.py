"""The suite's isolation (tests/conftest.py): after a test, every table it wrote is empty again, however the rows
got there, and on PostgreSQL ids start at 1 again, as they did when every table was truncated."""
from portal.clock import utcnow
from portal.extensions import db
from portal.scheduler.models import JobRun
from tests.conftest import _empty_all_tables
from tests.factories import make_case, make_user


def _non_empty_tables():
    return {t.name for t in db.metadata.sorted_tables
            if db.session.execute(db.text(f"SELECT COUNT(*) FROM {t.name}")).scalar()}


def test_every_table_written_is_emptied_and_postgresql_ids_restart(app):
    make_case()  # cases, events, points, areas, categories, counters ...
    make_user()
    db.session.execute(db.text("INSERT INTO cache_generations (name, value, changed_at) VALUES ('by-hand', 7, 0)"))
    db.session.add(JobRun(job="tick", started_at=utcnow(), outcome="success"))  # a row written and deleted again:
    db.session.flush()  # only the job runs' id sequence moved (no foreign key ties the table to another)
    db.session.execute(db.text("DELETE FROM job_runs"))
    db.session.commit()
    written = _non_empty_tables()
    assert {"cases", "case_events", "users", "cache_generations", "city_settings"} <= written
    assert "job_runs" not in written

    _empty_all_tables()

    assert _non_empty_tables() == set()
    run = JobRun(job="tick", started_at=utcnow(), outcome="success")
    db.session.add(run)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        assert run.id == 1  # the sequence restarted although the table held no row
