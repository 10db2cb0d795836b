"""Turning domain objects into the dictionaries the schemas document."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from geoalchemy2.shape import to_shape
from sqlalchemy.orm import object_session

from dispatch.areas import describe_areas
from dispatch.categories import cached_categories
from dispatch.i18n import pick_name
from dispatch.models import Category, Complaint


def local_time(value: datetime | None, timezone: str) -> datetime | None:
    """Return ``value`` in the display time zone (stored times are UTC)."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(timezone)).replace(microsecond=0)


def named(code: str, names: dict, language: str, default: str = "") -> dict:
    """Return ``{"code", "name"}`` with the name in ``language``."""
    return {"code": code, "name": pick_name(names, language, default)}


def complaint_public(complaint: Complaint, language: str, timezone: str) -> dict:
    """The public view of a complaint: no phone, no internal notes."""
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
        "district_office_phone": district.office_phone,
        "routing_distance_m": complaint.routing_distance_m,
        "priority": complaint.priority,
        "channel": complaint.channel,
        "language": complaint.reporter_language,
        "attributes": complaint.attributes or {},
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
        "attributes": [
            {**{k: v for k, v in spec.items() if k != "names"},
             "name": pick_name(spec.get("names"), language, spec["code"])}
            for spec in category.attributes or []
        ],
    }
