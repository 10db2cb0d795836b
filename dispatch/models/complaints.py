"""Complaints and their event history."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum, StrEnum

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base
from dispatch.models.areas import District, Dong
from dispatch.models.categories import Category
from geo.crs import WGS84


class ComplaintStatus(StrEnum):
    """Where a complaint is in its life (see docs/ARCHITECTURE.md for the moves)."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    ASSIGNED = "assigned"
    ON_SITE = "on_site"
    RESOLVED = "resolved"
    UNFOUNDED = "unfounded"
    REFERRED = "referred"
    TRANSFERRED = "transferred"
    DUPLICATE = "duplicate"
    CANCELLED = "cancelled"


# Statuses with work still to do: the one list queues, maps, KPIs and escalation use.
OPEN_STATUSES = (ComplaintStatus.RECEIVED, ComplaintStatus.DISPATCHED,
                 ComplaintStatus.TRANSFERRED, ComplaintStatus.ASSIGNED, ComplaintStatus.ON_SITE)


class LocationPrecision(StrEnum):
    """How exactly ``location`` marks the problem."""

    POINT = "point"  # a map tap, GPS or an agent's pin
    DONG = "dong"  # a report by text names only its dong: the point stands for the whole dong


class Channel(StrEnum):
    """How the complaint reached us."""

    PWA = "pwa"
    SMS = "sms"
    PHONE = "phone"
    OPEN311 = "open311"


def _check_in(column: str, enum: type[Enum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


class Complaint(Base):
    """A citizen's report of a problem at a place; its status moves through events."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(_check_in("status", ComplaintStatus), name="status"),
        CheckConstraint(_check_in("channel", Channel), name="channel"),
        CheckConstraint(_check_in("location_precision", LocationPrecision),
                        name="location_precision"),
        Index("ix_complaints_district_status_due", "district_code", "status", "due_at"),
        Index("ix_complaints_created_at", "created_at"),
        # The live map shows open complaints: a spatial index of just those stays small
        # when the table holds years of closed ones.
        Index("ix_complaints_open_location", "location", postgresql_using="gist",
              postgresql_where=text("status IN ('received', 'dispatched', 'assigned', "
                                    "'on_site', 'transferred')")),
        # Map views over a period ("last 30 days, every status") filter by place and time
        # together; btree_gist lets one GiST index serve both (measured: 4x faster at 1M).
        Index("ix_complaints_location_created", "location", "created_at",
              postgresql_using="gist"),
        # KPIs: open complaints by district and due time, closed ones by closing time.
        Index("ix_complaints_open_district_due", "district_code", "due_at",
              postgresql_where=text("status IN ('received', 'dispatched', 'assigned', "
                                    "'on_site', 'transferred')")),
        # INCLUDE makes both KPI scans index-only: a month is ~80k rows at Seoul's rate.
        Index("ix_complaints_closed_kpi", "closed_at",
              postgresql_include=["district_code", "status", "due_at", "created_at",
                                  "parent_id"],
              postgresql_where=text("closed_at IS NOT NULL")),
        Index("ix_complaints_received_kpi", "created_at",
              postgresql_include=["district_code", "status", "parent_id"]),
        # A caller's earlier reports (the 120 agent's lookup) and the SMS reply that rates
        # one: both find complaints by the reporter's number.
        Index("ix_complaints_reporter_phone", "reporter_phone", "created_at",
              postgresql_where=text("reporter_phone IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    client_ref: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    location = mapped_column(Geometry("POINT", srid=WGS84, spatial_index=True), nullable=False)
    address: Mapped[str | None] = mapped_column(Text)
    location_precision: Mapped[str] = mapped_column(
        String(8), default=LocationPrecision.POINT.value, server_default="point")
    district_code: Mapped[str] = mapped_column(
        ForeignKey("districts.code", onupdate="CASCADE")
    )
    dong_code: Mapped[str] = mapped_column(
        ForeignKey("dongs.code", onupdate="CASCADE"), index=True
    )
    routing_distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(SmallInteger, default=3)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    reporter_language: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(16))
    attributes: Mapped[dict] = mapped_column(JSONB, default=dict)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaints.id", ondelete="SET NULL"), index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    # Plain lazy loading: the hot paths read names from the per-process caches
    # (dispatch.areas router, dispatch.categories rules) instead of joining.
    category: Mapped[Category] = relationship()
    district: Mapped[District] = relationship()
    dong: Mapped[Dong] = relationship()
    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id"
    )

    # SQLAlchemy bumps ``version`` on every UPDATE and fails a stale one, which
    # is what makes two concurrent accepts impossible.
    __mapper_args__ = {"version_id_col": version}


class ComplaintEvent(Base):
    """One change of a complaint: who, when, where, from which status to which, notes."""

    __tablename__ = "complaint_events"
    # KPIs ask "what closed in this period": events by time and target status; and which
    # complaints were reopened since (their earlier closure still counts in its period).
    __table_args__ = (
        Index("ix_complaint_events_at_status", "at", "to_status"),
        Index("ix_complaint_events_reopened", "at", postgresql_include=["complaint_id"],
              postgresql_where=text("kind = 'reopened'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    public_note: Mapped[str | None] = mapped_column(Text)
    internal_note: Mapped[str | None] = mapped_column(Text)
    location = mapped_column(Geometry("POINT", srid=WGS84, spatial_index=False))
    data: Mapped[dict] = mapped_column(JSONB, default=dict)

    complaint: Mapped[Complaint] = relationship(back_populates="events")


class ComplaintEscalation(Base):
    """A threshold (``due_soon``, ``breached``) a complaint has crossed; at most once each."""

    __tablename__ = "complaint_escalations"
    __table_args__ = (
        UniqueConstraint("complaint_id", "threshold", name="uq_complaint_escalations_once"),
        CheckConstraint("threshold IN ('due_soon', 'breached')", name="threshold"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    threshold: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DistrictSla(Base):
    """A district's own SLA for a category, overriding the category's default."""

    __tablename__ = "district_slas"

    district_code: Mapped[str] = mapped_column(
        ForeignKey("districts.code", onupdate="CASCADE"), primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), primary_key=True)
    sla_minutes: Mapped[int] = mapped_column(Integer)
