"""Events for the live map, read by id."""

from __future__ import annotations

from dispatch import live
from tests.factories import PLACES


def test_events_after_an_id_come_oldest_first_with_the_complaints_state(session,
                                                                        create_complaint):
    start = live.latest_event_id(session)
    complaint = create_complaint(description="live map")
    events = live.events_after(session, start)
    assert [e.public_id for e in events] == [complaint.public_id] * len(events)
    assert len(events) >= 1
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert events[-1].status == complaint.status
    assert (round(events[-1].lon, 4), round(events[-1].lat, 4)) == (126.9779, 37.5663)
    assert live.events_after(session, events[-1].id) == []


def test_a_district_sees_only_its_own_events(session, create_complaint):
    start = live.latest_event_id(session)
    create_complaint(lonlat=PLACES["coex"][0])  # Gangnam-gu
    assert live.events_after(session, start, district_code="11140") == []
    assert live.events_after(session, start, district_code="11680") != []
