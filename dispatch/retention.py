"""Personal data retention: erase reporters' numbers and texts ``personal_data_days`` after closing.

What is personal: a complaint's ``reporter_phone``, a text's ``recipient`` and ``body``
(the receipt's body carries the status link with its token) and incoming texts
(``sms_inbound``: sender and text). Complaints themselves stay (statistics, KPIs, the
public record); only what identifies the reporter goes.

Safe to run again and again: every step picks only rows that still hold data, in small
batches committed one by one, so it never holds many locks or one long transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from dispatch.models import OPEN_STATUSES, Complaint, Notification, NotificationState
from dispatch.models.notifications import SmsInbound
from dispatch.settings import Settings

BATCH = 1000
# Stops before RQ's 180 s job timeout; the next run goes on where this one stopped.
BUDGET_SECONDS = 120.0
# An erased text keeps its row (what was sent when, its state) but no number or words.
# Empty rather than NULL: the columns are NOT NULL, and staff views keep working.
ERASED = ""
_OPEN = [status.value for status in OPEN_STATUSES]
_UNFINISHED = (NotificationState.PENDING.value, NotificationState.SENDING.value)


@dataclass
class PurgeReport:
    """How many rows one purge changed."""

    complaints: int = 0
    notifications: int = 0
    inbound: int = 0
    finished: bool = True  # False: the time budget ran out; the next run continues


def purge_cutoff(settings: Settings, now: datetime | None = None) -> datetime | None:
    """Data closed or received before this goes; None when retention is off (0 days)."""
    if settings.personal_data_days <= 0:
        return None
    return (now or datetime.now(UTC)) - timedelta(days=settings.personal_data_days)


def _closed_before(cutoff: datetime):
    """Complaints closed (any final status) before ``cutoff``."""
    # Cancelled complaints and duplicates may have no closed_at: their last change counts.
    return (Complaint.status.not_in(_OPEN),
            func.coalesce(Complaint.closed_at, Complaint.updated_at) < cutoff)


def erase_reporter_phones(session: Session, cutoff: datetime, batch: int = BATCH) -> int:
    """Null the phone of up to ``batch`` complaints closed before ``cutoff``; return how many."""
    ids = (select(Complaint.id).where(Complaint.reporter_phone.is_not(None),
                                      *_closed_before(cutoff))
           .limit(batch).with_for_update(skip_locked=True).scalar_subquery())
    result = session.execute(update(Complaint).where(Complaint.id.in_(ids))
                             .values(reporter_phone=None)
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


def erase_texts(session: Session, cutoff: datetime, batch: int = BATCH) -> int:
    """Erase number and words of up to ``batch`` texts of complaints closed before ``cutoff``."""
    closed = exists().where(Complaint.id == Notification.complaint_id, *_closed_before(cutoff))
    ids = (select(Notification.id).where(
        Notification.channel == "sms", Notification.recipient != ERASED,
        Notification.state.not_in(_UNFINISHED), closed)
        .limit(batch).with_for_update(skip_locked=True).scalar_subquery())
    result = session.execute(update(Notification).where(Notification.id.in_(ids))
                             .values(recipient=ERASED, body=ERASED)
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


def delete_inbound(session: Session, cutoff: datetime, batch: int = BATCH) -> int:
    """Delete up to ``batch`` incoming texts received before ``cutoff``; return how many.

    Kept: texts not yet handled, and those that belong to a complaint still open (the
    open work may need them). Replies to a deleted text go with it (ON DELETE CASCADE).
    """
    for_open_work = exists().where(Complaint.id == SmsInbound.complaint_id,
                                   Complaint.status.in_(_OPEN))
    ids = (select(SmsInbound.id).where(SmsInbound.received_at < cutoff,
                                       SmsInbound.outcome != "pending", ~for_open_work)
           .limit(batch).with_for_update(skip_locked=True).scalar_subquery())
    result = session.execute(delete(SmsInbound).where(SmsInbound.id.in_(ids))
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


def purge_personal_data(session: Session, settings: Settings, now: datetime | None = None, *,
                        batch: int = BATCH, budget_seconds: float = BUDGET_SECONDS
                        ) -> PurgeReport:
    """Erase what ``personal_data_days`` says must go, batch by batch (commits each batch)."""
    report = PurgeReport()
    cutoff = purge_cutoff(settings, now)
    if cutoff is None:
        return report
    deadline = time.monotonic() + budget_seconds
    steps = ((erase_reporter_phones, "complaints"), (erase_texts, "notifications"),
             (delete_inbound, "inbound"))
    for step, counter in steps:
        while True:
            if time.monotonic() > deadline:
                report.finished = False
                return report
            changed = step(session, cutoff, batch)
            session.commit()
            setattr(report, counter, getattr(report, counter) + changed)
            if changed < batch:
                break
    return report
