"""Photos attached to complaints: the reporter's, and staff's evidence."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db import Base
from dispatch.moments import CAPTURE_START, ERA_END, sql_literal
from geo.crs import WGS84


class PhotoKind(StrEnum):
    """Who attached a photo and why."""

    REPORT = "report"  # the citizen's picture of the problem
    EVIDENCE = "evidence"  # staff's picture of the site, needed to resolve


class PhotoFlag(StrEnum):
    """Why an evidence photo may not show this site at this time (advisory, for supervisors)."""

    FAR_FROM_SITE = "far_from_site"
    TAKEN_BEFORE_COMPLAINT = "taken_before_complaint"


class ComplaintPhoto(Base):
    """One stored photo of a complaint: blob keys, size, what its EXIF said, and flags.

    The image and its thumbnail are blobs in the photo store, named by the SHA-256 of
    their (re-encoded, EXIF-free) bytes. The GPS position and capture time read from the
    upload's EXIF are kept here, never in the served image.
    """

    __tablename__ = "complaint_photos"
    __table_args__ = (
        CheckConstraint("kind IN ('report', 'evidence')", name="kind"),
        CheckConstraint("uploaded_by IN ('citizen', 'staff')", name="uploaded_by"),
        # Far capture times are dropped on upload; some (0001 BC, year 10000) psycopg2 could
        # not even read back, which made the whole complaint unreadable.
        CheckConstraint(f"taken_at IS NULL OR (taken_at >= {sql_literal(CAPTURE_START)} "
                        f"AND taken_at < {sql_literal(ERA_END)})", name="taken_at_in_range"),
        # The same picture sent twice (an offline replay) is stored once per complaint.
        UniqueConstraint("complaint_id", "sha256", name="uq_complaint_photos_complaint_sha256"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    thumb_sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    original_format: Mapped[str] = mapped_column(String(16))
    original_bytes: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    location = mapped_column(Geometry("POINT", srid=WGS84, spatial_index=False))
    distance_m: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[list] = mapped_column(JSONB, default=list)
    uploaded_by: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now())
