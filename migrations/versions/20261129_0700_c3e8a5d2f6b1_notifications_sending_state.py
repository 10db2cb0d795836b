"""Notifications get a ``sending`` state (committed before the gateway is called).

Revision ID: c3e8a5d2f6b1
Revises: b7d2e4f1a9c3
Create Date: 2026-11-29 07:00:00.000000+00:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'c3e8a5d2f6b1'
down_revision = 'b7d2e4f1a9c3'
branch_labels = None
depends_on = None

OLD = "state IN ('pending', 'sent', 'delivered', 'failed', 'gone')"
NEW = "state IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'gone')"


def upgrade() -> None:
    # NOT VALID then VALIDATE: the outbox keeps taking rows while the old ones are checked.
    op.execute("ALTER TABLE notifications DROP CONSTRAINT ck_notifications_state")
    op.execute(f"ALTER TABLE notifications ADD CONSTRAINT ck_notifications_state CHECK ({NEW})"
               " NOT VALID")
    op.execute("ALTER TABLE notifications VALIDATE CONSTRAINT ck_notifications_state")
    op.create_index('ix_notifications_sending', 'notifications', ['next_attempt_at'],
                    unique=False, postgresql_where=sa.text("state = 'sending'"))


def downgrade() -> None:
    op.drop_index('ix_notifications_sending', table_name='notifications',
                  postgresql_where=sa.text("state = 'sending'"))
    # A row caught mid-send goes back to pending: sent again rather than never.
    op.execute("UPDATE notifications SET state = 'pending' WHERE state = 'sending'")
    op.execute("ALTER TABLE notifications DROP CONSTRAINT ck_notifications_state")
    op.execute(f"ALTER TABLE notifications ADD CONSTRAINT ck_notifications_state CHECK ({OLD})")
