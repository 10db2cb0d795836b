"""Create public facilities.

Revision ID: c3f9a8d25e61
Revises: b7e1c2a94d10
Create Date: 2026-11-28 16:04:56+00:00
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = 'c3f9a8d25e61'
down_revision = 'b7e1c2a94d10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table('facilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('names', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('district_code', sa.String(length=16), nullable=True),
    sa.Column('dong_code', sa.String(length=16), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('toilet', 'district_office', 'community_centre', 'parking', 'police', 'hospital')", name=op.f('ck_facilities_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facilities')),
    sa.UniqueConstraint('source', 'source_id', name='uq_facilities_source_source_id')
    )
    op.create_geospatial_index('idx_facilities_location', 'facilities', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_facilities_kind', 'facilities', ['kind'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_facilities_kind', table_name='facilities')
    op.drop_geospatial_index('idx_facilities_location', table_name='facilities', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('facilities')
