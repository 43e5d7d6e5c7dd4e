"""the city's working calendar: years admins entered or confirmed, with their days off and make-up workdays

Revision ID: s10calendar_workcalendar
Revises: 4b0a5ced0006
Create Date: 2026-12-01 23:00:00

"""
import sqlalchemy as sa
from alembic import op

import portal.clock  # noqa: F401 - custom column types used in migrations

# revision identifiers, used by Alembic.
revision = 's10calendar_workcalendar'
down_revision = '4b0a5ced0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_years',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('updated_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('confirmed_at', portal.clock.UTCDateTime(timezone=True), nullable=True),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('year'),
    )
    op.create_table(
        'calendar_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('workday', sa.Boolean(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['year'], ['calendar_years.year']),
        sa.PrimaryKeyConstraint('day'),
    )
    op.create_index('ix_calendar_days_year', 'calendar_days', ['year'])


def downgrade():
    op.drop_index('ix_calendar_days_year', table_name='calendar_days')
    op.drop_table('calendar_days')
    op.drop_table('calendar_years')
