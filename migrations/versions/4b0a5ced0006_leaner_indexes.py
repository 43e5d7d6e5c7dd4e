"""leaner indexes on the busiest inserts (a report, a survey answer): none a longer index already covers, none on
a case's channel, and partial ones for columns that a new row leaves empty

Revision ID: 4b0a5ced0006
Revises: 4b0a5ced0005
Create Date: 2026-11-22 18:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '4b0a5ced0006'
down_revision = '4b0a5ced0005'
branch_labels = None
depends_on = None

PARTIAL = (("ix_cases_unit_state", ["unit_id", "state"]), ("ix_cases_point_id", ["point_id"]),
           ("ix_cases_created_by_id", ["created_by_id"]), ("ix_cases_duplicate_of_id", ["duplicate_of_id"]),
           ("ix_cases_due_at", ["due_at"]), ("ix_cases_closed_at", ["closed_at"]))
DROPPED = (("ix_cases_category_id", ["category_id"]), ("ix_cases_state", ["state"]),
           ("ix_cases_channel", ["channel"]))
UNIQUE = (("uq_survey_responses_survey_guard", ["survey_id", "guard_key"]),
          ("uq_survey_responses_token_id", ["token_id"]))


def _where(column):
    condition = sa.text(f"{column} IS NOT NULL")
    return {"sqlite_where": condition, "postgresql_where": condition}


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for name, _columns in DROPPED + PARTIAL:
            batch_op.drop_index(name)
        for name, columns in PARTIAL:
            batch_op.create_index(name, columns, unique=False, **_where(columns[0]))
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        for name, _columns in UNIQUE:
            batch_op.drop_constraint(name, type_='unique')
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        for name, columns in UNIQUE:
            batch_op.create_index(name, columns, unique=True, **_where(columns[-1]))


def downgrade():
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        for name, _columns in UNIQUE:
            batch_op.drop_index(name)
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        for name, columns in UNIQUE:
            batch_op.create_unique_constraint(name, columns)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        for name, _columns in PARTIAL:
            batch_op.drop_index(name)
        for name, columns in PARTIAL + DROPPED:
            batch_op.create_index(name, columns, unique=False)
