"""A caller's earlier reports: what a 120 agent looks up by the number on the line."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.abuse import e164
from dispatch.models import Complaint, Staff

MAX_REPORTS = 20


def reports_from(session: Session, staff: Staff, raw_phone: str,
                 limit: int = MAX_REPORTS) -> list[Complaint]:
    """Return the newest complaints reported from ``raw_phone`` that ``staff`` may see.

    District staff see their district's only. Uses ``ix_complaints_reporter_phone``.

    :raises InvalidPhone: the number is neither Korean nor E.164.
    """
    query = select(Complaint).where(Complaint.reporter_phone == e164(raw_phone))
    if not staff.is_city_wide:
        query = query.where(Complaint.district_code == staff.district_code)
    query = query.order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(limit)
    return list(session.scalars(query))
