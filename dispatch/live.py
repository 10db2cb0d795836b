"""What the live map streams: complaint events after a given id, with the complaint's state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
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


def latest_event_id(session: Session) -> int:
    """Return the newest event id (0 when there is none): a new stream starts after it."""
    return session.scalar(select(func.coalesce(func.max(ComplaintEvent.id), 0))) or 0


def events_after(session: Session, last_id: int, district_code: str | None = None,
                 limit: int = 200) -> list[LiveEvent]:
    """Return up to ``limit`` events with an id above ``last_id``, oldest first.

    Polling by id works with any number of web workers: every stream reads the same table.
    """
    query = (
        select(ComplaintEvent.id, ComplaintEvent.kind, ComplaintEvent.at, Complaint.public_id,
               Complaint.status, Complaint.category_code, Complaint.district_code,
               func.ST_X(Complaint.location), func.ST_Y(Complaint.location),
               Complaint.priority, Complaint.due_at)
        .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(ComplaintEvent.id > last_id)
        .order_by(ComplaintEvent.id)
        .limit(limit)
    )
    if district_code is not None:
        query = query.where(Complaint.district_code == district_code)
    return [LiveEvent(id=row[0], kind=row[1], at=row[2], public_id=row[3], status=row[4],
                      category=row[5], district=row[6], lon=float(row[7]), lat=float(row[8]),
                      priority=row[9], due_at=row[10])
            for row in session.execute(query)]
