"""Reopen events by time: the KPI counts a closure even after the reporter reopened it.

Revision ID: b7d9f1a3c5e8
Revises: b4d7f9a1c3e6
Create Date: 2026-11-29 11:00:00.000000+00:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'b7d9f1a3c5e8'
down_revision = 'b4d7f9a1c3e6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index('ix_complaint_events_reopened', 'complaint_events', ['at'],
                        unique=False, postgresql_include=['complaint_id'],
                        postgresql_where=sa.text("kind = 'reopened'"),
                        postgresql_concurrently=True, if_not_exists=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index('ix_complaint_events_reopened', table_name='complaint_events',
                      postgresql_concurrently=True, if_exists=True)
