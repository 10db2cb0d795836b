"""Create incidents with detours.

Revision ID: b7e1c2a94d10
Revises: 38c27d79bff4
Create Date: 2026-11-28 16:04:56+00:00
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = 'b7e1c2a94d10'
down_revision = '38c27d79bff4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('area', Geometry(srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('detour', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('descriptions', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('ended_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('accident', 'works', 'event', 'closure')", name=op.f('ck_incidents_kind')),
    sa.CheckConstraint('ends_at IS NULL OR ends_at > starts_at', name=op.f('ck_incidents_window')),
    sa.ForeignKeyConstraint(['created_by'], ['staff.id'], name=op.f('fk_incidents_created_by_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ended_by'], ['staff.id'], name=op.f('fk_incidents_ended_by_staff'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    op.create_geospatial_index('idx_incidents_area', 'incidents', ['area'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_incidents_ends_at', 'incidents', ['ends_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_incidents_ends_at', table_name='incidents')
    op.drop_geospatial_index('idx_incidents_area', table_name='incidents', postgresql_using='gist', column_name='area')
    op.drop_geospatial_table('incidents')
