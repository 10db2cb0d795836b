from datetime import UTC, datetime, timedelta, timezone

import pytest

from dispatch.errors import InvalidIncident, NotFound
from dispatch.incidents import (
    create_incident,
    end_incident,
    incidents_near,
    list_active_incidents,
    update_incident,
)

NOW = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
SEOUL = (126.7, 37.4, 127.3, 37.75)
CITY_HALL = {"type": "Point", "coordinates": [126.9779, 37.5663]}
DETOUR = {"type": "LineString", "coordinates": [[126.9790, 37.5703], [126.9830, 37.5702]]}


@pytest.fixture
def dispatcher(create_staff):
    return create_staff("dispatcher")


def _create(session, staff, **fields):
    values = {"kind": "accident", "geometry": CITY_HALL,
              "descriptions": {"ko": "2중 추돌", "en": "two-car crash"},
              "starts_at": NOW - timedelta(hours=1), "ends_at": NOW + timedelta(hours=1),
              "detour": DETOUR}
    values.update(fields)
    return create_incident(session, staff, **values)


def _active_ids(session, now, bbox=SEOUL):
    return {row.incident.id for row in list_active_incidents(session, bbox, now)}


def test_incident_is_listed_only_inside_its_window(session, dispatcher):
    incident = _create(session, dispatcher)
    assert incident.id in _active_ids(session, NOW)
    assert incident.id not in _active_ids(session, NOW + timedelta(hours=2))  # expired
    assert incident.id not in _active_ids(session, NOW - timedelta(hours=2))  # not yet
    assert incident.id not in _active_ids(session, NOW, (127.0, 37.4, 127.1, 37.5))


def test_open_ended_incident_stays_until_ended(session, dispatcher):
    incident = _create(session, dispatcher, ends_at=None, kind="works")
    assert incident.id in _active_ids(session, NOW + timedelta(days=30))
    end_incident(session, incident.id, dispatcher, now=NOW)
    assert incident.id not in _active_ids(session, NOW + timedelta(seconds=1))
    assert incident.ended_by == dispatcher.id
    again = end_incident(session, incident.id, dispatcher, now=NOW + timedelta(hours=1))
    assert again.ends_at == NOW  # ending twice changes nothing


def test_ending_a_future_incident_keeps_the_window_valid(session, dispatcher):
    incident = _create(session, dispatcher, starts_at=NOW + timedelta(hours=1),
                       ends_at=NOW + timedelta(hours=2))
    end_incident(session, incident.id, dispatcher, now=NOW)
    session.flush()
    assert incident.starts_at < incident.ends_at == NOW


def test_update_changes_fields_and_removes_detour(session, dispatcher):
    incident = _create(session, dispatcher)
    update_incident(session, incident.id, kind="closure", detour=None,
                    descriptions={"en": "closed"},
                    geometry={"type": "Polygon", "coordinates": [[
                        [126.97, 37.56], [126.98, 37.56], [126.98, 37.57], [126.97, 37.56]]]})
    [row] = [r for r in list_active_incidents(session, SEOUL, NOW) if r.incident.id == incident.id]
    assert row.incident.kind == "closure" and row.detour is None
    assert row.area["type"] == "Polygon"


def test_incidents_near_is_in_metres(session, dispatcher):
    incident = _create(session, dispatcher)
    near = incidents_near(session, 126.9779, 37.5700, 500, NOW)  # about 410 m north
    assert [row.incident.id for row in near] == [incident.id]
    assert incidents_near(session, 126.9779, 37.5700, 300, NOW) == []


@pytest.mark.parametrize("fields,field", [
    ({"kind": "parade"}, "kind"),
    ({"geometry": {"type": "Point", "coordinates": [200, 37]}}, "geometry"),
    ({"geometry": {"type": "Point"}}, "geometry"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}},
     "geometry"),
    ({"geometry": "here"}, "geometry"),
    ({"detour": {"type": "Point", "coordinates": [126.9, 37.5]}}, "detour"),
    ({"descriptions": {}}, "descriptions"),
    ({"descriptions": {"fr": "accident"}}, "descriptions"),
    ({"descriptions": {"ko": "   "}}, "descriptions"),
    ({"ends_at": NOW - timedelta(hours=2)}, "ends_at"),
    ({"starts_at": datetime(2026, 11, 28, 7, 0)}, "starts_at"),
])
def test_invalid_incidents_are_refused(session, dispatcher, fields, field):
    with pytest.raises(InvalidIncident) as caught:
        _create(session, dispatcher, **fields)
    assert caught.value.details["field"] == field


def test_unknown_incident_is_not_found(session, dispatcher):
    with pytest.raises(NotFound):
        end_incident(session, 987654, dispatcher)
    with pytest.raises(NotFound):
        update_incident(session, 987654, kind="works")


@pytest.mark.parametrize(("fields", "field"), [
    ({"starts_at": datetime(1, 1, 1, tzinfo=UTC)}, "starts_at"),
    ({"ends_at": datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14)))},
     "ends_at"),
    ({"starts_at": NOW.astimezone(timezone(timedelta(hours=23, minutes=59)))}, "starts_at"),
])
def test_an_incident_window_postgres_cannot_keep_is_refused(session, dispatcher, fields, field):
    with pytest.raises(InvalidIncident) as caught:
        _create(session, dispatcher, **fields)
    assert caught.value.details["field"] == field
