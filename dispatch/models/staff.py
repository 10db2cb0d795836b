"""City staff and their login tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base
from geo.crs import WGS84


class Role(StrEnum):
    """What a member of staff may do; inspectors and supervisors belong to one district."""

    INSPECTOR = "inspector"
    SUPERVISOR = "supervisor"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"


DISTRICT_ROLES = (Role.INSPECTOR, Role.SUPERVISOR)


class Staff(Base):
    """A member of staff who logs in with a password."""

    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint("role IN ('inspector', 'supervisor', 'dispatcher', 'admin')",
                        name="role"),
        CheckConstraint("role NOT IN ('inspector', 'supervisor') OR district_code IS NOT NULL",
                        name="district_roles_have_district"),
        # Case makes no other name (RVIN_ADMIN beside rvin_admin). In a database that held
        # such pairs before, the migration leaves the later ones out with a WHERE.
        Index("uq_staff_username_lower", text("lower(username)"), unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    district_code: Mapped[str | None] = mapped_column(
        ForeignKey("districts.code", onupdate="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="ko")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    last_location = mapped_column(Geometry("POINT", srid=WGS84, spatial_index=False))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    tokens: Mapped[list[StaffToken]] = relationship(back_populates="staff")

    @property
    def is_city_wide(self) -> bool:
        """Dispatchers and admins see every district."""
        return self.role in (Role.DISPATCHER, Role.ADMIN)


class StaffToken(Base):
    """A bearer token; only its SHA-256 is stored, so a database leak reveals no token."""

    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"),
                                          index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    staff: Mapped[Staff] = relationship(back_populates="tokens", lazy="joined")
