"""the public pages' cache generation: one number per name ("board"), raised by every change the board shows

Revision ID: s11boardcache_generations
Revises: s10stuffing_repeats
Create Date: 2026-12-06 00:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 's11boardcache_generations'
down_revision = 's11map_boundaries'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cache_generations',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('changed_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_generations')),
    )


def downgrade():
    op.drop_table('cache_generations')
