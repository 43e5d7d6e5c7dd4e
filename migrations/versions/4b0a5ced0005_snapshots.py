"""scorecard snapshots: bulletins, rankings, 红黑榜

Revision ID: 4b0a5ced0005
Revises: 4b0a5ced0004
Create Date: 2026-11-22 09:00:00

"""
import sqlalchemy as sa
from alembic import op

import portal.clock  # noqa: F401 - custom column types used in migrations

# revision identifiers, used by Alembic.
revision = '4b0a5ced0005'
down_revision = '4b0a5ced0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('list_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('min_cases', sa.Integer(), nullable=False),
    sa.Column('red_count', sa.Integer(), nullable=False),
    sa.Column('red_min_score', sa.Float(), nullable=False),
    sa.Column('black_count', sa.Integer(), nullable=False),
    sa.Column('black_below_score', sa.Float(), nullable=False),
    sa.Column('area_level', sa.String(length=20), nullable=False),
    sa.Column('bulletin_target_percent', sa.Float(), nullable=False),
    sa.Column('bulletin_min_rated', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_list_rules_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_rules')),
    sa.UniqueConstraint('version', name=op.f('uq_list_rules_version'))
    )
    op.create_table('snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('xun_bulletin', 'month_ranking', 'honours', name='snapshotkind', native_enum=False,
                              length=20), nullable=False),
    sa.Column('period_key', sa.String(length=40), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('generated_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('generated_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', portal.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['generated_by_id'], ['users.id'], name=op.f('fk_snapshots_generated_by_id_users')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_snapshots_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshots')),
    sa.UniqueConstraint('kind', 'period_key', name='uq_snapshot_kind_period')
    )
    with op.batch_alter_table('snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_snapshots_kind_published', ['kind', 'published_at'], unique=False)

    op.create_table('snapshot_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_snapshot_notes_created_by_id_users')),
    sa.ForeignKeyConstraint(['snapshot_id'], ['snapshots.id'], name=op.f('fk_snapshot_notes_snapshot_id_snapshots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshot_notes'))
    )
    with op.batch_alter_table('snapshot_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_snapshot_notes_snapshot_id'), ['snapshot_id'], unique=False)


def downgrade():
    with op.batch_alter_table('snapshot_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_snapshot_notes_snapshot_id'))

    op.drop_table('snapshot_notes')
    with op.batch_alter_table('snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_snapshots_kind_published')

    op.drop_table('snapshots')
    op.drop_table('list_rules')
