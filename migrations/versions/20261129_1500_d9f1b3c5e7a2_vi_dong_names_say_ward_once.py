"""Vietnamese dong names say ward once: "Phường Yeoksam 1", not "Phường Yeoksam 1-dong".

The sample's area names are loaded only into empty tables, so a database loaded before the
fixture was corrected keeps the doubled form; this corrects it where the name has exactly
that shape ("Phường …-dong"), leaving other names (a city's own) alone.

Revision ID: d9f1b3c5e7a2
Revises: c8e0a2b4d6f7
Create Date: 2026-11-29 15:00:00.000000+00:00
"""

from alembic import op


revision = 'd9f1b3c5e7a2'
down_revision = 'c8e0a2b4d6f7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        UPDATE dongs SET names = jsonb_set(names, '{vi}', to_jsonb(left(names->>'vi', -5)))
        WHERE names->>'vi' LIKE 'Phường %-dong'
    """)


def downgrade() -> None:
    # Only the names this upgrade made: "Phường " + the English name less its "-dong" (the
    # sample's shape); a city's own "Phường …" names are left as they are.
    op.execute("""
        UPDATE dongs SET names = jsonb_set(names, '{vi}', to_jsonb((names->>'vi') || '-dong'))
        WHERE names->>'en' LIKE '%-dong'
          AND names->>'vi' = 'Phường ' || left(names->>'en', -5)
    """)
