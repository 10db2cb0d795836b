"""Complaint categories (Open311 "services") with their SLA and duplicate rules."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.db import Base


class Category(Base):
    """What a complaint is about, e.g. ``street_lamp``; names in six languages."""

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    names: Mapped[dict] = mapped_column(JSONB)
    descriptions: Mapped[dict] = mapped_column(JSONB, default=dict)
    keywords: Mapped[dict] = mapped_column(JSONB, default=dict)
    group: Mapped[str] = mapped_column(String(64))
    icon: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=3)
    sla_minutes: Mapped[int] = mapped_column(Integer)
    duplicate_radius_m: Mapped[int] = mapped_column(Integer)
    duplicate_window_hours: Mapped[int] = mapped_column(Integer)
    attributes: Mapped[list] = mapped_column(JSONB, default=list)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
