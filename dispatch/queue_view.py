"""Queues for staff, nearby open complaints for citizens, and assignment suggestions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import Float, and_, case, cast, func, null, select
from sqlalchemy.orm import Session

from dispatch.errors import Forbidden
from dispatch.models import Complaint, ComplaintPhoto, ComplaintStatus, PhotoKind, Staff
from dispatch.workflow import OPEN

S = ComplaintStatus
# What a district's queue shows when no status is asked for: everything still to do.
DEFAULT_QUEUE = (S.DISPATCHED, S.TRANSFERRED, S.ASSIGNED, S.ON_SITE)


@dataclass(frozen=True)
class QueueFilter:
    """A queue request, already narrowed to what the caller may see."""

    district: str | None
    statuses: tuple[str, ...]
    category: str | None = None
    dong: str | None = None
    overdue: bool | None = None
    assignee_id: int | None = None
    near: tuple[float, float] | None = None
    sort: str = "due"
    limit: int = 50
    offset: int = 0

    @classmethod
    def for_staff(cls, staff: Staff, args: dict) -> QueueFilter:
        """Build the filter from query arguments for ``staff``.

        :raises Forbidden: an inspector or supervisor asking for another district.
        """
        district = args.get("district")
        if not staff.is_city_wide:
            if district and district != staff.district_code:
                raise Forbidden("you can see only your own district's queue")
            district = staff.district_code
        near = (args["lon"], args["lat"]) if "lon" in args and "lat" in args else None
        sort = args.get("sort", "due")
        if sort == "distance" and near is None:
            near = _staff_position(staff)
            if near is None:
                sort = "due"
        return cls(district=district,
                   statuses=tuple(args.get("status") or [s.value for s in DEFAULT_QUEUE]),
                   category=args.get("category"), dong=args.get("dong"),
                   overdue=args.get("overdue"),
                   assignee_id=staff.id if args.get("mine") else None,
                   near=near, sort=sort, limit=args.get("limit", 50),
                   offset=args.get("offset", 0))


def _staff_position(staff: Staff) -> tuple[float, float] | None:
    if staff.last_location is None:
        return None
    from geoalchemy2.shape import to_shape

    point = to_shape(staff.last_location)
    return point.x, point.y


def _point(lonlat: tuple[float, float]):
    return func.ST_SetSRID(func.ST_MakePoint(lonlat[0], lonlat[1]), 4326)


def list_queue(session: Session, filters: QueueFilter,
               now: datetime | None = None) -> tuple[list, int]:
    """Return (rows, total): complaints of the queue, ordered by due time or distance."""
    now = now or datetime.now(UTC)
    conditions = [Complaint.status.in_(filters.statuses)]
    if filters.district:
        conditions.append(Complaint.district_code == filters.district)
    if filters.category:
        conditions.append(Complaint.category_code == filters.category)
    if filters.dong:
        conditions.append(Complaint.dong_code == filters.dong)
    if filters.overdue is True:
        conditions.append(Complaint.due_at < now)
    elif filters.overdue is False:
        conditions.append(Complaint.due_at >= now)
    if filters.assignee_id:
        conditions.append(Complaint.assignee_id == filters.assignee_id)
    distance = None
    if filters.near:
        point = _point(filters.near)
        distance = func.ST_Distance(func.Geography(Complaint.location), func.Geography(point))
    # The inspector sees at once which complaints come with the reporter's photos.
    report_photos = (select(func.count()).select_from(ComplaintPhoto)
                     .where(ComplaintPhoto.complaint_id == Complaint.id,
                            ComplaintPhoto.kind == PhotoKind.REPORT.value)
                     .correlate(Complaint).scalar_subquery())
    query = select(Complaint, (distance if distance is not None else cast(null(), Float))
                   .label("distance_m"), (Complaint.due_at < now).label("overdue"),
                   report_photos.label("report_photos"))
    query = query.where(*conditions)
    if filters.sort == "distance" and filters.near:
        # KNN on the GiST index, then exact ground distance for the answer.
        query = query.order_by(Complaint.location.op("<->")(_point(filters.near)), Complaint.id)
    else:
        query = query.order_by(Complaint.due_at, Complaint.priority, Complaint.id)
    rows = session.execute(query.limit(filters.limit).offset(filters.offset)).all()
    total = session.scalar(select(func.count()).select_from(Complaint).where(*conditions))
    return rows, total or 0


def nearby_open(session: Session, lon: float, lat: float, category: str | None,
                radius_m: int, limit: int = 20) -> list:
    """Open complaints within ``radius_m`` of a point, nearest first (no personal data)."""
    point = _point((lon, lat))
    distance = func.ST_Distance(func.Geography(Complaint.location), func.Geography(point))
    query = (select(Complaint.public_id, Complaint.status, Complaint.category_code,
                    Complaint.created_at, func.ST_X(Complaint.location).label("lon"),
                    func.ST_Y(Complaint.location).label("lat"), distance.label("distance_m"))
             .where(Complaint.status.in_([s.value for s in OPEN if s != S.RECEIVED]),
                    Complaint.parent_id.is_(None),
                    Complaint.location.op("&&")(func.ST_Expand(point, radius_m / 80_000)),
                    func.ST_DWithin(func.Geography(Complaint.location), func.Geography(point),
                                    radius_m))
             .order_by(distance).limit(limit))
    if category:
        query = query.where(Complaint.category_code == category)
    return session.execute(query).all()


# How many of the on-duty inspectors are marked as suggested (the top of the ranking).
SUGGESTED = 5


def suggest_assignees(session: Session, complaint: Complaint, *, fresh_minutes: int,
                      now: datetime | None = None) -> list[dict]:
    """Every active inspector of the complaint's district, those on duty first.

    On duty means on_duty and a position reported within ``fresh_minutes``: the flag alone
    stays true after an inspector closes the app, so a stale one would rank first forever.
    On-duty inspectors are ranked by open assignments, then distance; the first
    ``SUGGESTED`` of them are suggested. The rest follow by load and name, without a
    distance (an old position says nothing of where they are now).
    """
    now = now or datetime.now(UTC)
    load = (select(func.count()).select_from(Complaint)
            .where(Complaint.assignee_id == Staff.id,
                   Complaint.status.in_([S.ASSIGNED.value, S.ON_SITE.value]))
            .scalar_subquery())
    from geoalchemy2.shape import to_shape

    site = to_shape(complaint.location)
    # Never NULL (it sorts): no position at all is off duty too.
    on_duty = and_(Staff.on_duty.is_(True), Staff.last_seen_at.is_not(None),
                   Staff.last_seen_at >= now - timedelta(minutes=fresh_minutes))
    distance = case((on_duty, func.ST_Distance(func.Geography(Staff.last_location),
                                               func.Geography(_point((site.x, site.y))))))
    rows = session.execute(
        select(Staff.id, Staff.display_name, load.label("load"),
               distance.label("distance_m"), on_duty.label("on_duty"))
        .where(Staff.role == "inspector", Staff.active.is_(True),
               Staff.district_code == complaint.district_code)
        .order_by(on_duty.desc(), load, distance.nulls_last(), Staff.display_name, Staff.id)
    ).all()
    return [{"staff_id": row.id, "display_name": row.display_name,
             "open_assignments": row.load,
             "distance_m": round(row.distance_m, 1) if row.distance_m is not None else None,
             "on_duty": bool(row.on_duty), "suggested": bool(row.on_duty) and rank < SUGGESTED}
            for rank, row in enumerate(rows)]


def record_position(session: Session, staff: Staff, lonlat: tuple[float, float],
                    on_duty: bool) -> None:
    """Store a member of staff's last position and duty state."""
    staff.last_location = from_shape(Point(*lonlat), srid=4326)
    staff.last_seen_at = datetime.now(UTC)
    staff.on_duty = on_duty
    session.flush()
