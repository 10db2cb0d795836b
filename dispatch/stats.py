"""Operational counts read from the database and Redis (for metrics and readiness)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, cast, func, select
from sqlalchemy.orm import Session

from dispatch.models import OPEN_STATUSES, Complaint, ComplaintEscalation
from dispatch.models.notifications import Notification


def complaints_by_status(session: Session) -> dict[str, int]:
    """Count complaints per status."""
    rows = session.execute(select(Complaint.status, func.count()).group_by(Complaint.status))
    return {status: count for status, count in rows}


def overdue_open_complaints(session: Session, now: datetime | None = None) -> int:
    """Count open complaints past their due time (SLA breached)."""
    now = now or datetime.now(UTC)
    return session.scalar(select(func.count()).select_from(Complaint).where(
        Complaint.status.in_([s.value for s in OPEN_STATUSES]), Complaint.due_at < now)) or 0


def queue_depths(connection, queue_names: tuple[str, ...]) -> dict[str, int]:
    """Count jobs waiting in each RQ queue."""
    from rq import Queue

    return {name: Queue(name, connection=connection).count for name in queue_names}


def notifications_by_state(session: Session) -> dict[tuple[str, str], int]:
    """Count outbox rows per (channel, state): deliveries by state."""
    rows = session.execute(select(Notification.channel, Notification.state, func.count())
                           .group_by(Notification.channel, Notification.state))
    return {(channel, state): count for channel, state, count in rows}


def escalations_by_threshold(session: Session) -> dict[str, int]:
    """Count SLA escalations ever recorded per threshold (due_soon, breached)."""
    rows = session.execute(select(ComplaintEscalation.threshold, func.count())
                           .group_by(ComplaintEscalation.threshold))
    return {threshold: count for threshold, count in rows}


def oldest_waiting_notification(session: Session,
                                now: datetime | None = None) -> dict[str, float]:
    """Seconds the longest-waiting pending row of each channel has been due (0: none waits).

    Counted from when it became due (created, its quiet-hours hold ended, or sent again by
    hand: the rule of ``notifications.waiting_since``, in SQL), so texts waiting out an SMS
    gateway outage show up here while their retries move on.
    """
    now = now or datetime.now(UTC)
    # greatest() skips NULLs: no hold, or never resent, leaves created_at.
    due_since = func.greatest(Notification.created_at, Notification.hold_until,
                              cast(Notification.data["resent_at"].astext,
                                   DateTime(timezone=True)))
    rows = session.execute(
        select(Notification.channel, func.min(due_since))
        .where(Notification.state == "pending", due_since <= now)
        .group_by(Notification.channel))
    waits = {"sms": 0.0, "push": 0.0}
    waits.update({channel: max((now - since).total_seconds(), 0.0) for channel, since in rows})
    return waits
