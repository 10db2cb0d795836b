"""Incidents and detours: dispatchers create, edit and end them; expired ones drop out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from geoalchemy2.shape import from_shape
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dispatch.errors import InvalidIncident, NotFound, TooManyVertices
from dispatch.models import Incident, IncidentKind, Staff
from dispatch.moments import ERA_END, ERA_START, moment_problem
from dispatch.settings import LANGUAGES
from geo import errors as geo_errors
from geo.geojson import geometry_from_geojson

AREA_TYPES = ("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
              "MultiPolygon")
MAX_DESCRIPTION_CHARS = 2000
MAX_INCIDENTS_IN_VIEW = 1000
# A closure traced along streets needs hundreds of vertices, a detour route as many; more
# is a mistake or an attack, and each answer (and every list holding it) echoes them all.
MAX_AREA_VERTICES = 5000
MAX_DETOUR_VERTICES = 2000


@dataclass(frozen=True)
class IncidentRow:
    """An incident with its geometries as GeoJSON mappings."""

    incident: Incident
    area: dict
    detour: dict | None


def _geometry(value: Any, allowed: tuple[str, ...], max_vertices: int, field: str):
    try:
        return from_shape(geometry_from_geojson(value, allowed, max_vertices), srid=4326)
    except geo_errors.TooManyVertices as exc:
        raise TooManyVertices(str(exc), field=field, max_vertices=exc.limit) from exc
    except geo_errors.InvalidGeometry as exc:
        raise InvalidIncident(str(exc), field=field) from exc


def _area(value: Any):
    return _geometry(value, AREA_TYPES, MAX_AREA_VERTICES, "geometry")


def _detour(value: Any):
    return None if value is None else _geometry(value, ("LineString",),
                                                MAX_DETOUR_VERTICES, "detour")


def _descriptions(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise InvalidIncident("give a description in at least one language",
                              field="descriptions")
    cleaned = {}
    for language, text in value.items():
        if language not in LANGUAGES:
            raise InvalidIncident(f"unknown language {language!r}", field="descriptions")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_DESCRIPTION_CHARS:
            raise InvalidIncident(f"description in {language} must be 1-2000 characters",
                                  field="descriptions")
        cleaned[language] = text.strip()
    return cleaned


def _check_window(starts_at: datetime, ends_at: datetime | None) -> None:
    if starts_at.tzinfo is None or (ends_at is not None and ends_at.tzinfo is None):
        raise InvalidIncident("times must carry a time zone", field="starts_at")
    # A time PostgreSQL refuses, or stores beyond psycopg2's reach (year 10000), would make
    # the incident and every public list holding it unreadable.
    for name, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        problem = moment_problem(moment, ERA_START, ERA_END) if moment else None
        if problem:
            raise InvalidIncident(f"{name} {problem}", field=name)
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidIncident("ends_at must be after starts_at", field="ends_at")


def create_incident(session: Session, staff: Staff, *, kind: str, geometry: dict,
                    descriptions: dict, starts_at: datetime | None = None,
                    ends_at: datetime | None = None, detour: dict | None = None,
                    now: datetime | None = None) -> Incident:
    """Record a new incident; it shows from ``starts_at`` (default now) until ``ends_at``.

    :raises InvalidIncident: for an unknown kind, a bad geometry or detour, no
        description, or a window that ends before it starts.
    """
    if kind not in {k.value for k in IncidentKind}:
        raise InvalidIncident(f"unknown incident kind {kind!r}", field="kind")
    starts_at = starts_at or (now or datetime.now(UTC))
    _check_window(starts_at, ends_at)
    incident = Incident(kind=kind, area=_area(geometry), detour=_detour(detour),
                        descriptions=_descriptions(descriptions), starts_at=starts_at,
                        ends_at=ends_at, created_by=staff.id)
    session.add(incident)
    session.flush()
    return incident


def get_incident(session: Session, incident_id: int) -> Incident:
    """Return an incident by id, ended or not.

    :raises NotFound: when there is none.
    """
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} does not exist")
    return incident


_UNSET = object()


def update_incident(session: Session, incident_id: int, *, kind: str | None = None,
                    geometry: dict | None = None, descriptions: dict | None = None,
                    starts_at: datetime | None = None, ends_at: Any = _UNSET,
                    detour: Any = _UNSET) -> Incident:
    """Change some fields of an incident (``detour=None`` removes the detour).

    :raises NotFound: for an unknown id.
    :raises InvalidIncident: for a bad value, as in ``create_incident``.
    """
    incident = get_incident(session, incident_id)
    if kind is not None:
        if kind not in {k.value for k in IncidentKind}:
            raise InvalidIncident(f"unknown incident kind {kind!r}", field="kind")
        incident.kind = kind
    if geometry is not None:
        incident.area = _area(geometry)
    if descriptions is not None:
        incident.descriptions = _descriptions(descriptions)
    if detour is not _UNSET:
        incident.detour = _detour(detour)
    new_start = starts_at or incident.starts_at
    new_end = incident.ends_at if ends_at is _UNSET else ends_at
    _check_window(new_start, new_end)
    incident.starts_at, incident.ends_at = new_start, new_end
    session.flush()
    return incident


def end_incident(session: Session, incident_id: int, staff: Staff,
                 now: datetime | None = None) -> Incident:
    """End an incident now; ending one that already ended changes nothing.

    :raises NotFound: for an unknown id.
    """
    now = now or datetime.now(UTC)
    incident = get_incident(session, incident_id)
    if incident.ends_at is not None and incident.ends_at <= now:
        return incident
    if incident.starts_at >= now:  # never started: keep the window well-formed
        incident.starts_at = now - timedelta(seconds=1)
    incident.ends_at = now
    incident.ended_by = staff.id
    session.flush()
    return incident


def _active(now: datetime):
    return (Incident.starts_at <= now) & or_(Incident.ends_at.is_(None), Incident.ends_at > now)


def _rows(session: Session, query) -> list[IncidentRow]:
    query = query.add_columns(func.ST_AsGeoJSON(Incident.area, 6),
                              func.ST_AsGeoJSON(Incident.detour, 6))
    return [IncidentRow(incident, json.loads(area), json.loads(detour) if detour else None)
            for incident, area, detour in session.execute(query)]


def list_active_incidents(session: Session, bbox: tuple[float, float, float, float] | None,
                          now: datetime | None = None,
                          limit: int = MAX_INCIDENTS_IN_VIEW) -> list[IncidentRow]:
    """Return incidents valid now whose geometry or detour crosses the box."""
    now = now or datetime.now(UTC)
    query = select(Incident).where(_active(now))
    if bbox is not None:
        box = func.ST_MakeEnvelope(*bbox, 4326)
        query = query.where(or_(Incident.area.op("&&")(box), Incident.detour.op("&&")(box)))
    return _rows(session, query.order_by(Incident.starts_at.desc(), Incident.id).limit(limit))


def incidents_near(session: Session, lon: float, lat: float, radius_m: float,
                   now: datetime | None = None) -> list[IncidentRow]:
    """Return incidents valid now within ``radius_m`` metres of a point."""
    now = now or datetime.now(UTC)
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    near = func.ST_DWithin(func.Geography(Incident.area), func.Geography(point), radius_m)
    query = select(Incident).where(_active(now), near).order_by(
        func.ST_Distance(func.Geography(Incident.area), func.Geography(point)), Incident.id)
    return _rows(session, query.limit(50))


def incident_row(session: Session, incident: Incident) -> IncidentRow:
    """Return one incident with its geometries as GeoJSON."""
    return _rows(session, select(Incident).where(Incident.id == incident.id))[0]
