"""Writing the event rows that make up a complaint's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy.orm import Session

from dispatch.models import Complaint, ComplaintEvent


@dataclass(frozen=True)
class Actor:
    """Who makes a change: ``citizen``, ``staff`` (with id), ``system`` or ``gateway``."""

    kind: str
    id: int | None = None

    @classmethod
    def system(cls) -> Actor:
        """The service itself (routing, scheduler)."""
        return cls("system")

    @classmethod
    def citizen(cls) -> Actor:
        """The anonymous reporter."""
        return cls("citizen")


def record_event(
    session: Session,
    complaint: Complaint,
    *,
    kind: str,
    actor: Actor,
    at: datetime,
    to_status: str | None = None,
    from_status: str | None = None,
    public_note: str | None = None,
    internal_note: str | None = None,
    lonlat: tuple[float, float] | None = None,
    data: dict | None = None,
) -> ComplaintEvent:
    """Add one event row for ``complaint`` (flushed with the session's next flush)."""
    event = ComplaintEvent(
        complaint=complaint,
        kind=kind,
        actor_kind=actor.kind,
        actor_id=actor.id,
        at=at,
        from_status=from_status,
        to_status=to_status,
        public_note=public_note,
        internal_note=internal_note,
        location=from_shape(Point(*lonlat), srid=4326) if lonlat else None,
        data=data or {},
    )
    session.add(event)
    # Same transaction: the messages this change causes are in the outbox iff it commits.
    from dispatch.notifications import plan_for_event

    plan_for_event(session, event)
    return event
