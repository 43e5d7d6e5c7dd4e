"""surveys that resist stuffing: what the server sees of a device (a keyed fingerprint), answers given (the speeder
floor), the repeat flag, staff decisions to count flagged responses in, and telephone surveys' call lists

Revision ID: s10stuffing_repeats
Revises: s10texts_synonyms
Create Date: 2026-12-01 22:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 's10stuffing_repeats'
down_revision = 's10texts_synonyms'
branch_labels = None
depends_on = None

BY_AREA = ["survey_id", "excluded", "survey_area_id", "source", "headline_level", "passed", "is_speeder",
           "is_straightliner", "is_burst", "over_quota"]
BY_AREA_NOW = BY_AREA[:-1] + ["is_repeat", "flags_accepted", "over_quota"]
# The counted responses are those without flags or counted in by a decision: the covering indexes carry both.
BY_DAY = ["survey_id", "excluded", "day", "source", "headline_level", "passed"]
BY_DAY_NOW = BY_DAY + ["is_speeder", "is_straightliner", "is_burst", "is_repeat", "flags_accepted"]
FINGERPRINT = sa.text("fingerprint IS NOT NULL")


def upgrade():
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('answered', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('is_repeat', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('flags_accepted', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_responses_by_area')
        batch_op.create_index('ix_survey_responses_by_area', BY_AREA_NOW, unique=False)
        batch_op.drop_index('ix_survey_responses_by_day')
        batch_op.create_index('ix_survey_responses_by_day', BY_DAY_NOW, unique=False)
        batch_op.create_index('ix_survey_responses_fingerprint', ['survey_id', 'fingerprint', 'submitted_at'],
                              unique=False, sqlite_where=FINGERPRINT, postgresql_where=FINGERPRINT)
    with op.batch_alter_table('survey_exclusions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision', sa.String(length=16), server_default='exclusion', nullable=False))
    op.create_table(
        'survey_call_numbers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('phone_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_call_numbers_survey_id_surveys'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_call_numbers')),
        sa.UniqueConstraint('survey_id', 'phone_hash', name='uq_survey_call_numbers_phone'),
    )


def downgrade():
    op.drop_table('survey_call_numbers')
    with op.batch_alter_table('survey_exclusions', schema=None) as batch_op:
        batch_op.drop_column('decision')
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_responses_fingerprint')
        batch_op.drop_index('ix_survey_responses_by_area')
        batch_op.create_index('ix_survey_responses_by_area', BY_AREA, unique=False)
        batch_op.drop_index('ix_survey_responses_by_day')
        batch_op.create_index('ix_survey_responses_by_day', BY_DAY, unique=False)
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_column('flags_accepted')
        batch_op.drop_column('is_repeat')
        batch_op.drop_column('answered')
        batch_op.drop_column('fingerprint')
