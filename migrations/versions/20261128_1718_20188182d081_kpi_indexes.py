"""Index open complaints by district and due time, closed ones by closing time (KPIs).

Revision ID: 20188182d081
Revises: a24a4d0c5970
Create Date: 2026-11-28 17:18:57.628917+00:00
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2


revision = '20188182d081'
down_revision = 'a24a4d0c5970'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_complaints_closed_at', 'complaints', ['closed_at'], unique=False, postgresql_include=['district_code', 'status', 'due_at', 'created_at'], postgresql_where=sa.text('closed_at IS NOT NULL'))
    op.create_index('ix_complaints_created_kpi', 'complaints', ['created_at'], unique=False, postgresql_include=['district_code', 'status'])
    op.create_index('ix_complaints_open_district_due', 'complaints', ['district_code', 'due_at'], unique=False, postgresql_where=sa.text("status IN ('received', 'dispatched', 'assigned', 'on_site', 'transferred')"))


def downgrade() -> None:
    op.drop_index('ix_complaints_open_district_due', table_name='complaints', postgresql_where=sa.text("status IN ('received', 'dispatched', 'assigned', 'on_site', 'transferred')"))
    op.drop_index('ix_complaints_created_kpi', table_name='complaints')
    op.drop_index('ix_complaints_closed_at', table_name='complaints', postgresql_where=sa.text('closed_at IS NOT NULL'))
