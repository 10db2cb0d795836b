"""KPI covering indexes carry parent_id (duplicates are counted by it, and kept out of closed).

Revision ID: d5f1b7c9e2a4
Revises: c3e8a5d2f6b1
Create Date: 2026-11-29 08:00:00.000000+00:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'd5f1b7c9e2a4'
down_revision = 'c3e8a5d2f6b1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # CONCURRENTLY, new before old: the KPI panel keeps an index-only path throughout.
    with op.get_context().autocommit_block():
        op.create_index('ix_complaints_closed_kpi', 'complaints', ['closed_at'], unique=False,
                        postgresql_include=['district_code', 'status', 'due_at', 'created_at',
                                            'parent_id'],
                        postgresql_where=sa.text('closed_at IS NOT NULL'),
                        postgresql_concurrently=True, if_not_exists=True)
        op.create_index('ix_complaints_received_kpi', 'complaints', ['created_at'],
                        unique=False, postgresql_include=['district_code', 'status', 'parent_id'],
                        postgresql_concurrently=True, if_not_exists=True)
        op.drop_index('ix_complaints_closed_at', table_name='complaints',
                      postgresql_concurrently=True, if_exists=True)
        op.drop_index('ix_complaints_created_kpi', table_name='complaints',
                      postgresql_concurrently=True, if_exists=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index('ix_complaints_closed_at', 'complaints', ['closed_at'], unique=False,
                        postgresql_include=['district_code', 'status', 'due_at', 'created_at'],
                        postgresql_where=sa.text('closed_at IS NOT NULL'),
                        postgresql_concurrently=True, if_not_exists=True)
        op.create_index('ix_complaints_created_kpi', 'complaints', ['created_at'], unique=False,
                        postgresql_include=['district_code', 'status'],
                        postgresql_concurrently=True, if_not_exists=True)
        op.drop_index('ix_complaints_closed_kpi', table_name='complaints',
                      postgresql_concurrently=True, if_exists=True)
        op.drop_index('ix_complaints_received_kpi', table_name='complaints',
                      postgresql_concurrently=True, if_exists=True)
