"""Quiet hours: when non-urgent texts wait until morning."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_quiet_hours(spec: str) -> tuple[time, time] | None:
    """Parse ``"22:00-08:00"`` into (start, end); empty means no quiet hours.

    :raises ValueError: for anything else.
    """
    spec = (spec or "").strip()
    if not spec:
        return None
    try:
        start_text, end_text = spec.split("-")
        start = time.fromisoformat(start_text.strip())
        end = time.fromisoformat(end_text.strip())
    except ValueError as exc:
        raise ValueError(f"{spec!r} is not HH:MM-HH:MM") from exc
    if start == end:
        raise ValueError("start and end must differ")
    return start, end


def hold_until(now: datetime, spec: str, timezone: str) -> datetime | None:
    """Return when a non-urgent message made at ``now`` may go out, or None if it may now."""
    window = parse_quiet_hours(spec)
    if window is None:
        return None
    start, end = window
    local = now.astimezone(ZoneInfo(timezone))
    clock = local.time()
    inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    release = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if release <= local:
        release += timedelta(days=1)
    return release.astimezone(now.tzinfo)
