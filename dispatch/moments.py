"""The one rule for moments taken from outside: a storable UTC offset, inside a sane window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# PostgreSQL refuses a UTC offset of 16 hours or more (22009); Python accepts up to ±23:59,
# so such a value would reach the SQL and fail there.
OFFSET_LIMIT = timedelta(hours=16)

# Periods and incident windows must lie in the service's era: far dates are mistakes, and
# historic time-zone offsets (seconds-precise LMT) are not valid RFC 3339.
ERA_START = datetime(2000, 1, 1, tzinfo=UTC)
ERA_END = datetime(2100, 1, 1, tzinfo=UTC)
# The earliest capture time a photo's EXIF may give (digital cameras wrote EXIF from 1995).
CAPTURE_START = datetime(1990, 1, 1, tzinfo=UTC)


def sql_literal(moment: datetime) -> str:
    """``moment`` as a timestamptz literal for a CHECK constraint (offset included)."""
    return f"'{moment.isoformat()}'"


def offset_problem(moment: datetime) -> str | None:
    """Why PostgreSQL cannot store ``moment``'s UTC offset, or None when it can."""
    offset = moment.utcoffset()
    if offset is not None and abs(offset) >= OFFSET_LIMIT:
        return "has a UTC offset beyond ±15:59"
    return None


def moment_problem(moment: datetime, earliest: datetime, latest: datetime) -> str | None:
    """Why ``moment`` cannot be taken, or None: an offset PostgreSQL refuses, or outside
    ``earliest`` .. ``latest`` (both aware; a naive ``moment`` is read as UTC).

    Far dates are not only mistakes: PostgreSQL stores years psycopg2 cannot read back
    (year 0 BC, 10000), so one such row would break every later read of it.
    """
    problem = offset_problem(moment)
    if problem:
        return problem
    aware = moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)
    if not earliest <= aware <= latest:
        # The window is of instants, so name it in UTC: "between 2000-01-01 and …" read as a
        # local date refused 2000-01-01 in Seoul (15:00 UTC the day before) without saying why.
        return (f"must be between {earliest.astimezone(UTC):%Y-%m-%dT%H:%MZ} and "
                f"{latest.astimezone(UTC):%Y-%m-%dT%H:%MZ} (UTC)")
    return None
