"""The city settings as a request reads them (portal/city.py): from this process's copy of the row, looked up once
per request, and always the settings object the request changed or loaded when there is one."""
from contextlib import contextmanager

from flask import g

from portal import city
from portal.city import CitySettings, city_setting, get_city_settings
from portal.extensions import db
from tests.sqlcount import recorded_statements


@contextmanager
def request(app, path="/", **kwargs):
    """A request in its own app context, as a server gives each (the test's own context would be shared)."""
    with app.app_context(), app.test_request_context(path, **kwargs):
        yield


def _save_elsewhere(**values):
    """What another gunicorn worker's save does to the row: new values and a later ``updated_at``."""
    table = CitySettings.__table__
    stamp = db.session.execute(db.select(table.c.updated_at).where(table.c.id == 1)).scalar()
    db.session.execute(db.update(table).where(table.c.id == 1).values(
        updated_at=stamp.replace(year=stamp.year + 1), **values))
    db.session.commit()


def test_a_request_looks_the_settings_up_once_however_many_it_reads(app, monkeypatch):
    monkeypatch.setattr(city, "RECHECK_SECONDS", 0)  # every look-up re-checks the row: count the look-ups
    with request(app, "/surveys/x", method="POST"), recorded_statements() as statements:
        values = [city_setting(name) for name in ("qr_key", "qr_key", "timezone", "qr_key", "default_locale",
                                                   "qr_key")]
    assert len(statements) == 1, statements
    assert values[1:] == [values[0], "Asia/Shanghai", values[0], "zh_Hans", values[0]] and len(values[0]) == 64
    with request(app, "/surveys/x"), recorded_statements() as statements:  # the next request: again
        assert city_setting("timezone") == "Asia/Shanghai"
    assert len(statements) == 1


def test_a_save_in_another_worker_is_read_by_the_next_request(app, monkeypatch):
    monkeypatch.setattr(city, "RECHECK_SECONDS", 0)
    with request(app):
        assert city_setting("hotline") == "12345"
    _save_elsewhere(hotline="0571-12345")
    with request(app):
        assert city_setting("hotline") == "0571-12345"


def test_the_settings_changed_in_this_request_are_what_it_reads(app):
    with request(app):
        assert city_setting("hotline") == "12345"
        get_city_settings().hotline = "0571-88888888"  # not saved yet: still what this request reads
        assert city_setting("hotline") == "0571-88888888"


def test_the_row_loaded_through_the_session_in_this_request_is_what_it_reads(app):
    db.session.remove()
    with request(app):
        assert city_setting("timezone") == "Asia/Shanghai"
        assert "city_settings" not in g
        db.session.get(CitySettings, 1).timezone = "Asia/Urumqi"  # loaded and changed, not through the helpers
        assert city_setting("timezone") == "Asia/Urumqi"
        db.session.rollback()
    db.session.remove()


def test_a_save_in_this_process_is_read_at_once(app, monkeypatch):
    monkeypatch.setattr(city, "RECHECK_SECONDS", 3600)  # the copy would be trusted for an hour: the write drops it
    with request(app):
        assert city_setting("warning_percent") == 80
    with request(app):
        city.save_city_settings({"warning_percent": 70}, actor=None)
        db.session.commit()
    with request(app):
        assert city_setting("warning_percent") == 70
