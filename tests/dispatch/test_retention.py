"""Personal data is erased DASAN_PERSONAL_DATA_DAYS after a complaint closes; open work keeps it."""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import select

from dispatch.models import ComplaintEvent, Notification
from dispatch.models.notifications import SmsInbound
from dispatch.retention import purge_personal_data
from dispatch.settings import SettingsError
from tests.factories import PLACES

NOW = datetime.now(UTC)
LONG_AGO = NOW - timedelta(days=400)
_numbers = count(1)


def close(complaint, when, status="resolved"):
    complaint.status, complaint.closed_at = status, when


def inbound(session, when, complaint=None, outcome="complaint"):
    row = SmsInbound(gateway_id=f"retention-{next(_numbers)}", sender="+821055550000",
                     receiver="1899-0120", text="my street lamp", outcome=outcome,
                     complaint_id=complaint.id if complaint else None, received_at=when)
    session.add(row)
    return row


def unfinished_text(session, complaint, state, recipient):
    """A text of ``complaint`` still in ``state``, for an event of its own (one text per event)."""
    event = ComplaintEvent(complaint_id=complaint.id, actor_kind="staff", kind="resolved",
                           at=LONG_AGO)
    row = Notification(complaint_id=complaint.id, event=event, channel="sms", template="result",
                       language="ko", recipient=recipient, body="still to go",
                       state=state, next_attempt_at=NOW, created_at=LONG_AGO)
    session.add(row)
    return row


def texts_of(session, complaint):
    return session.scalars(select(Notification).where(
        Notification.complaint_id == complaint.id, Notification.channel == "sms")).all()


def test_purge_erases_what_closed_long_ago_and_keeps_open_work(create_complaint, session,
                                                               settings):
    settings = settings.replace(personal_data_days=365)
    # Three places, so intake does not merge them as duplicates.
    old_closed, recently_closed, old_open = (
        create_complaint(phone=f"010-1111-000{n}", lonlat=PLACES[place][0])
        for n, place in enumerate(("city_hall", "coex", "gimpo_airport"), start=1))
    assert old_open.status == "dispatched"
    close(old_closed, LONG_AGO)
    close(recently_closed, NOW - timedelta(days=30))
    # Untouched for as long as the closed one: only its status keeps its phone.
    old_open.created_at = old_open.updated_at = LONG_AGO
    gone = [inbound(session, LONG_AGO, old_closed), inbound(session, LONG_AGO, outcome="rating")]
    kept = [inbound(session, LONG_AGO, old_open), inbound(session, LONG_AGO, outcome="pending"),
            inbound(session, NOW - timedelta(days=2))]
    for complaint in (old_closed, recently_closed, old_open):
        for row in texts_of(session, complaint):
            row.state = "delivered"
    # Texts of a long-closed complaint still waiting to go (a hand resend, a gateway
    # outage) keep their number and words until they are finished.
    unfinished = [unfinished_text(session, old_closed, "pending", "+821011110008"),
                  unfinished_text(session, old_closed, "sending", "+821011110009")]
    session.flush()
    assert all(row.recipient and row.body for row in texts_of(session, old_closed))

    report = purge_personal_data(session, settings, NOW, batch=1)
    assert (report.complaints, report.inbound, report.finished) == (1, 2, True)
    finished = [row for row in texts_of(session, old_closed) if row not in unfinished]
    assert report.notifications == len(finished) >= 2
    for row in (*texts_of(session, old_closed), old_closed, recently_closed, old_open):
        session.refresh(row)
    assert old_closed.reporter_phone is None
    assert {(row.recipient, row.body) for row in finished} == {("", "")}
    assert [(row.state, row.recipient, bool(row.body)) for row in unfinished] == [
        ("pending", "+821011110008", True), ("sending", "+821011110009", True)]
    assert recently_closed.reporter_phone and old_open.reporter_phone
    assert all(row.recipient for row in texts_of(session, recently_closed))
    assert all(row.recipient for row in texts_of(session, old_open))
    remaining = set(session.scalars(select(SmsInbound.id)))
    assert {row.id for row in kept} <= remaining and not {row.id for row in gone} & remaining
    # Safe to run again: nothing is left to do.
    again = purge_personal_data(session, settings, NOW)
    assert (again.complaints, again.notifications, again.inbound) == (0, 0, 0)


def test_cancelled_complaints_count_from_their_last_change(create_complaint, session, settings):
    cancelled = create_complaint(phone="010-1111-0004")
    cancelled.status, cancelled.updated_at = "cancelled", LONG_AGO
    session.flush()
    purge_personal_data(session, settings.replace(personal_data_days=365), NOW)
    session.refresh(cancelled)
    assert cancelled.reporter_phone is None


def test_zero_days_keeps_everything(create_complaint, session, settings):
    complaint = create_complaint(phone="010-1111-0005")
    close(complaint, LONG_AGO)
    session.flush()
    report = purge_personal_data(session, settings.replace(personal_data_days=0), NOW)
    assert (report.complaints, report.notifications, report.inbound) == (0, 0, 0)
    assert complaint.reporter_phone


def test_retention_shorter_than_the_reopen_window_is_refused(settings):
    with pytest.raises(SettingsError, match="DASAN_PERSONAL_DATA_DAYS"):
        settings.replace(personal_data_days=3, reopen_days=7).validate()


def test_the_purge_is_scheduled():
    from dispatch import jobs
    from dispatch.schedule import SCHEDULE

    assert ("purge-personal-data", jobs.purge_personal_data, "maintenance", 86400) in SCHEDULE
