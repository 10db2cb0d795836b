"""Events for the live map, read by id with a look-back window."""

from __future__ import annotations

from sqlalchemy import select

from dispatch import live
from dispatch.models import ComplaintEvent
from tests.factories import PLACES


def test_a_cursor_sends_new_events_oldest_first_with_the_complaints_state(session,
                                                                         create_complaint):
    cursor = live.LiveCursor(live.latest_event_id(session))
    complaint = create_complaint(description="live map")
    events = cursor.poll(session)
    assert len(events) >= 1
    assert [e.public_id for e in events] == [complaint.public_id] * len(events)
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert events[-1].status == complaint.status
    assert (round(events[-1].lon, 4), round(events[-1].lat, 4)) == (126.9779, 37.5663)
    assert cursor.poll(session) == []


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_an_event_committed_after_a_higher_id_is_still_sent_once(engine, settings):
    """Two real transactions: the lower id commits last; the cursor delivers both, once."""
    from datetime import UTC, datetime

    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    from dispatch.events import Actor, record_event
    from dispatch.intake import ComplaintDraft, submit_complaint
    from dispatch.models import Complaint, ComplaintEvent, Notification

    with Session(engine) as setup:
        complaint_id = submit_complaint(setup, settings, ComplaintDraft(
            category="other", lon=126.9779, lat=37.5663, description="late commit")).complaint.id
        setup.commit()
    clock = FakeClock()
    with Session(engine) as reader:
        cursor = live.LiveCursor(live.latest_event_id(reader), clock=clock)
        reader.commit()
    slow, fast = Session(engine), Session(engine)
    try:
        early = record_event(slow, slow.get(Complaint, complaint_id), kind="note",
                             actor=Actor.system(), at=datetime.now(UTC))
        slow.flush()  # takes the lower id, not yet committed
        late = record_event(fast, fast.get(Complaint, complaint_id), kind="note",
                            actor=Actor.system(), at=datetime.now(UTC))
        fast.commit()
        early_id, late_id = early.id, late.id
        assert early_id < late_id
        with Session(engine) as reader:
            assert [e.id for e in cursor.poll(reader)] == [late_id]
        clock.now += 1.0
        slow.commit()
        with Session(engine) as reader:
            assert [e.id for e in cursor.poll(reader)] == [early_id]
            assert cursor.poll(reader) == []
        # After the look-back the ids are final: the floor moves up and forgets them.
        clock.now += live.LOOKBACK_SECONDS + 1
        with Session(engine) as reader:
            assert cursor.poll(reader) == []
            assert cursor.poll(reader) == []
        assert cursor.floor == late_id and cursor.seen == set()
    finally:
        slow.close()
        fast.close()
        with Session(engine) as cleanup:
            for table in (Notification, ComplaintEvent):
                cleanup.execute(delete(table).where(table.complaint_id == complaint_id))
            cleanup.execute(delete(Complaint).where(Complaint.id == complaint_id))
            cleanup.commit()


def test_the_cursor_reads_a_backlog_in_batches_without_skipping(session, create_complaint):
    clock = FakeClock()
    cursor = live.LiveCursor(live.latest_event_id(session), batch=3, lookback=0, clock=clock)
    for n in range(4):
        create_complaint(description=f"backlog {n}")
    expected = list(session.scalars(select(ComplaintEvent.id).where(
        ComplaintEvent.id > cursor.floor).order_by(ComplaintEvent.id)))
    assert len(expected) >= 8  # received + dispatched for each
    read = []
    for _ in range(10):
        clock.now += 1
        read += [e.id for e in cursor.poll(session)]
    assert read == expected


def test_a_district_cursor_skips_other_districts_but_moves_past_them(session, create_complaint):
    clock = FakeClock()
    cursor = live.LiveCursor(live.latest_event_id(session), "11140", lookback=0, clock=clock)
    create_complaint(lonlat=PLACES["coex"][0])  # Gangnam-gu
    assert cursor.poll(session) == []
    ours = create_complaint()
    clock.now += 1
    assert {e.public_id for e in cursor.poll(session)} == {ours.public_id}


def test_a_transfer_out_reaches_the_old_districts_stream_too(session, settings,
                                                             create_complaint, create_staff):
    from dispatch.workflow import MoveRequest, apply_move

    clock = FakeClock()
    start = live.latest_event_id(session)
    old = live.LiveCursor(start, "11140", lookback=0, clock=clock)
    new = live.LiveCursor(start, "11680", lookback=0, clock=clock)
    complaint = create_complaint()
    assert {e.public_id for e in old.poll(session)} == {complaint.public_id}
    dispatcher = create_staff("dispatcher")
    apply_move(session, settings, complaint, MoveRequest(
        "transfer", version=complaint.version, district_code="11680",
        internal_note="Gangnam's side of the street"), dispatcher)
    clock.now += 1
    (gone,) = old.poll(session)
    assert (gone.kind, gone.from_district, gone.to_district) == ("transferred", "11140", "11680")
    assert gone.left_district and gone.district == "11680"
    arrived = [e for e in new.poll(session) if e.kind == "transferred"]
    assert len(arrived) == 1 and not arrived[0].left_district


def test_a_fresh_stream_starts_a_look_back_before_the_newest_event(session, create_complaint):
    """An event written just before the stream opened, with a lower id committing late, is
    not skipped: the start is the newest event older than the look-back, not max(id)."""
    from datetime import UTC, datetime, timedelta

    before = live.latest_event_id(session)
    complaint = create_complaint(description="just now")
    newest = live.latest_event_id(session)
    assert newest > before
    start = live.fresh_start_id(session)
    assert start <= before < newest
    cursor = live.LiveCursor(start)
    assert complaint.public_id in {e.public_id for e in cursor.poll(session)}
    later = datetime.now(UTC) + timedelta(seconds=live.LOOKBACK_SECONDS + 1)
    assert live.fresh_start_id(session, now=later) == newest
