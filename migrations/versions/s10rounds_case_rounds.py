"""handling rounds: finished rounds of reopened cases kept (case_rounds), 返工 per round, handling time in working
hours, working-hour histograms in the rollups; backfilled from each case's event history

Revision ID: s10rounds_rounds
Revises: s10holes_ratelimit
Create Date: 2026-12-01 22:30:00

"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from portal.clock import UTCDateTime

# revision identifiers, used by Alembic.
revision = 's10rounds_rounds'
down_revision = 's10holes_ratelimit'
branch_labels = None
depends_on = None

WORK_BUCKETS = [f"w{index:02d}" for index in range(21)]


def upgrade():
    op.create_table(
        'case_rounds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('ended_kind', sa.String(length=10), nullable=False),
        sa.Column('ended_at', UTCDateTime(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('area_id', sa.Integer(), nullable=True),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('dispatched_at', UTCDateTime(), nullable=True),
        sa.Column('due_at', UTCDateTime(), nullable=True),
        sa.Column('handled_at', UTCDateTime(), nullable=True),
        sa.Column('closed_at', UTCDateTime(), nullable=True),
        sa.Column('postponed', sa.Boolean(), nullable=False),
        sa.Column('rework_count', sa.Integer(), nullable=False),
        sa.Column('hours', sa.Float(), nullable=True),
        sa.Column('work_hours', sa.Float(), nullable=True),
        sa.Column('rating', sa.Integer(), nullable=True),
        sa.Column('rating_scale', sa.Integer(), nullable=True),
        sa.Column('rated_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_case_rounds_area_id_areas')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_rounds_case_id_cases')),
        sa.ForeignKeyConstraint(['category_id'], ['categories.id'],
                                name=op.f('fk_case_rounds_category_id_categories')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_case_rounds_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_rounds')),
        sa.UniqueConstraint('case_id', 'seq', name='uq_case_rounds_case_seq'),
    )
    op.create_index('ix_case_rounds_due_at', 'case_rounds', ['due_at'], unique=False)
    op.create_index('ix_case_rounds_ended_at', 'case_rounds', ['ended_at'], unique=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_rework_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('hours', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('work_hours', sa.Float(), nullable=True))
    for name, column in (("ix_cases_due_at_hours", "hours"), ("ix_cases_due_at_work_hours", "work_hours")):
        condition = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, 'cases', ['due_at', column], unique=False, sqlite_where=condition,
                        postgresql_where=condition)

    # The rollups are derived data: emptied here, rebuilt in full by the next refresh.
    op.execute("DELETE FROM scorecard_rollup_state")
    op.execute("DELETE FROM scorecard_due_rollups")
    op.execute("DELETE FROM scorecard_case_marks")
    with op.batch_alter_table('scorecard_due_rollups', schema=None) as batch_op:
        batch_op.drop_column('reopened')
        batch_op.add_column(sa.Column('work_n', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('work_sum', sa.Float(), nullable=False, server_default='0'))
        for name in WORK_BUCKETS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('scorecard_case_marks', schema=None) as batch_op:
        batch_op.drop_column('reopen_count')
        batch_op.drop_column('rework_count')
        batch_op.add_column(sa.Column('round_rework_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('hours', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('work_hours', sa.Float(), nullable=True))

    backfill(op.get_bind())


# ---------------------------------------------------------------- backfill from the event history

cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('category_id', sa.Integer),
                 sa.column('area_id', sa.Integer), sa.column('urgent', sa.Boolean),
                 sa.column('dispatched_at', UTCDateTime()), sa.column('handled_at', UTCDateTime()),
                 sa.column('rework_count', sa.Integer), sa.column('round_rework_count', sa.Integer),
                 sa.column('hours', sa.Float), sa.column('work_hours', sa.Float))
events = sa.table('case_events', sa.column('id', sa.Integer), sa.column('case_id', sa.Integer),
                  sa.column('at', UTCDateTime()), sa.column('kind', sa.String), sa.column('data', sa.JSON))
categories = sa.table('categories', sa.column('id', sa.Integer), sa.column('limit_hours', sa.Integer),
                      sa.column('urgent_limit_hours', sa.Integer))
rounds = sa.table('case_rounds', *[sa.column(name, type_) for name, type_ in (
    ('case_id', sa.Integer), ('seq', sa.Integer), ('ended_kind', sa.String), ('ended_at', UTCDateTime()),
    ('unit_id', sa.Integer), ('area_id', sa.Integer), ('category_id', sa.Integer),
    ('dispatched_at', UTCDateTime()), ('due_at', UTCDateTime()), ('handled_at', UTCDateTime()),
    ('closed_at', UTCDateTime()), ('postponed', sa.Boolean), ('rework_count', sa.Integer), ('hours', sa.Float),
    ('work_hours', sa.Float), ('rating', sa.Integer), ('rating_scale', sa.Integer), ('rated_at', UTCDateTime()))])


def _calendar(connection):
    from portal.workdays import PACKAGED, add_working_hours, parse_periods, working_hours_between

    # The packaged calendar (chinesecalendar, then the statutory rules), never the app's: the city's own calendar
    # is read through the app's session, which cannot see tables this upgrade has not committed yet.

    row = connection.execute(sa.text("SELECT timezone, working_periods FROM city_settings WHERE id = 1")).first()
    tz, periods = (row[0], row[1]) if row else ("Asia/Shanghai", "08:30-12:00,13:30-17:30")
    periods = parse_periods(periods)

    def work_hours(start, end):
        return working_hours_between(start, end, tz, periods, calendar=PACKAGED) if start and end else None

    def hours(start, end):
        return (end - start).total_seconds() / 3600 if start and end else None

    def due(start, hours):
        return add_working_hours(start, hours, tz, periods, calendar=PACKAGED)

    return hours, work_hours, due


def _fresh():
    return {"unit_id": None, "dispatched_at": None, "due_at": None, "handled_at": None, "closed_at": None,
            "postponed": False, "rework_count": 0, "rating": None, "rating_scale": None, "rated_at": None}


def _data(value):
    if isinstance(value, str):
        import json
        return json.loads(value)
    return value or {}


def backfill(connection):
    """Each case's handling time in working hours; for each case reopened (重办) or rebound (反弹) before, its finished
    rounds rebuilt from its events (dispatch, due time from the category's limit or an approved 延期, 处置, 结案,
    回访), so the rounds count where they happened."""
    calendar_hours, work_hours, due = _calendar(connection)
    connection.execute(cases.update().values(round_rework_count=cases.c.rework_count))
    timed = connection.execute(sa.select(cases.c.id, cases.c.dispatched_at, cases.c.handled_at).where(
        cases.c.dispatched_at.is_not(None), cases.c.handled_at.is_not(None))).all()
    for case_id, dispatched_at, handled_at in timed:
        connection.execute(cases.update().where(cases.c.id == case_id)
                           .values(hours=calendar_hours(dispatched_at, handled_at),
                                   work_hours=work_hours(dispatched_at, handled_at)))
    limits = {row.id: row for row in connection.execute(sa.select(categories))}
    reopened = connection.execute(sa.select(events.c.case_id).where(events.c.kind.in_(("reopen", "rebound")))
                                  .distinct()).scalars().all()
    for case_id in reopened:
        case = connection.execute(sa.select(cases).where(cases.c.id == case_id)).one()
        category = limits[case.category_id]
        hours = category.urgent_limit_hours if case.urgent and category.urgent_limit_hours else category.limit_hours
        current, seq, finished = _fresh(), 0, []
        for _id, at, kind, data in connection.execute(
                sa.select(events.c.id, events.c.at, events.c.kind, events.c.data)
                .where(events.c.case_id == case_id).order_by(events.c.id)):
            data = _data(data)
            if kind == "dispatch":
                current.update(unit_id=data.get("unit_id"), dispatched_at=at, due_at=due(at, hours), postponed=False)
            elif kind == "return":
                current.update(unit_id=None, dispatched_at=None, due_at=None)
            elif kind == "handle":
                current["handled_at"] = at
            elif kind == "verify_fail":
                current["rework_count"] += 1
                current["handled_at"] = None
            elif kind == "close":
                current["closed_at"] = at
            elif kind == "ext_decision" and data.get("approved"):
                if data.get("kind") == "extend" and data.get("due_at"):
                    current["due_at"] = datetime.fromisoformat(data["due_at"])
                elif data.get("kind") == "postpone":
                    current["postponed"] = True
            elif kind == "rate":
                current.update(rating=data.get("rating"), rating_scale=data.get("scale"), rated_at=at)
            elif kind in ("reopen", "rebound"):
                seq += 1
                finished.append(dict(current, case_id=case_id, seq=seq, ended_kind=kind, ended_at=at,
                                     area_id=case.area_id, category_id=case.category_id,
                                     hours=calendar_hours(current["dispatched_at"], current["handled_at"]),
                                     work_hours=work_hours(current["dispatched_at"], current["handled_at"])))
                current = _fresh()
        if finished:
            connection.execute(rounds.insert(), finished)
        connection.execute(cases.update().where(cases.c.id == case_id)
                           .values(round_rework_count=current["rework_count"]))


def downgrade():
    op.execute("DELETE FROM scorecard_rollup_state")
    op.execute("DELETE FROM scorecard_due_rollups")
    op.execute("DELETE FROM scorecard_case_marks")
    with op.batch_alter_table('scorecard_case_marks', schema=None) as batch_op:
        batch_op.drop_column('work_hours')
        batch_op.drop_column('hours')
        batch_op.drop_column('round_rework_count')
        batch_op.add_column(sa.Column('rework_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('reopen_count', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('scorecard_due_rollups', schema=None) as batch_op:
        for name in WORK_BUCKETS:
            batch_op.drop_column(name)
        batch_op.drop_column('work_sum')
        batch_op.drop_column('work_n')
        batch_op.add_column(sa.Column('reopened', sa.Integer(), nullable=False, server_default='0'))
    op.drop_index('ix_cases_due_at_work_hours', table_name='cases')
    op.drop_index('ix_cases_due_at_hours', table_name='cases')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('work_hours')
        batch_op.drop_column('hours')
        batch_op.drop_column('round_rework_count')
    op.drop_index('ix_case_rounds_ended_at', table_name='case_rounds')
    op.drop_index('ix_case_rounds_due_at', table_name='case_rounds')
    op.drop_table('case_rounds')
