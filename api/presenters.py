"""Turning domain objects into the dictionaries the schemas document."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import object_session

from dispatch.areas import describe_areas, office_phone_or_fallback
from dispatch.attributes import datatype
from dispatch.categories import cached_categories, public_attributes
from dispatch.events import event_place
from dispatch.i18n import pick_name
from dispatch.models import Category, Complaint
from dispatch.site import known_site
from dispatch.stats import OPEN_STATUSES
from dispatch.workflow import OUTCOME_CODES

OPEN_VALUES = {status.value for status in OPEN_STATUSES}


def local_time(value: datetime | None, timezone: str) -> datetime | None:
    """Return ``value`` in the display time zone (stored times are UTC)."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(timezone)).replace(microsecond=0)


def named(code: str, names: dict, language: str, default: str = "") -> dict:
    """Return ``{"code", "name"}`` with the name in ``language``."""
    return {"code": code, "name": pick_name(names, language, default)}


def complaint_public(complaint: Complaint, language: str, timezone: str) -> dict:
    """The public view of a complaint: no phone, no reporter's language, no internal notes."""
    point = to_shape(complaint.location)
    # Names come from per-process caches, not from joins: this runs on every intake.
    session = object_session(complaint)
    district, dong = describe_areas(session, complaint.district_code, complaint.dong_code)
    category = cached_categories(session).get(complaint.category_code)
    category_names = category.names if category else complaint.category.names
    district_name = pick_name(district.names, language, district.name)
    dong_name = pick_name(dong.names, language, dong.name)
    return {
        "public_id": complaint.public_id,
        "status": complaint.status,
        "category": named(complaint.category_code, category_names, language),
        "description": complaint.description,
        # With no address given, the district and dong names serve as the readable address.
        "address": complaint.address or f"{district_name} {dong_name}",
        "location": {"type": "Point", "coordinates": [point.x, point.y]},
        "district": {"code": district.code, "name": district_name},
        "dong": {"code": dong.code, "name": dong_name},
        # The same number the texts give: the office's, else 120 (which connects every office).
        "district_office_phone": office_phone_or_fallback(district),
        "routing_distance_m": complaint.routing_distance_m,
        "priority": complaint.priority,
        "channel": complaint.channel,
        "attributes": public_attributes(category, complaint.attributes),
        # The outcome code of a closed complaint (a cancel records none the reporter needs).
        "outcome": complaint.outcome if complaint.outcome in OUTCOME_CODES else None,
        "due_at": local_time(complaint.due_at, timezone),
        "created_at": local_time(complaint.created_at, timezone),
        "updated_at": local_time(complaint.updated_at, timezone),
        "version": complaint.version,
    }


def category_view(category: Category, language: str) -> dict:
    """A category with names and attribute labels in ``language``."""
    return {
        "code": category.code,
        "name": pick_name(category.names, language),
        "names": category.names,
        "description": pick_name(category.descriptions, language),
        "group": category.group,
        "icon": category.icon,
        "priority": category.priority,
        "sla_minutes": category.sla_minutes,
        "duplicate_radius_m": category.duplicate_radius_m,
        "attributes": [attribute_view(spec, language) for spec in category.attributes or []],
    }


def attribute_view(spec: dict, language: str) -> dict:
    """An attribute spec with its name, datatype and list values named in ``language``."""
    return {**{k: v for k, v in spec.items() if k not in ("names", "values")},
            "name": pick_name(spec.get("names"), language, spec["code"]),
            "datatype": datatype(spec),
            "values": [{"key": str(value["key"]),
                        "name": pick_name(value.get("names"), language, str(value["key"]))}
                       for value in spec.get("values") or []]}


