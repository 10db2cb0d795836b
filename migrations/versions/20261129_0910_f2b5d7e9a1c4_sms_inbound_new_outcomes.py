"""Incoming texts get three more outcomes: ambiguous_place, rating_repeat, opt_out.

Revision ID: f2b5d7e9a1c4
Revises: e1a4c6b8d2f3
Create Date: 2026-11-29 09:10:00.000000+00:00
"""

from alembic import op


revision = 'f2b5d7e9a1c4'
down_revision = 'e1a4c6b8d2f3'
branch_labels = None
depends_on = None

OLD = "'pending', 'rating', 'complaint', 'not_understood', 'ignored', 'rate_limited'"
NEW = OLD + ", 'ambiguous_place', 'rating_repeat', 'opt_out'"


def upgrade() -> None:
    op.drop_constraint(op.f('ck_sms_inbound_outcome'), 'sms_inbound', type_='check')
    op.create_check_constraint(op.f('ck_sms_inbound_outcome'), 'sms_inbound',
                               f"outcome IN ({NEW})")


def downgrade() -> None:
    op.execute("UPDATE sms_inbound SET outcome = 'not_understood' "
               "WHERE outcome IN ('ambiguous_place', 'rating_repeat', 'opt_out')")
    op.drop_constraint(op.f('ck_sms_inbound_outcome'), 'sms_inbound', type_='check')
    op.create_check_constraint(op.f('ck_sms_inbound_outcome'), 'sms_inbound',
                               f"outcome IN ({OLD})")
