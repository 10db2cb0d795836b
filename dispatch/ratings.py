"""The reporter's satisfaction rating (1-5): one per complaint, by SMS reply or from the PWA."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from dispatch.errors import AlreadyRated, InvalidTransition
from dispatch.events import Actor, record_event
from dispatch.models import Complaint, ComplaintStatus, SatisfactionRating

# A rating judges how the complaint was handled, so only an inspector's closure can be rated
# (a cancelled complaint or a duplicate was not handled on its own).
RATABLE_STATUSES = frozenset({ComplaintStatus.RESOLVED.value, ComplaintStatus.UNFOUNDED.value,
                              ComplaintStatus.REFERRED.value})


def rating_of(session: Session, complaint_id: int) -> int | None:
    """Return the complaint's rating score, or None when it has not been rated."""
    return session.scalar(select(SatisfactionRating.score)
                          .where(SatisfactionRating.complaint_id == complaint_id))


def is_ratable(complaint: Complaint) -> bool:
    """Whether the complaint is in a state its reporter may rate."""
    return complaint.status in RATABLE_STATUSES


def record_rating(session: Session, complaint: Complaint, score: int, *, at: datetime,
                  channel: str, inbound_id: int | None = None) -> None:
    """Store the rating and a ``rated`` event; refuse a second one or an unhandled complaint."""
    if not is_ratable(complaint):
        raise InvalidTransition(f"a {complaint.status} complaint cannot be rated",
                                status=complaint.status)
    if not 1 <= score <= 5:
        raise ValueError("score must be 1-5")  # callers validate; this guards the table
    # ON CONFLICT: two answers racing (a text and a tap) leave exactly one rating.
    stored = session.scalar(
        insert(SatisfactionRating)
        .values(complaint_id=complaint.id, score=score, inbound_id=inbound_id, rated_at=at)
        .on_conflict_do_nothing(index_elements=["complaint_id"])
        .returning(SatisfactionRating.id))
    if stored is None:
        raise AlreadyRated("this complaint has already been rated")
    record_event(session, complaint, kind="rated", actor=Actor.citizen(), at=at,
                 data={"score": score, "channel": channel})
