"""Writing the event rows that make up a complaint's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy.orm import Session

from dispatch.models import Complaint, ComplaintEvent, PhotoFlag
from dispatch.site import distance_from_site


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


# Only "on site" claims to be at the spot: other moves (accept, resolve) may be made from
# anywhere, so their position is shown but not judged.
CHECKED_KINDS = {"on_site"}


@dataclass(frozen=True)
class EventPlace:
    """Where an event was recorded: the actor's GPS, its distance from the spot, flags."""

    lonlat: tuple[float, float] | None = None
    distance_m: float | None = None
    flags: tuple[str, ...] = ()


def event_place(event: ComplaintEvent, site: tuple[float, float] | None,
                max_distance_m: float) -> EventPlace:
    """Return where ``event`` was recorded, relative to the complaint's ``site`` (lon, lat).

    An ``on_site`` event farther than ``max_distance_m`` (``DASAN_PHOTO_MAX_DISTANCE_M``, the
    same tolerance as evidence photos) is flagged ``far_from_site``. ``site`` None: the
    complaint knows no spot (a report by text stands for its whole dong), so the position is
    given without a distance or a judgement.
    """
    if event.location is None:
        return EventPlace()
    point = to_shape(event.location)
    distance, far = distance_from_site(site, (point.x, point.y), max_distance_m)
    flagged = far and event.kind in CHECKED_KINDS
    return EventPlace((point.x, point.y), distance,
                      (PhotoFlag.FAR_FROM_SITE.value,) if flagged else ())