def event_view(event, timezone: str, *, internal: bool, site: tuple[float, float] | None = None,
               max_distance_m: float = 0.0) -> dict:
    """One history entry; ``internal`` adds the staff-only note, the actor and where it was.

    ``site`` (the complaint's lon, lat) and ``max_distance_m`` are needed with ``internal``:
    the actor's position is staff-only (an inspector's whereabouts), never in the timeline.
    """
    view = {"at": local_time(event.at, timezone), "kind": event.kind,
            "from_status": event.from_status, "to_status": event.to_status,
            "public_note": event.public_note}
    if internal:
        place = event_place(event, site, max_distance_m)
        view.update(internal_note=event.internal_note, actor_kind=event.actor_kind,
                    actor_id=event.actor_id, data=event.data or {},
                    location={"type": "Point", "coordinates": list(place.lonlat)}
                    if place.lonlat else None,
                    distance_m=place.distance_m, flags=list(place.flags))
    return view


def category_named(session, code: str, language: str) -> dict:
    """``{"code", "name"}`` of a category from the per-process cache."""
    rules = cached_categories(session).get(code)
    return named(code, rules.names if rules else {}, language, code)


def complaint_staff(complaint: Complaint, staff, language: str, timezone: str, *,
                    max_distance_m: float) -> dict:
    """The staff view: the public one plus assignment, history, photos and (if allowed) phone.

    ``max_distance_m``: an ``on_site`` event farther than this from the spot is flagged.
    """
    from datetime import UTC, datetime

    from dispatch import workflow
    from dispatch.photos import photo_summary
    from notify.phones import mask_phone

    session = object_session(complaint)
    view = complaint_public(complaint, language, timezone)
    site = known_site(complaint)  # None for a report by text: no spot to measure from
    phone = complaint.reporter_phone
    if phone and not workflow.may_see_phone(staff, complaint):
        phone = mask_phone(phone)
    parent = session.get(Complaint, complaint.parent_id) if complaint.parent_id else None
    children = session.scalars(select(Complaint.public_id).where(
        Complaint.parent_id == complaint.id)).all()
    view.update(
        assignee_id=complaint.assignee_id, outcome=complaint.outcome,
        closed_at=local_time(complaint.closed_at, timezone),
        parent=parent.public_id if parent else None, duplicates=list(children),
        reporter_phone=phone, language=complaint.reporter_language,
        attributes=complaint.attributes or {},  # private ones too: staff act on them
        location_precision=complaint.location_precision,
        photos=photo_summary(session, complaint),
        overdue=complaint.status in OPEN_VALUES and complaint.due_at < datetime.now(UTC),
        history=[event_view(event, timezone, internal=True, site=site,
                            max_distance_m=max_distance_m) for event in complaint.events],
        allowed_moves=workflow.allowed_moves(staff, complaint),
    )
    return view


def queue_item(row, language: str, timezone: str, viewer=None) -> dict:
    """One line of a queue from a ``list_queue`` row, for ``viewer`` (a member of staff).

    The reporter's phone is there only for whom it may be shown (the assignee, the district's
    supervisor), so the inspector on site can call back; everyone else gets none. The
    description and every attribute (a vehicle plate too, as in the staff view) are there
    because the field app works from this line, offline as well: it is what the inspector reads.
    """
    from dispatch.workflow import may_see_phone

    complaint = row[0]
    session = object_session(complaint)
    district, dong = describe_areas(session, complaint.district_code, complaint.dong_code)
    point = to_shape(complaint.location)
    return {
        "public_id": complaint.public_id, "status": complaint.status,
        "category": category_named(session, complaint.category_code, language),
        "dong": {"code": dong.code, "name": pick_name(dong.names, language, dong.name)},
        "district_code": district.code,
        "address": complaint.address or pick_name(dong.names, language, dong.name),
        "description": complaint.description,
        "attributes": complaint.attributes or {},  # private ones too: staff act on them
        "location": {"type": "Point", "coordinates": [point.x, point.y]},
        "location_precision": complaint.location_precision,
        "due_at": local_time(complaint.due_at, timezone), "overdue": bool(row.overdue),
        "priority": complaint.priority, "assignee_id": complaint.assignee_id,
        "distance_m": round(row.distance_m, 1) if row.distance_m is not None else None,
        "version": complaint.version, "report_photos": row.report_photos,
        "reporter_phone": complaint.reporter_phone if viewer is not None
        and may_see_phone(viewer, complaint) else None,
    }
