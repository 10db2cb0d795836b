"""What the live map streams: complaint events after a given id, with the complaint's state."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dispatch import models
from dispatch.models import Complaint, ComplaintEvent

OPEN_STATUSES = {status.value for status in models.OPEN_STATUSES}


@dataclass(frozen=True)
class LiveEvent:
    """One change as the map needs it (no personal data)."""

    id: int
    kind: str
    public_id: str
    status: str
    category: str
    district: str
    lon: float
    lat: float
    priority: int
    due_at: datetime | None
    at: datetime
    # A transfer names both districts; ``left_district`` tells a district's stream that the
    # complaint is no longer its own (its map drops the marker).
    from_district: str | None = None
    to_district: str | None = None
    left_district: bool = False


def latest_event_id(session: Session) -> int:
    """Return the newest event id (0 when there is none)."""
    return session.scalar(select(func.coalesce(func.max(ComplaintEvent.id), 0))) or 0


def fresh_start_id(session: Session, lookback: float | None = None,
                   now: datetime | None = None) -> int:
    """Where a stream without Last-Event-ID starts: the newest event older than the look-back.

    Starting exactly at max(id) would skip an event with a lower id that commits a moment
    later; starting a look-back earlier re-sends at most a few seconds of events, which the
    map takes again harmlessly. Reads the primary key backwards, stopping at the first match.
    """
    lookback = LOOKBACK_SECONDS if lookback is None else lookback
    cut = (now or datetime.now(UTC)) - timedelta(seconds=lookback)
    return session.scalar(select(ComplaintEvent.id).where(ComplaintEvent.at < cut)
                          .order_by(ComplaintEvent.id.desc()).limit(1)) or 0


def _read_events(session: Session, ids: list[int],
                 district_code: str | None) -> list[LiveEvent]:
    from_district = ComplaintEvent.data["from_district"].astext
    to_district = ComplaintEvent.data["to_district"].astext
    query = (
        select(ComplaintEvent.id, ComplaintEvent.kind, ComplaintEvent.at, Complaint.public_id,
               Complaint.status, Complaint.category_code, Complaint.district_code,
               func.ST_X(Complaint.location), func.ST_Y(Complaint.location),
               Complaint.priority, Complaint.due_at, from_district, to_district)
        .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(ComplaintEvent.id.in_(ids))
        .order_by(ComplaintEvent.id)
    )
    if district_code is not None:
        # A transfer out is news to the old district too: otherwise its map keeps a marker
        # for a complaint it can no longer see.
        query = query.where(or_(Complaint.district_code == district_code,
                                from_district == district_code))
    return [LiveEvent(id=row[0], kind=row[1], at=row[2], public_id=row[3], status=row[4],
                      category=row[5], district=row[6], lon=float(row[7]), lat=float(row[8]),
                      priority=row[9], due_at=row[10], from_district=row[11],
                      to_district=row[12],
                      left_district=district_code is not None and row[6] != district_code)
            for row in session.execute(query)]


# Event ids come from a sequence when a row is written, but rows become visible when their
# transaction commits: id 41 may appear after id 42 has been read. Ids above the floor are
# looked at again for this long before they count as final.
LOOKBACK_SECONDS = 3.0
# How many ids one look may return; a longer backlog is read over the following polls.
WINDOW_IDS = 10_000


class LiveCursor:
    """Reads each new event once, also one committed after a higher id was already read.

    Polling the table by id works with any number of web workers (every stream reads the same
    table). Ids at or below ``floor`` are final; ids above it already read are in ``seen``.
    """

    def __init__(self, after_id: int, district_code: str | None = None, *, batch: int = 200,
                 lookback: float = LOOKBACK_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.floor = after_id
        self.district_code = district_code
        self.batch = batch
        self.lookback = lookback
        self.clock = clock
        self.seen: set[int] = set()
        self._marks: deque[tuple[float, int]] = deque()  # (when, highest id read by then)

    @property
    def resume_id(self) -> int:
        """Where a reconnecting stream may start without missing an event: the floor.

        Every id at or below it is final and was read; ids above it may still be joined by
        a lower one committing late, so a resume from there re-reads them (at most the
        look-back's worth is sent twice, never one lost).
        """
        return self.floor

    @property
    def last_id(self) -> int:
        """The highest id read so far (what a reconnecting browser sends as Last-Event-ID)."""
        return max(self.seen, default=self.floor)

    def poll(self, session: Session) -> list[LiveEvent]:
        """Return the events not read before, oldest first (at most ``batch``)."""
        now = self.clock()
        ids = session.scalars(select(ComplaintEvent.id).where(ComplaintEvent.id > self.floor)
                              .order_by(ComplaintEvent.id).limit(WINDOW_IDS)).all()
        pending = [event_id for event_id in ids if event_id not in self.seen]
        taken, backlog = pending[:self.batch], pending[self.batch:]
        events = _read_events(session, taken, self.district_code) if taken else []
        # Other districts' ids count as read too: they are looked at, not sent.
        self.seen.update(taken)
        self._marks.append((now, self.last_id))
        self._advance_floor(now, backlog[0] - 1 if backlog else None)
        return events

    def _advance_floor(self, now: float, below_backlog: int | None) -> None:
        final = None
        while self._marks and now - self._marks[0][0] >= self.lookback:
            final = self._marks.popleft()[1]
        if final is None:
            return
        if below_backlog is not None:
            final = min(final, below_backlog)  # never step over an id not yet sent
        if final > self.floor:
            self.floor = final
            self.seen = {event_id for event_id in self.seen if event_id > final}
