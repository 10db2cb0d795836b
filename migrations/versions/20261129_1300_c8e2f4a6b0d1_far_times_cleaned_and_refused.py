"""Far times cleaned and refused: photo capture times and incident windows psycopg2 can read.

An EXIF capture time of year 1 was stored as 0001 BC, an incident ending 9999-12-31 at
-14:00 as year 10000; psycopg2 cannot read either back, so such a row made its complaint
(staff view, photos, every move) or every public incident list answer 500. The API now
refuses or drops such times; this cleans rows stored before, and CHECKs keep them out.

- complaint_photos.taken_at outside 1990-01-01 .. 2100-01-01, or more than a day after the
  upload (the rule uploads now follow), becomes NULL: an unknown capture time.
- incidents: an end after 2100-01-01 becomes NULL (open-ended, as it was in effect); an end
  at or before 2000-01-01 becomes 2000-01-01 00:00:01 (ended, as it was); a start outside
  2000-01-01 .. 2100-01-01 is moved to the nearer bound.

Revision ID: c8e2f4a6b0d1
Revises: b7d9f1a3c5e8
Create Date: 2026-11-29 13:00:00.000000+00:00
"""

from alembic import op


revision = 'c8e2f4a6b0d1'
down_revision = 'b7d9f1a3c5e8'
branch_labels = None
depends_on = None

CAPTURE_START = "'1990-01-01T00:00:00+00:00'"
ERA_START = "'2000-01-01T00:00:00+00:00'"
ERA_END = "'2100-01-01T00:00:00+00:00'"

TAKEN_AT = (f"taken_at IS NULL OR (taken_at >= {CAPTURE_START} AND taken_at < {ERA_END})")
IN_ERA = (f"starts_at >= {ERA_START} AND starts_at <= {ERA_END} AND "
          f"(ends_at IS NULL OR ends_at <= {ERA_END})")


def upgrade() -> None:
    # The constraints first, NOT VALID: rows written from now on are checked, so none can
    # slip in between the clean-up and the VALIDATE below (which then cannot fail).
    op.create_check_constraint(op.f('ck_complaint_photos_taken_at_in_range'), 'complaint_photos',
                               TAKEN_AT, postgresql_not_valid=True)
    op.create_check_constraint(op.f('ck_incidents_in_era'), 'incidents', IN_ERA,
                               postgresql_not_valid=True)
    op.execute(f"""
        UPDATE complaint_photos SET taken_at = NULL
        WHERE taken_at < {CAPTURE_START} OR taken_at >= {ERA_END}
           OR taken_at > created_at + interval '1 day'
    """)
    # One statement per row: the NOT VALID check already applies to the rows it updates.
    # The clamped start stays before the end (ck_incidents_window): an end kept in the era
    # was after the old start and after 2000-01-01.
    op.execute(f"""
        UPDATE incidents SET
            starts_at = LEAST(GREATEST(starts_at, {ERA_START}), {ERA_END}),
            ends_at = CASE WHEN ends_at > {ERA_END} THEN NULL
                           WHEN ends_at <= {ERA_START}
                               THEN timestamptz {ERA_START} + interval '1 second'
                           ELSE ends_at END
        WHERE starts_at < {ERA_START} OR starts_at > {ERA_END}
           OR ends_at > {ERA_END} OR ends_at <= {ERA_START}
    """)
    # VALIDATE after the commit, under a lock that lets reads and writes go on.
    with op.get_context().autocommit_block():
        op.execute("ALTER TABLE complaint_photos "
                   "VALIDATE CONSTRAINT ck_complaint_photos_taken_at_in_range")
        op.execute("ALTER TABLE incidents VALIDATE CONSTRAINT ck_incidents_in_era")


def downgrade() -> None:
    # The cleaned times are not restored: they were unreadable.
    op.drop_constraint(op.f('ck_incidents_in_era'), 'incidents', type_='check')
    op.drop_constraint(op.f('ck_complaint_photos_taken_at_in_range'), 'complaint_photos',
                       type_='check')
