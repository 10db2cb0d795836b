"""Create the table of complaint photos (blob keys, EXIF facts, flags).

Revision ID: bd0a6d9c7657
Revises: 2588ccc101dd
Create Date: 2026-11-28 15:50:58.732139+00:00
"""

from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = 'bd0a6d9c7657'
down_revision = '2588ccc101dd'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table('complaint_photos',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('complaint_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('thumb_sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('original_format', sa.String(length=16), nullable=False),
    sa.Column('original_bytes', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('flags', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('uploaded_by', sa.String(length=16), nullable=False),
    sa.Column('staff_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('report', 'evidence')", name=op.f('ck_complaint_photos_kind')),
    sa.CheckConstraint("uploaded_by IN ('citizen', 'staff')", name=op.f('ck_complaint_photos_uploaded_by')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_photos_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_complaint_photos_staff_id_staff'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_photos')),
    sa.UniqueConstraint('complaint_id', 'sha256', name='uq_complaint_photos_complaint_sha256')
    )
    op.create_index(op.f('ix_complaint_photos_complaint_id'), 'complaint_photos', ['complaint_id'], unique=False)
    op.create_index(op.f('ix_complaint_photos_sha256'), 'complaint_photos', ['sha256'], unique=False)
    op.create_index(op.f('ix_complaint_photos_thumb_sha256'), 'complaint_photos', ['thumb_sha256'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_complaint_photos_thumb_sha256'), table_name='complaint_photos')
    op.drop_index(op.f('ix_complaint_photos_sha256'), table_name='complaint_photos')
    op.drop_index(op.f('ix_complaint_photos_complaint_id'), table_name='complaint_photos')
    op.drop_geospatial_table('complaint_photos')
