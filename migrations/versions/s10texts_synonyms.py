"""category synonyms: other words residents search with (厕所、卫生间 for 公厕问题), editable by admins

Revision ID: s10texts_synonyms
Revises: s10rounds_rounds
Create Date: 2026-12-01 23:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 's10texts_synonyms'
down_revision = 's10rounds_rounds'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('categories') as batch_op:
        batch_op.add_column(sa.Column('synonyms', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('categories') as batch_op:
        batch_op.drop_column('synonyms')
