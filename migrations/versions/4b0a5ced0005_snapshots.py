"""scorecard snapshots: bulletins, rankings, 红黑榜

Revision ID: 4b0a5ced0005
Revises: 4b0a5ced0004
Create Date: 2026-11-22 09:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import portal.clock  # noqa: F401 - custom column types used in migrations


# revision identifiers, used by Alembic.
revision = '4b0a5ced0005'
down_revision = '4b0a5ced0004'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
