"""Wake the outbox relay: NOTIFY dasan_outbox when a statement inserts outbox rows.

Revision ID: b7d2e4f1a9c3
Revises: 4c1f0a7e2b19
Create Date: 2026-11-29 05:00:00.000000+00:00
"""

from alembic import op


revision = 'b7d2e4f1a9c3'
down_revision = '4c1f0a7e2b19'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Statement level: one NOTIFY per INSERT statement, and PostgreSQL folds identical
    # notifications of one transaction into one, delivered only at its commit.
    op.execute("""
        CREATE OR REPLACE FUNCTION dasan_outbox_wake() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('dasan_outbox', '');
            RETURN NULL;
        END
        $$
    """)
    op.execute("""
        CREATE TRIGGER notifications_wake_outbox AFTER INSERT ON notifications
        FOR EACH STATEMENT EXECUTE FUNCTION dasan_outbox_wake()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS notifications_wake_outbox ON notifications")
    op.execute("DROP FUNCTION IF EXISTS dasan_outbox_wake()")
