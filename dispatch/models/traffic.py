"""Traffic and location information: road links, speed readings, incidents, facilities."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db import Base
from dispatch.moments import ERA_END, ERA_START, sql_literal
from geo.crs import WGS84


class CongestionLevel(StrEnum):
    """How a link flows; ``unknown`` when a reading has no speed and no feed level."""

    FREE = "free"
    SLOW = "slow"
    JAMMED = "jammed"
    UNKNOWN = "unknown"


class IncidentKind(StrEnum):
    """What an incident is."""

    ACCIDENT = "accident"
    WORKS = "works"
    EVENT = "event"
    CLOSURE = "closure"


class FacilityKind(StrEnum):
    """Kinds of public facility the location view can search."""

    TOILET = "toilet"
    DISTRICT_OFFICE = "district_office"
    COMMUNITY_CENTRE = "community_centre"
    PARKING = "parking"
    POLICE = "police"
    HOSPITAL = "hospital"


def _check_in(column: str, enum: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(m.value) for m in enum)})"


class RoadLink(Base):
    """A directed road link (e.g. a TOPIS service link) with its polyline."""

    __tablename__ = "road_links"

    link_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    names: Mapped[dict] = mapped_column(JSONB, default=dict)
    road_class: Mapped[str] = mapped_column(String(32), default="arterial")
    direction: Mapped[str | None] = mapped_column(String(64))
    path = mapped_column(Geometry("LINESTRING", srid=WGS84, spatial_index=True),
                         nullable=False)
    source: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


class TrafficReading(Base):
    """One speed observation of one link; kept for ``traffic_history_days``."""

    __tablename__ = "traffic_readings"

    link_id: Mapped[str] = mapped_column(
        ForeignKey("road_links.link_id", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    travel_time_s: Mapped[float | None] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        CheckConstraint(_check_in("level", CongestionLevel), name="level"),
        # Staleness and pruning look at the newest and oldest readings overall.
        Index("ix_traffic_readings_observed_at", "observed_at"),
    )


class Incident(Base):
    """An accident, works, event or closure, valid for a window, with an optional detour."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    area = mapped_column(Geometry("GEOMETRY", srid=WGS84, spatial_index=True), nullable=False)
    detour = mapped_column(Geometry("LINESTRING", srid=WGS84, spatial_index=False))
    descriptions: Mapped[dict] = mapped_column(JSONB, default=dict)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now())

    __table_args__ = (
        CheckConstraint(_check_in("kind", IncidentKind), name="kind"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="window"),
        # The API's era (dispatch/moments.py): a far time (year 10000) psycopg2 could not
        # read back, which made every public incident list fail.
        CheckConstraint(f"starts_at >= {sql_literal(ERA_START)} AND starts_at <= "
                        f"{sql_literal(ERA_END)} AND (ends_at IS NULL OR ends_at <= "
                        f"{sql_literal(ERA_END)})", name="in_era"),
        Index("ix_incidents_ends_at", "ends_at"),
    )


class Facility(Base):
    """A public facility point (toilet, district office, community centre, …)."""

    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    names: Mapped[dict] = mapped_column(JSONB, default=dict)
    address: Mapped[str | None] = mapped_column(Text)
    location = mapped_column(Geometry("POINT", srid=WGS84, spatial_index=True), nullable=False)
    district_code: Mapped[str | None] = mapped_column(String(16))
    dong_code: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now())

    __table_args__ = (
        CheckConstraint(_check_in("kind", FacilityKind), name="kind"),
        UniqueConstraint("source", "source_id", name="uq_facilities_source_source_id"),
        Index("ix_facilities_kind", "kind"),
    )
