"""The suite's isolation (tests/conftest.py): after a test, every table it wrote is empty again, however the rows
got there, and on PostgreSQL ids start at 1 again, as they did when every table was truncated; and the app kept
from one test to the next comes back as it was built."""
import copy

import pytest
from flask.testing import FlaskClient

from portal import cache, hooks
from portal.clock import utcnow
from portal.config import DEFAULTS
from portal.extensions import babel, db, limiter
from portal.scheduler.models import JobRun
from tests.conftest import KEPT_APPS, _empty_all_tables
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


def _public_pages_kept(app):
    return len(app.extensions[cache.EXTENSION]._data)


def test_the_kept_app_comes_back_as_it_was_built(app, client, database_url, tmp_path):
    """``app`` is kept for the next test that takes it as it comes (``_KeptApps``): what this test changes on it
    (config, cached pages, per-app caches, Jinja globals, the shared extensions' state) is undone before then, but
    not the catalogues Flask-Babel read (once per process, as in production)."""
    built = copy.deepcopy(dict(app.config))
    assert client.get("/board/").status_code == 200  # a public page kept in the app's store
    assert _public_pages_kept(app) > 0
    catalogues = babel.domain_instance
    assert ("zh_Hans", "messages") in catalogues.cache  # the page was translated: the .mo file was read
    app.config["BOARD_CLUSTER_THRESHOLD"] = 99
    app.jinja_env.globals["left_behind"] = "a global"
    app.extensions["left_behind"] = "a cache"
    app.extensions[hooks._KEY]["left_behind"] = print  # a dict the build made, changed in place
    limiter.enabled = True  # as an app with rate limits, built later in this test, would leave it

    kept = KEPT_APPS.take(database_url, tmp_path / "next")

    assert kept is app  # the same app, so this is what the next test gets
    assert dict(kept.config) == dict(built, UPLOAD_FOLDER=str(tmp_path / "next"))
    assert _public_pages_kept(kept) == 0
    assert "left_behind" not in kept.jinja_env.globals
    assert "left_behind" not in kept.extensions and "left_behind" not in kept.extensions[hooks._KEY]
    assert limiter.enabled is False
    assert babel.domain_instance is catalogues  # not read again by the next test
    assert not kept._got_first_request  # a test may still add to it before its first request, as to a new app


@pytest.mark.parametrize("change", ["route", "hook", "attribute"])
def test_an_app_whose_setup_a_test_changed_is_not_kept(app, database_url, tmp_path, change):
    if change == "route":
        app.add_url_rule("/only-here", "only_here", lambda: "only in this test")
    elif change == "hook":
        app.before_request(lambda: None)
    else:
        app.test_client_class = FlaskClient

    assert KEPT_APPS.take(database_url, tmp_path) is None  # the next test builds an app of its own


_SEEN = {}


def test_one_test_changes_its_app_and_caches_a_page(app, client):
    """With the next test: nothing of this test's app reaches the next one (the same app when both run in one
    worker, as they do without xdist)."""
    assert client.get("/board/").status_code == 200
    assert _public_pages_kept(app) > 0
    app.config["BOARD_CLUSTER_THRESHOLD"] = 99
    _SEEN["app"] = app


def test_the_next_test_sees_none_of_it(app, uploads):
    assert app.config["BOARD_CLUSTER_THRESHOLD"] == DEFAULTS["BOARD_CLUSTER_THRESHOLD"]
    assert app.config["UPLOAD_FOLDER"] == str(uploads)
    assert _public_pages_kept(app) == 0
