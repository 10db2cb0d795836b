"""Open311 domain: API keys, the status mapping, query parsing."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, delete, select

from dispatch import open311
from dispatch.categories import forget_cached_categories
from dispatch.db import sqlalchemy_url
from dispatch.errors import InvalidApiKey, InvalidQuery, NotFound
from dispatch.models import Category, ComplaintStatus, Open311Key

OPEN = {"received", "dispatched", "assigned", "on_site", "transferred"}


@pytest.mark.parametrize("status", list(ComplaintStatus))
def test_every_status_maps_to_open_or_closed(status):
    assert open311.open311_status(status.value) == ("open" if status.value in OPEN
                                                     else "closed")


def test_keys_store_only_a_hash_and_can_be_revoked_and_reissued(session):
    raw = open311.create_key(session, "fixmystreet")
    row = session.scalar(select(Open311Key).where(Open311Key.name == "fixmystreet"))
    assert row.key_hash == hashlib.sha256(raw.encode()).hexdigest() and raw not in row.key_hash
    assert open311.check_key(session, raw).name == "fixmystreet"
    with pytest.raises(InvalidQuery):
        open311.create_key(session, "fixmystreet")  # one live key per application
    open311.revoke_key(session, "fixmystreet")
    open311.revoke_key(session, "fixmystreet")  # safe to repeat
    with pytest.raises(InvalidApiKey):
        open311.check_key(session, raw)
    again = open311.create_key(session, "fixmystreet")
    assert open311.check_key(session, again).name == "fixmystreet"
    with pytest.raises(InvalidApiKey):
        open311.check_key(session, raw)  # the old key stays dead
    for bad in (None, "", "o311_guess"):
        with pytest.raises(InvalidApiKey):
            open311.check_key(session, bad)
    with pytest.raises(NotFound):
        open311.revoke_key(session, "nobody")
    with pytest.raises(InvalidQuery):
        open311.create_key(session, " ")


def test_query_defaults_to_the_last_90_days_and_1000_records():
    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    query = open311.parse_query({}, "Asia/Seoul", now=now)
    assert query.start == now - timedelta(days=90) and query.end is None
    assert query.page == 1 and query.page_size == 1000


def test_one_date_spans_90_days_and_local_time_is_assumed():
    query = open311.parse_query({"start_date": "2026-01-01"}, "Asia/Seoul")
    assert query.start.utcoffset() == timedelta(hours=9)
    assert query.end - query.start == timedelta(days=90)
    query = open311.parse_query({"end_date": "2026-03-01T00:00:00Z"}, "Asia/Seoul")
    assert query.start == datetime(2025, 12, 1, tzinfo=UTC)


def test_parameters_sent_empty_are_not_sent():
    assert open311.sent_values({"page": "", "status": ["", " ", "open"], "lat": []}) == {
        "status": ["open"]}
    query = open311.parse_query({"page": "", "page_size": [""], "start_date": "",
                                 "status": "", "bbox": " "}, "Asia/Seoul")
    assert (query.page, query.page_size, query.statuses, query.bbox) == (1, 1000, [], None)


def test_filters_take_repeated_and_comma_separated_values():
    query = open311.parse_query({"service_code": ["garbage", "street_lamp, road_damage"],
                                 "status": ["open", "Closed"]}, "Asia/Seoul")
    assert query.service_codes == ["garbage", "street_lamp", "road_damage"]
    assert query.statuses == ["open", "closed"]
    query = open311.parse_query({"service_request_id": ["a", "b,c"], "status": "bogus"},
                                "Asia/Seoul")
    assert query.ids == ["a", "b", "c"]
    with pytest.raises(InvalidQuery):
        open311.parse_query({"status": ["open", "pending"]}, "Asia/Seoul")


@pytest.mark.parametrize("raw", ["2026-11-28T10:00:00 09:00", "2026-11-28T10:00 0900",
                                 "2026-11-28T10:00:00.5 09:00", "2026-11-28T10:00:00+09:00"])
def test_an_offset_whose_plus_became_a_space_is_read_as_plus(raw):
    value = open311.parse_datetime(raw, "UTC", "start_date")
    assert value.replace(microsecond=0) == datetime(2026, 11, 28, 1, tzinfo=UTC)


def test_a_space_between_date_and_time_is_still_a_separator():
    value = open311.parse_datetime("2026-11-28 10:00", "Asia/Seoul", "start_date")
    assert value == datetime(2026, 11, 28, 1, tzinfo=UTC)


def test_a_date_alone_as_end_date_covers_that_whole_local_day():
    seoul = ZoneInfo("Asia/Seoul")
    query = open311.parse_query({"start_date": "2026-11-01", "end_date": "2026-11-28"},
                                "Asia/Seoul")
    assert query.start == datetime(2026, 11, 1, tzinfo=seoul)
    assert query.end == datetime(2026, 11, 28, 23, 59, 59, 999999, tzinfo=seoul)
    query = open311.parse_query({"end_date": "2026-11-28", "updated_before": "2026-11-27"},
                                "Asia/Seoul")
    assert query.start == datetime(2026, 11, 28, tzinfo=seoul) - timedelta(days=90)
    assert query.updated_before == datetime(2026, 11, 27, 23, 59, 59, 999999, tzinfo=seoul)
    # The 90 days are counted on the dates as given.
    open311.parse_query({"start_date": "2026-01-01", "end_date": "2026-04-01"}, "Asia/Seoul")
    with pytest.raises(InvalidQuery):
        open311.parse_query({"start_date": "2026-01-01", "end_date": "2026-04-02"},
                            "Asia/Seoul")
    # A date-time keeps its exact instant.
    query = open311.parse_query({"end_date": "2026-11-28T00:00:00+09:00"}, "Asia/Seoul")
    assert query.end == datetime(2026, 11, 28, tzinfo=seoul)


def test_ids_override_every_other_parameter():
    query = open311.parse_query({"service_request_id": "a, b", "status": "bogus",
                                 "start_date": "bogus"}, "Asia/Seoul")
    assert query.ids == ["a", "b"] and query.statuses == [] and query.start is None
    with pytest.raises(InvalidQuery):
        open311.parse_query({"service_request_id": ",".join(["x"] * 101)}, "Asia/Seoul")


def test_an_attribute_order_that_is_not_a_whole_number_falls_back_to_its_position(session):
    names = {lang: "Test" for lang in ("ko", "en", "zh", "ja", "mn", "vi")}
    session.add(Category(code="test_order", names=names, descriptions={}, keywords={},
                         group="other", icon="other", priority=3, sla_minutes=60,
                         duplicate_radius_m=0, duplicate_window_hours=0, sort_order=99,
                         active=True, attributes=[{"code": "a", "order": "first"},
                                                  {"code": "b", "order": True},
                                                  {"code": "c", "order": 7}]))
    session.flush()
    forget_cached_categories()
    try:
        definition = open311.service_definition(session, "test_order", "en")
    finally:
        forget_cached_categories()
    assert [item["order"] for item in definition["attributes"]] == [1, 2, 7]


def test_key_command_creates_lists_and_revokes(settings):
    env = {**os.environ, "DASAN_DATABASE_URL": settings.database_url,
           "DASAN_SECRET_KEY": settings.secret_key}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "dispatch.cli", "open311-key", *args],
                              env=env, capture_output=True, text=True, timeout=60, check=False)

    engine = create_engine(sqlalchemy_url(settings.database_url))
    try:
        created = run("create", "cli-test-app")
        assert created.returncode == 0, created.stderr
        raw = created.stdout.strip().splitlines()[-1]
        assert raw.startswith("o311_")
        assert "cli-test-app\tlive" in run("list").stdout
        assert run("create", "cli-test-app").returncode == 1  # already has a live key
        assert run("revoke", "cli-test-app").returncode == 0
        assert "revoked" in run("list").stdout
        with engine.connect() as conn:
            stored = conn.scalar(select(Open311Key.key_hash)
                                 .where(Open311Key.name == "cli-test-app"))
        assert stored == hashlib.sha256(raw.encode()).hexdigest()
    finally:
        with engine.begin() as conn:
            conn.execute(delete(Open311Key).where(Open311Key.name == "cli-test-app"))
        engine.dispose()
