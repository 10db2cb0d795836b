"""Index complaints by place and creation time together (btree_gist).

Revision ID: 0be8feed3c11
Revises: 5e6d89454a79
Create Date: 2026-11-28 16:04:41.930003+00:00
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2


revision = '0be8feed3c11'
down_revision = '5e6d89454a79'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # btree_gist is a trusted extension: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_index('ix_complaints_location_created', 'complaints', ['location', 'created_at'], unique=False, postgresql_using='gist')


def downgrade() -> None:
    op.drop_index('ix_complaints_location_created', table_name='complaints', postgresql_using='gist')
