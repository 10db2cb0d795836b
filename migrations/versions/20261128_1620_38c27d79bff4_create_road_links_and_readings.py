"""Create road links and traffic readings.

Revision ID: 38c27d79bff4
Revises: a109ded7db59
Create Date: 2026-11-28 16:04:56+00:00
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '38c27d79bff4'
down_revision = 'a109ded7db59'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table('road_links',
    sa.Column('link_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('names', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('road_class', sa.String(length=32), nullable=False),
    sa.Column('direction', sa.String(length=64), nullable=True),
    sa.Column('path', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('link_id', name=op.f('pk_road_links'))
    )
    op.create_geospatial_index('idx_road_links_path', 'road_links', ['path'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_table('traffic_readings',
    sa.Column('link_id', sa.String(length=32), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('speed_kmh', sa.Float(), nullable=True),
    sa.Column('travel_time_s', sa.Float(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.CheckConstraint("level IN ('free', 'slow', 'jammed', 'unknown')", name=op.f('ck_traffic_readings_level')),
    sa.ForeignKeyConstraint(['link_id'], ['road_links.link_id'], name=op.f('fk_traffic_readings_link_id_road_links'), onupdate='CASCADE', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('link_id', 'observed_at', name=op.f('pk_traffic_readings'))
    )
    op.create_index('ix_traffic_readings_observed_at', 'traffic_readings', ['observed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_traffic_readings_observed_at', table_name='traffic_readings')
    op.drop_table('traffic_readings')
    op.drop_geospatial_index('idx_road_links_path', table_name='road_links', postgresql_using='gist', column_name='path')
    op.drop_geospatial_table('road_links')
