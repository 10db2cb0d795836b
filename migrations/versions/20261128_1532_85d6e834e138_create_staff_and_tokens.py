"""Create staff accounts and their bearer tokens.

Revision ID: 85d6e834e138
Revises: dbdec8993676
Create Date: 2026-11-28 15:32:36.503216+00:00
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry

revision = '85d6e834e138'
down_revision = 'dbdec8993676'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table('staff',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('district_code', sa.String(length=16), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('last_location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('inspector', 'supervisor', 'dispatcher', 'admin')", name=op.f('ck_staff_role')),
    sa.CheckConstraint("role NOT IN ('inspector', 'supervisor') OR district_code IS NOT NULL", name=op.f('ck_staff_district_roles_have_district')),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('fk_staff_district_code_districts'), onupdate='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_username'))
    )
    op.create_index(op.f('ix_staff_district_code'), 'staff', ['district_code'], unique=False)
    op.create_table('staff_tokens',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('staff_id', sa.BigInteger(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_tokens_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_tokens_token_hash'))
    )
    op.create_index(op.f('ix_staff_tokens_staff_id'), 'staff_tokens', ['staff_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_staff_tokens_staff_id'), table_name='staff_tokens')
    op.drop_table('staff_tokens')
    op.drop_index(op.f('ix_staff_district_code'), table_name='staff')
    op.drop_geospatial_table('staff')
