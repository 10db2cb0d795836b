"""Phones that texted STOP: no more texts about their earlier complaints.

Revision ID: a3c6e8f0b2d5
Revises: f2b5d7e9a1c4
Create Date: 2026-11-29 09:20:00.000000+00:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'a3c6e8f0b2d5'
down_revision = 'f2b5d7e9a1c4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sms_opt_outs',
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('inbound_id', sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(['inbound_id'], ['sms_inbound.id'],
                                name=op.f('fk_sms_opt_outs_inbound_id_sms_inbound'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('phone', name=op.f('pk_sms_opt_outs')),
    )


def downgrade() -> None:
    op.drop_table('sms_opt_outs')
