"""Create the PostGIS extension, areas, categories, complaints and their events.

Revision ID: dbdec8993676
Revises: 
Create Date: 2026-11-28 15:26:03.596045+00:00
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = 'dbdec8993676'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table('area_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('features', sa.Integer(), nullable=False),
    sa.Column('repaired', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_imports'))
    )
    op.create_table('categories',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('names', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('descriptions', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('keywords', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('group', sa.String(length=64), nullable=False),
    sa.Column('icon', sa.String(length=64), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('sla_minutes', sa.Integer(), nullable=False),
    sa.Column('duplicate_radius_m', sa.Integer(), nullable=False),
    sa.Column('duplicate_window_hours', sa.Integer(), nullable=False),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_categories'))
    )
    op.create_geospatial_table('districts',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('names', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('office_phone', sa.String(length=32), nullable=True),
    sa.Column('boundary', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_districts'))
    )
    op.create_geospatial_index('idx_districts_boundary', 'districts', ['boundary'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('dongs',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('district_code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('names', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('boundary', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('fk_dongs_district_code_districts'), onupdate='CASCADE'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_dongs'))
    )
    op.create_geospatial_index('idx_dongs_boundary', 'dongs', ['boundary'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_dongs_district_code'), 'dongs', ['district_code'], unique=False)
    op.create_geospatial_table('complaints',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('client_ref', sa.UUID(), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('category_code', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('district_code', sa.String(length=16), nullable=False),
    sa.Column('dong_code', sa.String(length=16), nullable=False),
    sa.Column('routing_distance_m', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.SmallInteger(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reporter_phone', sa.String(length=20), nullable=True),
    sa.Column('reporter_language', sa.String(length=2), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('parent_id', sa.BigInteger(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('pwa', 'sms', 'phone', 'open311')", name=op.f('ck_complaints_channel')),
    sa.CheckConstraint("status IN ('received', 'dispatched', 'assigned', 'on_site', 'resolved', 'unfounded', 'referred', 'transferred', 'duplicate', 'cancelled')", name=op.f('ck_complaints_status')),
    sa.ForeignKeyConstraint(['category_code'], ['categories.code'], name=op.f('fk_complaints_category_code_categories')),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('fk_complaints_district_code_districts'), onupdate='CASCADE'),
    sa.ForeignKeyConstraint(['dong_code'], ['dongs.code'], name=op.f('fk_complaints_dong_code_dongs'), onupdate='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['complaints.id'], name=op.f('fk_complaints_parent_id_complaints'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('client_ref', name=op.f('uq_complaints_client_ref')),
    sa.UniqueConstraint('public_id', name=op.f('uq_complaints_public_id'))
    )
    op.create_geospatial_index('idx_complaints_location', 'complaints', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_complaints_category_code'), 'complaints', ['category_code'], unique=False)
    op.create_index('ix_complaints_created_at', 'complaints', ['created_at'], unique=False)
    op.create_index('ix_complaints_district_status_due', 'complaints', ['district_code', 'status', 'due_at'], unique=False)
    op.create_index(op.f('ix_complaints_dong_code'), 'complaints', ['dong_code'], unique=False)
    op.create_index(op.f('ix_complaints_parent_id'), 'complaints', ['parent_id'], unique=False)
    op.create_geospatial_table('complaint_events',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('complaint_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('public_note', sa.Text(), nullable=True),
    sa.Column('internal_note', sa.Text(), nullable=True),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_events_complaint_id_complaints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_events'))
    )
    op.create_index(op.f('ix_complaint_events_complaint_id'), 'complaint_events', ['complaint_id'], unique=False)


def downgrade() -> None:
    # The postgis extension stays: other database objects may depend on it.
    op.drop_index(op.f('ix_complaint_events_complaint_id'), table_name='complaint_events')
    op.drop_geospatial_table('complaint_events')
    op.drop_index(op.f('ix_complaints_parent_id'), table_name='complaints')
    op.drop_index(op.f('ix_complaints_dong_code'), table_name='complaints')
    op.drop_index('ix_complaints_district_status_due', table_name='complaints')
    op.drop_index('ix_complaints_created_at', table_name='complaints')
    op.drop_index(op.f('ix_complaints_category_code'), table_name='complaints')
    op.drop_geospatial_index('idx_complaints_location', table_name='complaints', postgresql_using='gist', column_name='location')
    op.drop_geospatial_table('complaints')
    op.drop_index(op.f('ix_dongs_district_code'), table_name='dongs')
    op.drop_geospatial_index('idx_dongs_boundary', table_name='dongs', postgresql_using='gist', column_name='boundary')
    op.drop_geospatial_table('dongs')
    op.drop_geospatial_index('idx_districts_boundary', table_name='districts', postgresql_using='gist', column_name='boundary')
    op.drop_geospatial_table('districts')
    op.drop_table('categories')
    op.drop_table('area_imports')
