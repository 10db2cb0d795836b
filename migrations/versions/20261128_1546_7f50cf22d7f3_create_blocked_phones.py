"""Create the list of phone numbers blocked for abuse.

Revision ID: 7f50cf22d7f3
Revises: 85d6e834e138
Create Date: 2026-11-28 15:46:58.342658+00:00
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2


revision = '7f50cf22d7f3'
down_revision = '85d6e834e138'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blocked_phones',
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('blocked_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['blocked_by'], ['staff.id'], name=op.f('fk_blocked_phones_blocked_by_staff'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('phone', name=op.f('pk_blocked_phones'))
    )


def downgrade() -> None:
    op.drop_table('blocked_phones')
