"""Statements run on the driver's cursor (portal/prepared.py) store and read exactly what SQLAlchemy's own execution
of the same statement stores and reads: every column's stored value, the rows handed back, the defaults, the
exceptions and the statement counters. On SQLite, and on PostgreSQL with TEST_DATABASE_URL."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from complaints.models import Case, CaseEvent, CaseState, Channel, EventKind, LocationSource
from portal.extensions import db
from portal.prepared import Prepared
from portal.registry.models import AreaLevel
from surveys.response_models import Source, SurveyResponse
from tests.factories import make_area, make_category
from tests.surveys.factories import make_survey

NOW = datetime(2026, 12, 6, 7, 30, 15, 123456, tzinfo=timezone.utc)


def _case_values(category, area, number, key):
    """A case as the resident's report files it, with an enum, a JSON value, a datetime, booleans and NULLs."""
    return {
        "query_code": "01234567", "idempotency_key": key, "channel": Channel.QR, "state": CaseState.RECEIVED,
        "category_id": category.id, "point_id": None, "area_id": area.id, "latitude": 30.2741, "longitude": 120.1551,
        "location_source": LocationSource.GPS, "location_text": "文三路口", "description": "路边垃圾未清运",
        "answers": {"q1": ["是", "否"]}, "urgent": True, "anonymous": False, "reporter_name": "张三",
        "reporter_phone": "13800138000", "created_by_id": None, "first_owner_id": None, "unit_id": None,
        "dispatched_at": None, "due_at": None, "handled_at": None, "closed_at": None, "postponed": False,
        "hours": None, "work_hours": None, "outcome": None, "reject_reason": None, "duplicate_of_id": None,
        "rework_count": 0, "round_rework_count": 0, "reopen_count": 0, "rebound_count": 0, "me_too_count": 0,
        "rating": None, "rating_scale": None, "rating_comment": None, "rated_at": None, "reopen_requested": False,
        "created_at": NOW, "updated_at": NOW, "number": number,
    }


def _stored(table, row_id):
    """The row as the database holds it (the driver's values, no type processing)."""
    row = db.session.connection().exec_driver_sql(
        f"SELECT * FROM {table.name} WHERE id = {int(row_id)}").mappings().one()
    return {name: value for name, value in row.items() if name != "id"}


@pytest.fixture
def place():
    return make_category("暴露垃圾"), make_area("第1网格", level=AreaLevel.GRID, parent=make_area("示范区"))


def test_an_insert_stores_what_sqlalchemy_stores(app, place):
    category, area = place
    statement = Case.__table__.insert().returning(Case.__table__.c.id)
    by_sqlalchemy = db.session.connection().execute(
        statement, _case_values(category, area, "20261206-0001", "a" * 32)).scalar_one()

    by_cursor = Prepared(statement).execute(_case_values(category, area, "20261206-0002", "b" * 32)).scalar_one()

    assert by_cursor == by_sqlalchemy + 1
    ours, theirs = _stored(Case.__table__, by_cursor), _stored(Case.__table__, by_sqlalchemy)
    assert (ours.pop("number"), ours.pop("idempotency_key")) == ("20261206-0002", "b" * 32)
    assert (theirs.pop("number"), theirs.pop("idempotency_key")) == ("20261206-0001", "a" * 32)
    assert ours == theirs
    db.session.commit()
    case = db.session.get(Case, by_cursor)
    assert (case.channel, case.state, case.location_source) == (Channel.QR, CaseState.RECEIVED, LocationSource.GPS)
    assert case.answers == {"q1": ["是", "否"]}
    assert case.created_at == NOW and case.urgent is True and case.rating is None


def test_a_select_hands_back_the_rows_sqlalchemy_hands_back(app, place):
    category, area = place
    values = _case_values(category, area, "20261206-0003", "c" * 32)
    case_id = Prepared(Case.__table__.insert().returning(Case.__table__.c.id)).execute(values).scalar_one()
    cases = Case.__table__
    statement = db.select(cases.c.id, cases.c.channel, cases.c.state, cases.c.answers, cases.c.created_at,
                          cases.c.urgent, cases.c.rated_at, cases.c.latitude).where(cases.c.id == db.bindparam("id"))

    rows = Prepared(statement).execute({"id": case_id}).all()

    assert rows == [tuple(db.session.connection().execute(statement, {"id": case_id}).one())]
    assert rows == [(case_id, Channel.QR, CaseState.RECEIVED, {"q1": ["是", "否"]}, NOW, True, None, 30.2741)]
    assert Prepared(statement).execute({"id": case_id + 1}).first() is None


