"""Usernames unique whatever their case: a unique index on lower(username).

RVIN_ADMIN could be made beside rvin_admin, a look-alike account. Old databases may hold
such pairs already: the migration must not fail on them, and renaming an account would lock
its owner out. So the accounts are kept and only new ones are prevented: the oldest account
of each group is in the index, the later ones (listed in a warning) are left out of it by
the index's WHERE, so no further account of that name can be made. Login prefers the exact
spelling (``dispatch.staff.find_by_username``), so each kept account can still log in.

Revision ID: c8e0a2b4d6f7
Revises: c8e2f4a6b0d1
Create Date: 2026-11-29 12:00:00.000000+00:00
"""

import logging

from alembic import op
import sqlalchemy as sa


revision = 'c8e0a2b4d6f7'
down_revision = 'c8e2f4a6b0d1'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    later = op.get_bind().execute(sa.text("""
        SELECT id, username FROM (
            SELECT id, username,
                   row_number() OVER (PARTITION BY lower(username) ORDER BY id) AS n
            FROM staff) AS ranked
        WHERE n > 1 ORDER BY id""")).all()
    where = None
    if later:
        log.warning("usernames differing only in case are kept (the oldest of each name is "
                    "unique; rename or disable the others): %s",
                    ", ".join(f"{row.username} (id {row.id})" for row in later))
        ids = ", ".join(str(int(row.id)) for row in later)
        where = sa.text(f"id NOT IN ({ids})")
    op.create_index('uq_staff_username_lower', 'staff', [sa.text('lower(username)')],
                    unique=True, postgresql_where=where)


def downgrade() -> None:
    op.drop_index('uq_staff_username_lower', table_name='staff')
