"""Mark the vehicle plate attribute private in databases loaded before the flag existed.

The sample categories are loaded only into an empty table now, so a database loaded earlier
would keep publishing plates; this sets the flag where the attribute exists.

Revision ID: b4d7f9a1c3e6
Revises: a3c6e8f0b2d5
Create Date: 2026-11-29 10:40:00.000000+00:00
"""

from alembic import op


revision = 'b4d7f9a1c3e6'
down_revision = 'a3c6e8f0b2d5'
branch_labels = None
depends_on = None


def _set_private(value: str) -> None:
    op.execute(f"""
        UPDATE categories SET attributes = (
            SELECT jsonb_agg(CASE WHEN spec->>'code' = 'vehicle_plate'
                                  THEN {value} ELSE spec END ORDER BY position)
            FROM jsonb_array_elements(attributes) WITH ORDINALITY AS a(spec, position))
        WHERE attributes @> '[{{"code": "vehicle_plate"}}]'
    """)


def upgrade() -> None:
    _set_private("""spec || '{"private": true}'""")


def downgrade() -> None:
    _set_private("spec - 'private'")
