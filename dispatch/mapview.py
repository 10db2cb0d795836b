"""The dispatcher's map: complaints in a bounding box, and grid clusters for the whole city."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Float, case, cast, func, select
from sqlalchemy.orm import Session

from dispatch.models import Complaint
from dispatch.stats import OPEN_STATUSES

OPEN = [status.value for status in OPEN_STATUSES]
MAX_FEATURES = 2000


@dataclass(frozen=True)
class MapFilter:
    """What the map shows: a box, statuses (default: open ones), and optional narrowing."""

    bbox: tuple[float, float, float, float] | None = None
    statuses: tuple[str, ...] = tuple(OPEN)
    category: str | None = None
    district: str | None = None
    overdue_only: bool = False
    since: datetime | None = None
    until: datetime | None = None


def _conditions(filters: MapFilter, now: datetime) -> list:
    conditions = [Complaint.status.in_(filters.statuses)]
    if filters.bbox:
        conditions.append(Complaint.location.op("&&")(
            func.ST_MakeEnvelope(*filters.bbox, 4326)))
    if filters.category:
        conditions.append(Complaint.category_code == filters.category)
    if filters.district:
        conditions.append(Complaint.district_code == filters.district)
    if filters.overdue_only:
        conditions.append(Complaint.due_at < now)
    if filters.since:
        conditions.append(Complaint.created_at >= filters.since)
    if filters.until:
        conditions.append(Complaint.created_at < filters.until)
    return conditions


def complaints_in_view(session: Session, filters: MapFilter, limit: int = MAX_FEATURES,
                       now: datetime | None = None) -> tuple[list, bool]:
    """Return (rows, truncated): the most urgent complaints in view, at most ``limit``.

    Rows carry public id, status, category, district, lon, lat, due time, priority and
    whether the complaint is overdue; never personal data.
    """
    now = now or datetime.now(UTC)
    query = (
        select(Complaint.public_id, Complaint.status, Complaint.category_code,
               Complaint.district_code, Complaint.priority, Complaint.due_at,
               Complaint.created_at,
               func.ST_X(Complaint.location).label("lon"),
               func.ST_Y(Complaint.location).label("lat"),
               (Complaint.due_at < now).label("overdue"))
        .where(*_conditions(filters, now))
        .order_by(Complaint.due_at, Complaint.id)
        .limit(limit + 1)
    )
    rows = session.execute(query).all()
    return rows[:limit], len(rows) > limit


def cluster_cell_degrees(zoom: int) -> float:
    """Grid cell size for a web-map zoom level: about 60 screen pixels per cell."""
    return 360.0 / (2 ** max(0, min(zoom, 20))) / 256 * 60


def clusters(session: Session, filters: MapFilter, cell_deg: float,
             now: datetime | None = None) -> list:
    """Group complaints in view into grid cells; each with its centroid and counts."""
    now = now or datetime.now(UTC)
    cell = func.ST_SnapToGrid(Complaint.location, cell_deg)
    query = (
        select(func.avg(func.ST_X(Complaint.location)).label("lon"),
               func.avg(func.ST_Y(Complaint.location)).label("lat"),
               func.count().label("count"),
               func.sum(case((Complaint.due_at < now, 1), else_=0)).label("overdue"),
               cast(func.min(Complaint.priority), Float).label("top_priority"))
        .where(*_conditions(filters, now))
        .group_by(cell)
    )
    return session.execute(query).all()
