"""Index satisfaction ratings by time (the KPI panel reads a period of them).

Revision ID: 9ed75942ffb2
Revises: 336b3d22f106
Create Date: 2026-11-28 18:20:03.064471+00:00
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2


revision = '9ed75942ffb2'
down_revision = '336b3d22f106'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f('ix_satisfaction_ratings_rated_at'), 'satisfaction_ratings', ['rated_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_satisfaction_ratings_rated_at'), table_name='satisfaction_ratings')
