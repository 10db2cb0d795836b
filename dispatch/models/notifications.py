"""The notification outbox, staff push subscriptions, incoming texts and satisfaction ratings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
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
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.db import Base
from dispatch.models.complaints import Complaint, ComplaintEvent


class NotificationState(StrEnum):
    """pending -> sending -> sent -> delivered | failed | gone (push subscription expired).

    ``sending``: claimed and committed before the gateway is called, so a worker killed
    after the gateway accepted never sends it again; the delivery report (or, without one,
    the sweeper after DASAN_NOTIFY_SETTLE_SECONDS) decides what happened.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    GONE = "gone"


class NotificationChannel(StrEnum):
    """How a notification travels."""

    SMS = "sms"
    PUSH = "push"


class Notification(Base):
    """One message to one recipient, written in the transaction of the change that causes it."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'gone')",
            name="state"),
        CheckConstraint("channel IN ('sms', 'push')", name="channel"),
        # Exactly once per (complaint, event, recipient, channel), even when planning
        # or a job runs twice. NULLS NOT DISTINCT: replies to incoming texts carry no
        # complaint or event, and are unique per incoming text instead.
        UniqueConstraint("complaint_id", "event_id", "inbound_id", "recipient", "channel",
                         name="uq_notifications_once", postgresql_nulls_not_distinct=True),
        Index("ix_notifications_due", "next_attempt_at",
              postgresql_where=text("state = 'pending'")),
        # The sweeper's look for rows a stopped worker left in the middle of a send.
        Index("ix_notifications_sending", "next_attempt_at",
              postgresql_where=text("state = 'sending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaint_events.id", ondelete="CASCADE"))
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("sms_inbound.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(64))
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))
    template: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSONB, default=dict)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default=NotificationState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(128))
    parts: Mapped[int | None] = mapped_column(SmallInteger)
    dlr_status: Mapped[int | None] = mapped_column(SmallInteger)
    hold_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    complaint: Mapped[Complaint | None] = relationship()
    event: Mapped[ComplaintEvent | None] = relationship()


class PushSubscription(Base):
    """A browser's Web Push subscription for one member of staff."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"),
                                          index=True)
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class SmsInbound(Base):
    """An incoming text (MO) as Kannel forwarded it; Kannel's id makes a re-post harmless."""

    __tablename__ = "sms_inbound"
    __table_args__ = (
        CheckConstraint(
            "outcome IN ('pending', 'rating', 'complaint', 'not_understood', 'ignored', "
            "'rate_limited', 'ambiguous_place', 'rating_repeat', 'opt_out')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    gateway_id: Mapped[str] = mapped_column(String(64), unique=True)
    sender: Mapped[str] = mapped_column(String(32), index=True)
    receiver: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaints.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SmsOptOut(Base):
    """A phone that texted STOP: no texts about its complaints filed before ``opted_out_at``.

    A complaint filed from the number later ends it (compared by time, see
    ``dispatch.notifications``); replies to the phone's own incoming texts still go.
    """

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("sms_inbound.id", ondelete="SET NULL"))


class SatisfactionRating(Base):
    """A reporter's 1-5 answer to the satisfaction question; one per complaint."""

    __tablename__ = "satisfaction_ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), unique=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("sms_inbound.id", ondelete="SET NULL"))
    rated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
