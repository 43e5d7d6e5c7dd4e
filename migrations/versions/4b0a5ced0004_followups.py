"""rectification tasks from survey results and other follow-ups

Revision ID: 4b0a5ced0004
Revises: 4b0a5ced0003
Create Date: 2026-11-22 09:00:00

"""
import sqlalchemy as sa
from alembic import op

import portal.clock  # noqa: F401 - custom column types used in migrations

# revision identifiers, used by Alembic.
revision = '4b0a5ced0004'
down_revision = '4b0a5ced0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_rectification_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=40), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_survey_rectification_tasks_area_id_areas')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_survey_rectification_tasks_case_id_cases')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_survey_rectification_tasks_created_by_id_users')),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'],
                            name=op.f('fk_survey_rectification_tasks_question_id_survey_questions'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_rectification_tasks_survey_id_surveys'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_rectification_tasks')),
    sa.UniqueConstraint('case_id', name=op.f('uq_survey_rectification_tasks_case_id')),
    sa.UniqueConstraint('survey_id', 'question_id', 'item', 'area_id', name='uq_survey_rectification_tasks_key')
    )
    with op.batch_alter_table('survey_rectification_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_rectification_tasks_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_rectification_tasks_question_id'), ['question_id'], unique=False)


def downgrade():
    with op.batch_alter_table('survey_rectification_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_rectification_tasks_question_id'))
        batch_op.drop_index(batch_op.f('ix_survey_rectification_tasks_area_id'))

    op.drop_table('survey_rectification_tasks')
