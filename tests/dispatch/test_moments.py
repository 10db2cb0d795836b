from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from dispatch.moments import ERA_END, ERA_START, moment_problem, offset_problem


def _at(hours: int, minutes: int = 0, seconds: int = 0) -> datetime:
    sign = -1 if hours < 0 else 1
    offset = sign * timedelta(hours=abs(hours), minutes=minutes, seconds=seconds)
    return datetime(2026, 11, 28, 10, 0, tzinfo=timezone(offset))


@pytest.mark.parametrize(("moment", "storable"), [
    (_at(15, 59, 59), True), (_at(-15, 59, 59), True), (_at(16), False), (_at(-16), False),
    (_at(23, 59), False), (_at(9), True), (datetime(2026, 11, 28), True),
])
def test_offsets_postgres_stores_are_those_below_sixteen_hours(moment, storable):
    assert (offset_problem(moment) is None) is storable


@pytest.mark.parametrize(("moment", "problem"), [
    (datetime(2026, 11, 28, tzinfo=UTC), None),
    (datetime(1, 1, 1, tzinfo=ZoneInfo("Asia/Seoul")), "must be between"),
    (datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))), "must be between"),
    (_at(23, 59), "UTC offset"),
    (datetime(1999, 12, 31, 23, 0), "must be between"),   # naive: read as UTC
    # Midnight in Seoul is 15:00 UTC the day before: the refusal names the window in UTC.
    (datetime(2000, 1, 1, tzinfo=ZoneInfo("Asia/Seoul")),
     "must be between 2000-01-01T00:00Z and 2100-01-01T00:00Z (UTC)"),
])
def test_a_moment_outside_the_era_or_with_a_bad_offset_has_a_problem(moment, problem):
    found = moment_problem(moment, ERA_START, ERA_END)
    assert (found is None) if problem is None else problem in found
