"""api_keys.issue_token: the one-time token of the form that issued a key, so a resent form issues no second key

Revision ID: s12apikeys_issue_token
Revises: s11boardcache_generations
Create Date: 2026-12-06 05:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 's12apikeys_issue_token'
down_revision = 's11boardcache_generations'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_keys') as batch:
        batch.add_column(sa.Column('issue_token', sa.String(length=32), nullable=True))
        batch.create_unique_constraint(batch.f('uq_api_keys_issue_token'), ['issue_token'])


def downgrade():
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_constraint(batch.f('uq_api_keys_issue_token'), type_='unique')
        batch.drop_column('issue_token')
