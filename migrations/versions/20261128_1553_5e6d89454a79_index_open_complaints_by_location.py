"""Index the locations of open complaints (the live map).

Revision ID: 5e6d89454a79
Revises: 7f50cf22d7f3
Create Date: 2026-11-28 15:53:32.630801+00:00
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2


revision = '5e6d89454a79'
down_revision = '7f50cf22d7f3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_index('ix_complaints_open_location', 'complaints', ['location'], unique=False, postgresql_using='gist', postgresql_where=sa.text("status IN ('received', 'dispatched', 'assigned', 'on_site', 'transferred')"), postgresql_ops={})


def downgrade() -> None:
    op.drop_geospatial_index('ix_complaints_open_location', table_name='complaints', postgresql_using='gist', postgresql_where=sa.text("status IN ('received', 'dispatched', 'assigned', 'on_site', 'transferred')"), column_name='location')
