"""SLA escalation: mark open complaints about to breach and breached, once per threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dispatch.events import Actor, record_event
from dispatch.models import Complaint
from dispatch.settings import Settings
from dispatch.stats import OPEN_STATUSES

# The unique (complaint, threshold) key makes a second run — or a second scheduler that
# briefly believed it led — insert nothing, so each escalation is recorded once.
_MARK = text("""
    INSERT INTO complaint_escalations (complaint_id, threshold, at)
    SELECT id, :threshold, :now FROM complaints
    WHERE status = ANY(:open) AND due_at >= :low AND due_at < :high
    ON CONFLICT ON CONSTRAINT uq_complaint_escalations_once DO NOTHING
    RETURNING complaint_id
""")


def escalate_due(session: Session, settings: Settings,
                 now: datetime | None = None) -> dict[str, int]:
    """Record ``escalated`` events for newly due-soon and newly breached complaints.

    Safe to run any number of times, concurrently too. Flushes; the caller commits.
    Returns how many complaints crossed each threshold in this run.
    """
    now = now or datetime.now(UTC)
    open_values = [status.value for status in OPEN_STATUSES]
    windows = {
        "breached": (datetime(1970, 1, 1, tzinfo=UTC), now),
        "due_soon": (now, now + timedelta(minutes=settings.sla_warning_minutes)),
    }
    counts = {}
    for threshold, (low, high) in windows.items():
        ids = list(session.execute(_MARK, {"threshold": threshold, "now": now,
                                           "open": open_values, "low": low,
                                           "high": high}).scalars())
        counts[threshold] = len(ids)
        for complaint in session.scalars(select(Complaint).where(Complaint.id.in_(ids))):
            record_event(session, complaint, kind="escalated", actor=Actor.system(), at=now,
                         from_status=complaint.status, to_status=complaint.status,
                         data={"threshold": threshold,
                               "due_at": complaint.due_at.isoformat()})
    session.flush()
    return counts