def test_the_columns_python_defaults_are_filled_as_sqlalchemy_fills_them(app):
    survey = make_survey()
    table = SurveyResponse.__table__
    statement = table.insert().returning(table.c.id)
    values = {"survey_id": survey.id, "source": Source.SELF_SELECTED, "day": "2026-12-06"}  # the rest: defaults

    ours = Prepared(statement).execute(dict(values, idempotency_key="k" * 32)).scalar_one()
    theirs = db.session.connection().execute(statement, dict(values, idempotency_key="m" * 32)).scalar_one()

    stored, expected = _stored(table, ours), _stored(table, theirs)
    assert (stored.pop("idempotency_key"), expected.pop("idempotency_key")) == ("k" * 32, "m" * 32)
    for timed in ("submitted_at",):  # default=utcnow: the moment of each insert
        assert stored.pop(timed) is not None and expected.pop(timed) is not None
    assert stored == expected
    response = db.session.get(SurveyResponse, ours)
    assert (response.locale, response.over_quota, response.excluded, response.is_burst) == ("zh_Hans", False,
                                                                                          False, False)


def test_a_statement_with_its_own_values_and_an_update_count(app, place):
    category, _area = place
    table = category.__table__
    statement = table.update().where(table.c.id == db.bindparam("key")).values(limit_hours=table.c.limit_hours + 12)

    updated = Prepared(statement).execute({"key": category.id})

    assert updated.rowcount == 1
    assert Prepared(statement).execute({"key": -1}).rowcount == 0
    assert db.session.connection().execute(db.select(table.c.limit_hours).where(table.c.id == category.id)) \
        .scalar() == 36


def test_a_repeated_key_raises_sqlalchemys_integrity_error(app, place):
    category, area = place
    insert = Prepared(Case.__table__.insert().returning(Case.__table__.c.id))
    insert.execute(_case_values(category, area, "20261206-0004", "d" * 32))
    db.session.commit()

    with pytest.raises(IntegrityError):
        insert.execute(_case_values(category, area, "20261206-0005", "d" * 32))
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Case.id))) == 1


def test_statement_counters_see_each_statement_as_sqlalchemy_sends_it(app):
    seen = []

    def note(_connection, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    statement = db.select(CaseEvent.__table__.c.id).where(CaseEvent.__table__.c.kind == db.bindparam("kind"))
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        Prepared(statement).execute({"kind": EventKind.RECEIVE})
        db.session.connection().execute(statement, {"kind": EventKind.RECEIVE})
    finally:
        event.remove(db.engine, "before_cursor_execute", note)

    assert len(seen) == 2
    assert "FROM case_events" in seen[0][0]
    assert seen[0] == seen[1]  # the same SQL, the same processed parameters (the enum as the column stores it)


def test_what_it_cannot_run_as_sqlalchemy_would_is_refused(app):
    expanding = db.select(Case.__table__.c.id).where(Case.__table__.c.id.in_(db.bindparam("ids", expanding=True)))

    with pytest.raises(ValueError, match="expanding"):
        Prepared(expanding).execute({"ids": [1, 2]})


def test_a_read_outside_the_session_gives_the_committed_rows_without_a_pool_connection(app, place):
    category, area = place
    case_id = Prepared(Case.__table__.insert().returning(Case.__table__.c.id)).execute(
        _case_values(category, area, "20261206-0006", "e" * 32)).scalar_one()
    db.session.commit()
    db.session.close()
    cases = Case.__table__
    statement = Prepared(db.select(cases.c.number, cases.c.channel, cases.c.created_at)
                         .where(cases.c.id == db.bindparam("id")))

    rows = statement.read({"id": case_id}).all()

    assert rows == [("20261206-0006", Channel.QR, NOW)]
    assert rows == statement.execute({"id": case_id}).all()
    if db.engine.dialect.name == "sqlite":  # the thread's own plain connection: the pool's stays in it
        db.session.close()
        assert statement.read({"id": case_id}).all() == rows
        assert db.engine.pool.checkedout() == 0


def test_a_value_for_no_column_is_left_out_as_sqlalchemy_leaves_it_out(app, place):
    category, area = place
    statement = Case.__table__.insert().returning(Case.__table__.c.id)

    ours = Prepared(statement).execute(
        dict(_case_values(category, area, "20261206-0007", "f" * 32), colour="red")).scalar_one()
    theirs = db.session.connection().execute(
        statement, dict(_case_values(category, area, "20261206-0008", "g" * 32), colour="red")).scalar_one()

    stored, expected = _stored(Case.__table__, ours), _stored(Case.__table__, theirs)
    assert (stored.pop("number"), expected.pop("number")) == ("20261206-0007", "20261206-0008")
    assert (stored.pop("idempotency_key"), expected.pop("idempotency_key")) == ("f" * 32, "g" * 32)
    assert stored == expected and "colour" not in stored
