"""Create open311_keys: client applications and the hashes of their API keys.

Revision ID: 336b3d22f106
Revises: 20188182d081
Create Date: 2026-11-28 17:02:43.173144+00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '336b3d22f106'
down_revision = '20188182d081'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('open311_keys',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_open311_keys_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_open311_keys_name'))
    )


def downgrade() -> None:
    op.drop_table('open311_keys')
