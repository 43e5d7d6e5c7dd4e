"""scorecards: composite-index rule versions, daily rollups of the figures, indexes on cases

Revision ID: 4b0a5ced0001
Revises: 3a7e51c0de01
Create Date: 2026-11-22 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import portal.clock  # noqa: F401 - custom column types used in migrations


# revision identifiers, used by Alembic.
revision = '4b0a5ced0001'
down_revision = '3a7e51c0de01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scorecard_case_marks',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('created_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', portal.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('dispatched_at', portal.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('handled_at', portal.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('postponed', sa.Boolean(), nullable=False),
    sa.Column('rework_count', sa.Integer(), nullable=False),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_scale', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_scorecard_case_marks'))
    )
    op.create_table('scorecard_due_rollups',
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('key', sa.Integer(), nullable=False),
    sa.Column('due', sa.Integer(), nullable=False),
    sa.Column('postponed', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.Column('closed_on_time', sa.Integer(), nullable=False),
    sa.Column('reworked', sa.Integer(), nullable=False),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.Column('followed_up', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.Column('hours_n', sa.Integer(), nullable=False),
    sa.Column('hours_sum', sa.Float(), nullable=False),
    sa.Column('h00', sa.Integer(), nullable=False),
    sa.Column('h01', sa.Integer(), nullable=False),
    sa.Column('h02', sa.Integer(), nullable=False),
    sa.Column('h03', sa.Integer(), nullable=False),
    sa.Column('h04', sa.Integer(), nullable=False),
    sa.Column('h05', sa.Integer(), nullable=False),
    sa.Column('h06', sa.Integer(), nullable=False),
    sa.Column('h07', sa.Integer(), nullable=False),
    sa.Column('h08', sa.Integer(), nullable=False),
    sa.Column('h09', sa.Integer(), nullable=False),
    sa.Column('h10', sa.Integer(), nullable=False),
    sa.Column('h11', sa.Integer(), nullable=False),
    sa.Column('h12', sa.Integer(), nullable=False),
    sa.Column('h13', sa.Integer(), nullable=False),
    sa.Column('h14', sa.Integer(), nullable=False),
    sa.Column('h15', sa.Integer(), nullable=False),
    sa.Column('h16', sa.Integer(), nullable=False),
    sa.Column('h17', sa.Integer(), nullable=False),
    sa.Column('h18', sa.Integer(), nullable=False),
    sa.Column('h19', sa.Integer(), nullable=False),
    sa.Column('h20', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'day', 'key', name=op.f('pk_scorecard_due_rollups'))
    )
    op.create_table('scorecard_received_rollups',
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('key', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('filed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'day', 'key', 'channel', name=op.f('pk_scorecard_received_rollups'))
    )
    op.create_table('scorecard_rollup_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=60), nullable=False),
    sa.Column('rolled_through', sa.Date(), nullable=True),
    sa.Column('watermark', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecard_rollup_state'))
    )
    op.create_table('score_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('parts', sa.JSON(), nullable=False),
    sa.Column('vetoes', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_score_rules_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_rules')),
    sa.UniqueConstraint('version', name=op.f('uq_score_rules_version'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_cases_due_at', ['due_at'], unique=False)
        batch_op.create_index('ix_cases_updated_at', ['updated_at'], unique=False)



def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_updated_at')
        batch_op.drop_index('ix_cases_due_at')
        batch_op.drop_index('ix_cases_created_at')

    op.drop_table('score_rules')
    op.drop_table('scorecard_rollup_state')
    op.drop_table('scorecard_received_rollups')
    op.drop_table('scorecard_due_rollups')
    op.drop_table('scorecard_case_marks')
