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
    pass


def downgrade():
    pass
