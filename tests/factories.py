"""Factory fixtures (a pytest plugin): ``create_<thing>`` returns a callable with defaults."""

from __future__ import annotations

import uuid

import pytest

from dispatch.intake import ComplaintDraft, submit_complaint

# Well-known places, (lon, lat), with the district code that owns them.
CITY_HALL = (126.9779, 37.5663)  # Seoul City Hall, Jung-gu
PLACES = {
    "city_hall": (CITY_HALL, "11140"),
    "gyeongbokgung": ((126.9770, 37.5796), "11110"),
    "n_seoul_tower": ((126.9882, 37.5512), "11170"),
    "coex": ((127.0589, 37.5116), "11680"),
    "lotte_world_tower": ((127.1025, 37.5126), "11710"),
    "gimpo_airport": ((126.7960, 37.5587), "11500"),
    "national_assembly": ((126.9145, 37.5319), "11560"),
    "seoul_national_university": ((126.9520, 37.4600), "11620"),
    "world_cup_stadium": ((126.8972, 37.5683), "11440"),
    "ddp": ((127.0095, 37.5665), "11140"),
}


def complaint_json(**overrides) -> dict:
    """A valid POST /api/v1/complaints body, with ``overrides`` applied."""
    body = {
        "category": "street_lamp",
        "location": {"type": "Point", "coordinates": list(CITY_HALL)},
        "description": "The lamp in front of the main gate is out.",
        "phone": "010-1234-5678",
        "language": "ko",
    }
    body.update(overrides)
    return body


@pytest.fixture
def create_complaint(session, settings):
    """Return a function that files a complaint through the intake workflow."""

    def _create(client_ref: uuid.UUID | None = None, **fields):
        lon, lat = fields.pop("lonlat", CITY_HALL)
        draft = ComplaintDraft(**{"category": "street_lamp", "lon": lon, "lat": lat,
                                  "description": "lamp out", **fields})
        result = submit_complaint(session, settings, draft, client_ref=client_ref)
        session.flush()
        return result.complaint

    return _create


STAFF_PASSWORD = "correct-horse-battery"


@pytest.fixture
def create_staff(session):
    """Return a function that adds a member of staff (password: STAFF_PASSWORD)."""
    from dispatch.staff import create_staff as add_staff

    counter = iter(range(1, 10_000))

    def _create(role: str = "inspector", district_code: str | None = "11140", **fields):
        number = next(counter)
        if role in ("dispatcher", "admin") and "district_code" not in fields:
            district_code = None
        return add_staff(session, username=fields.pop("username", f"{role}{number}"),
                         password=fields.pop("password", STAFF_PASSWORD), role=role,
                         district_code=district_code, **fields)

    return _create


@pytest.fixture
def login(client):
    """Return a function that logs a staff member in and returns auth headers."""

    def _login(staff) -> dict:
        response = client.post("/api/v1/auth/login",
                               json={"username": staff.username, "password": STAFF_PASSWORD})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return _login


@pytest.fixture
def seoul_links(session, fixtures_dir):
    """Load the synthetic Seoul road links (24 links on 4 roads) into the test transaction."""
    from dispatch.traffic import LinkSpec, import_links

    spec = LinkSpec(fixtures_dir / "seoul_links_synthetic.geojson", "LINK_ID",
                    (("ko", "ROAD_NAME"), ("en", "ROAD_NAME_EN")), "ROAD_CLASS", "DIRECTION")
    return import_links(session, spec)


@pytest.fixture
def add_readings(session):
    """Return a function that stores {link_id: speed} readings observed at ``when``."""
    from datetime import UTC, datetime

    from dispatch.traffic import Thresholds, store_readings
    from feeds.base import LinkReading

    def _add(speeds: dict, when=None, source: str = "topis"):
        when = when or datetime.now(UTC).replace(microsecond=0)
        readings = [LinkReading(link_id, speed, None, when) for link_id, speed in speeds.items()]
        return store_readings(session, readings, source,
                              Thresholds.parse(("expressway:70/30", "*:25/15")))

    return _add


@pytest.fixture(scope="session")
def feed_dir(fixtures_dir):
    """The folder of recorded feed answers (TOPIS XML, city-data JSON)."""
    return fixtures_dir / "feeds"
