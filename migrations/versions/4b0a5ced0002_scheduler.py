"""scheduler lock, job runs, time-limit watch

Revision ID: 4b0a5ced0002
Revises: 4b0a5ced0001
Create Date: 2026-11-22 09:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import portal.clock  # noqa: F401 - custom column types used in migrations


# revision identifiers, used by Alembic.
revision = '4b0a5ced0002'
down_revision = '4b0a5ced0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduler_locks',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=False),
    sa.Column('acquired_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_locks'))
    )
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=60), nullable=False),
    sa.Column('run_key', sa.String(length=120), nullable=True),
    sa.Column('holder', sa.String(length=120), nullable=True),
    sa.Column('started_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', portal.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('result', sa.String(length=500), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_job_started', ['job', 'started_at'], unique=False)
        batch_op.create_index('ix_job_runs_run_key_outcome', ['run_key', 'outcome'], unique=False)

    op.create_table('unit_strike_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('strike_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['strike_id'], ['unit_strikes.id'],
                            name=op.f('fk_unit_strike_statements_strike_id_unit_strikes')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'],
                            name=op.f('fk_unit_strike_statements_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_strike_statements'))
    )
    with op.batch_alter_table('unit_strike_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_strike_statements_strike_id'), ['strike_id'], unique=False)

    with op.batch_alter_table('city_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('strike_notice_count', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('strike_window_days', sa.Integer(), server_default='30', nullable=False))
        batch_op.add_column(sa.Column('rating_reminder_days', sa.Integer(), server_default='3', nullable=False))


def downgrade():
    with op.batch_alter_table('city_settings', schema=None) as batch_op:
        batch_op.drop_column('rating_reminder_days')
        batch_op.drop_column('strike_window_days')
        batch_op.drop_column('strike_notice_count')

    with op.batch_alter_table('unit_strike_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_strike_statements_strike_id'))
    op.drop_table('unit_strike_statements')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_job_runs_run_key_outcome')
        batch_op.drop_index('ix_job_runs_job_started')
    op.drop_table('job_runs')
    op.drop_table('scheduler_locks')
