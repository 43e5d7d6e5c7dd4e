"""the map: area boundaries (GeoJSON in WGS-84 with a bounding box), area populations, and how a case's location
was obtained, with an index for the case map

Revision ID: s11map_boundaries
Revises: s10stuffing_repeats
Create Date: 2026-12-06 00:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 's11map_boundaries'
down_revision = 's11open311_apikeys'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('boundary', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('bbox_west', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('bbox_south', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('bbox_east', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('bbox_north', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('population', sa.Integer(), nullable=True))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_source', sa.Enum('qr', 'gps', 'pin', 'list', name='locationsource',
                                                                 native_enum=False, length=20), nullable=True))
        batch_op.create_index('ix_cases_map', ['state', 'latitude', 'longitude', 'point_id'], unique=False)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_map')
        batch_op.drop_column('location_source')
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.drop_column('population')
        batch_op.drop_column('bbox_north')
        batch_op.drop_column('bbox_east')
        batch_op.drop_column('bbox_south')
        batch_op.drop_column('bbox_west')
        batch_op.drop_column('boundary')
