"""Service areas: districts (gu), administrative dongs and the log of their imports."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import DateTime, ForeignKey, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base
from geo.crs import WGS84


class District(Base):
    """A district (gu): the office that owns complaints inside its dongs."""

    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    names: Mapped[dict] = mapped_column(JSONB, default=dict)
    office_phone: Mapped[str | None] = mapped_column(String(32))
    boundary = mapped_column(
        Geometry("MULTIPOLYGON", srid=WGS84, spatial_index=True), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    dongs: Mapped[list[Dong]] = relationship(back_populates="district")


class Dong(Base):
    """An administrative dong: the unit complaints are routed by."""

    __tablename__ = "dongs"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    district_code: Mapped[str] = mapped_column(
        ForeignKey("districts.code", onupdate="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    names: Mapped[dict] = mapped_column(JSONB, default=dict)
    boundary = mapped_column(
        Geometry("MULTIPOLYGON", srid=WGS84, spatial_index=True), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    district: Mapped[District] = relationship(back_populates="dongs")


class AreaImport(Base):
    """One run of the area import; the newest id is the areas' revision number."""

    __tablename__ = "area_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(500))
    checksum: Mapped[str] = mapped_column(String(64))
    features: Mapped[int] = mapped_column(Integer)
    repaired: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
