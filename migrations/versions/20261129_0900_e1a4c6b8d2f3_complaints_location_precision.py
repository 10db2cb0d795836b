"""Complaints know how precise their location is: a point, or only the dong (reports by text).

Revision ID: e1a4c6b8d2f3
Revises: d5f1b7c9e2a4
Create Date: 2026-11-29 09:00:00.000000+00:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'e1a4c6b8d2f3'
down_revision = 'd5f1b7c9e2a4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table.
    op.add_column('complaints', sa.Column('location_precision', sa.String(length=8),
                                          server_default='point', nullable=False))
    # NOT VALID, then VALIDATE after the commit: validating a million rows while holding the
    # ALTER's ACCESS EXCLUSIVE lock would stop every read and write of complaints meanwhile;
    # VALIDATE takes a lock that lets them go on.
    op.create_check_constraint(op.f('ck_complaints_location_precision'), 'complaints',
                               "location_precision IN ('point', 'dong')",
                               postgresql_not_valid=True)
    with op.get_context().autocommit_block():
        op.execute("ALTER TABLE complaints VALIDATE CONSTRAINT ck_complaints_location_precision")


def downgrade() -> None:
    op.drop_constraint(op.f('ck_complaints_location_precision'), 'complaints', type_='check')
    op.drop_column('complaints', 'location_precision')
