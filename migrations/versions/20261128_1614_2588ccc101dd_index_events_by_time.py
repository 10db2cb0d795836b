"""Index complaint events by time and target status (KPIs).

Revision ID: 2588ccc101dd
Revises: 0be8feed3c11
Create Date: 2026-11-28 16:14:40.179582+00:00
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2


revision = '2588ccc101dd'
down_revision = '0be8feed3c11'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_complaint_events_at_status', 'complaint_events', ['at', 'to_status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_complaint_events_at_status', table_name='complaint_events')
