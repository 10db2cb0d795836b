"""Index complaints by reporter phone (an agent's caller lookup, the SMS rating reply).

Revision ID: 4c1f0a7e2b19
Revises: 9ed75942ffb2
Create Date: 2026-11-29 03:00:00.000000+00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '4c1f0a7e2b19'
down_revision = '9ed75942ffb2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # CONCURRENTLY: a city's complaint table keeps taking reports while the index builds.
    with op.get_context().autocommit_block():
        op.create_index('ix_complaints_reporter_phone', 'complaints',
                        ['reporter_phone', 'created_at'], unique=False,
                        postgresql_where=sa.text('reporter_phone IS NOT NULL'),
                        postgresql_concurrently=True, if_not_exists=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index('ix_complaints_reporter_phone', table_name='complaints',
                      postgresql_concurrently=True, if_exists=True)
