"""Ratings under real concurrency: a text and a tap at once leave exactly one rating."""

import threading
import uuid
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from dispatch.errors import AlreadyRated, InvalidTransition
from dispatch.intake import ComplaintDraft, submit_complaint
from dispatch.models import Complaint, ComplaintEvent, Notification, SatisfactionRating
from dispatch.ratings import RATABLE_STATUSES, record_rating


def test_only_an_inspectors_closure_is_ratable():
    assert RATABLE_STATUSES == {"resolved", "unfounded", "referred"}


def test_record_rating_refuses_open_complaints(session, create_complaint):
    complaint = create_complaint()
    try:
        record_rating(session, complaint, 5, at=datetime.now(UTC), channel="web")
    except InvalidTransition as err:
        assert err.details["status"] == complaint.status
    else:
        raise AssertionError("an open complaint was rated")


def test_two_answers_at_once_leave_one_rating(engine, settings):
    with Session(engine) as session:
        complaint = submit_complaint(session, settings, ComplaintDraft(
            category="other", lon=126.9779, lat=37.5663,
            description=f"rating race {uuid.uuid4().hex[:8]}")).complaint
        session.flush()
        session.execute(update(Complaint).where(Complaint.id == complaint.id)
                        .values(status="resolved", closed_at=datetime.now(UTC)))
        session.commit()
        complaint_id = complaint.id
    outcomes, barrier = [], threading.Barrier(2)

    def rate(score):
        with Session(engine) as session:
            row = session.get(Complaint, complaint_id)
            barrier.wait()
            try:
                record_rating(session, row, score, at=datetime.now(UTC), channel="web")
                session.commit()
                outcomes.append("stored")
            except AlreadyRated:
                session.rollback()
                outcomes.append("already")

    threads = [threading.Thread(target=rate, args=(score,)) for score in (2, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(outcomes) == ["already", "stored"]
        with Session(engine) as session:
            count = session.scalar(select(func.count()).select_from(SatisfactionRating)
                                   .where(SatisfactionRating.complaint_id == complaint_id))
            rated_events = session.scalar(
                select(func.count()).select_from(ComplaintEvent)
                .where(ComplaintEvent.complaint_id == complaint_id,
                       ComplaintEvent.kind == "rated"))
            assert count == 1 and rated_events == 1
    finally:
        with Session(engine) as session:
            for table in (SatisfactionRating, Notification, ComplaintEvent):
                session.execute(delete(table).where(table.complaint_id == complaint_id))
            session.execute(delete(Complaint).where(Complaint.id == complaint_id))
            session.commit()
