import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from dispatch import runtime
from dispatch.errors import ImportFailed
from dispatch.jobs_traffic import build_adapters, poll_traffic_feeds, prune_traffic_readings
from dispatch.models import RoadLink, TrafficReading
from dispatch.traffic import (
    LinkSpec,
    Thresholds,
    feed_freshness,
    import_links,
    link_coverage,
    links_in_bbox,
    links_near,
    links_oldest_reading_first,
    prune_readings,
    store_readings,
    upsert_shapes,
)
from feeds.citydata import parse_citydata

SEJONG_SOUTH = "1220003800"
OLYMPIC_EAST = "1000000100"
SEOUL = (126.7, 37.4, 127.3, 37.75)


def test_import_links_loads_names_class_and_direction(session, seoul_links):
    assert (seoul_links.features, seoul_links.added, seoul_links.skipped) == (24, 24, [])
    link = session.get(RoadLink, SEJONG_SOUTH)
    assert link.names == {"ko": "세종대로", "en": "Sejong-daero"} and link.name == "세종대로"
    assert link.road_class == "arterial" and link.direction.startswith("southbound")
    assert session.get(RoadLink, OLYMPIC_EAST).road_class == "expressway"


def test_import_links_twice_updates_and_skips_bad_features(session, seoul_links, tmp_path):
    document = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": SEJONG_SOUTH, "n": "세종로"},
         "geometry": {"type": "LineString", "coordinates": [[126.9768, 37.5718],
                                                            [126.9771, 37.5690]]}},
        {"type": "Feature", "properties": {"id": "1"},
         "geometry": {"type": "Point", "coordinates": [126.97, 37.57]}},
        {"type": "Feature", "properties": {"n": "no id"},
         "geometry": {"type": "LineString", "coordinates": [[126.97, 37.57], [126.98, 37.58]]}},
        {"type": "Feature", "properties": {"id": "2"},
         "geometry": {"type": "MultiLineString", "coordinates": [
             [[126.97, 37.57], [126.98, 37.58]], [[126.99, 37.59], [127.0, 37.6]]]}},
    ]}
    path = tmp_path / "links.geojson"
    path.write_text(json.dumps(document))
    report = import_links(session, LinkSpec(path, "id", (("ko", "n"),)))
    assert (report.added, report.updated, len(report.skipped)) == (0, 1, 3)
    assert session.get(RoadLink, SEJONG_SOUTH).names == {"ko": "세종로"}


def test_import_links_unreadable_file_fails(session, tmp_path):
    with pytest.raises(ImportFailed):
        import_links(session, LinkSpec(tmp_path / "missing.geojson", "id"))


@pytest.mark.parametrize("speed,road_class,level", [
    (80, "expressway", "free"), (50, "expressway", "slow"), (20, "expressway", "jammed"),
    (30, "arterial", "free"), (20, "arterial", "slow"), (10, "arterial", "jammed"),
    (25, "unknown-class", "free"), (None, "arterial", "unknown"),
])
def test_thresholds_per_road_class(speed, road_class, level):
    thresholds = Thresholds.parse(("expressway:70/30", "*:25/15"))
    assert thresholds.level(speed, road_class) == level


def test_thresholds_use_feed_level_without_speed():
    assert Thresholds.parse(()).level(None, "arterial", "slow") == "slow"


def test_store_readings_levels_unknown_links_and_duplicates(session, seoul_links, add_readings):
    when = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    report = add_readings({SEJONG_SOUTH: 12, OLYMPIC_EAST: 50, "9999999999": 40}, when)
    assert (report.received, report.stored, report.unknown_links) == (3, 2, 1)
    levels = dict(session.execute(select(TrafficReading.link_id, TrafficReading.level)).all())
    assert levels == {SEJONG_SOUTH: "jammed", OLYMPIC_EAST: "slow"}
    again = add_readings({SEJONG_SOUTH: 12}, when)  # the same batch twice is harmless
    assert (again.stored, again.duplicates) == (0, 1)


def test_store_readings_of_nothing(session):
    assert store_readings(session, [], "topis", Thresholds.parse(())).stored == 0


def test_feed_freshness_stale_when_nothing_new_for_15_minutes(session, seoul_links,
                                                              add_readings):
    now = datetime.now(UTC)
    assert feed_freshness(session, 15, now).stale is True  # never ran
    add_readings({SEJONG_SOUTH: 30}, now - timedelta(minutes=16))
    assert feed_freshness(session, 15, now).stale is True
    add_readings({SEJONG_SOUTH: 30}, now - timedelta(minutes=4))
    fresh = feed_freshness(session, 15, now)
    assert fresh.stale is False and fresh.updated_at == now - timedelta(minutes=4)


def test_links_in_bbox_marks_links_without_recent_reading_stale(session, seoul_links,
                                                                add_readings):
    now = datetime.now(UTC)
    add_readings({SEJONG_SOUTH: 12}, now - timedelta(minutes=2))
    add_readings({OLYMPIC_EAST: 80}, now - timedelta(minutes=40))
    states, truncated = links_in_bbox(session, SEOUL, 15, now)
    by_id = {s.link_id: s for s in states}
    assert len(states) == 24 and truncated is False
    assert (by_id[SEJONG_SOUTH].current_level, by_id[SEJONG_SOUTH].speed_kmh) == ("jammed", 12)
    assert by_id[OLYMPIC_EAST].current_level == "stale"
    assert by_id["1190001500"].current_level == "stale"  # never read
    # A box around Teheran-ro only
    teheran, _ = links_in_bbox(session, (127.02, 37.49, 127.07, 37.51), 15, now)
    assert {s.name for s in teheran} == {"테헤란로"}


def test_links_near_uses_metres(session, seoul_links):
    city_hall = (126.9779, 37.5663)
    near = {s.name for s in links_near(session, *city_hall, 300, 15)}
    assert near == {"세종대로"}
    wider = {s.name for s in links_near(session, *city_hall, 1000, 15)}
    assert wider == {"세종대로", "종로"}


def test_prune_removes_only_readings_older_than_history(session, seoul_links, add_readings):
    now = datetime.now(UTC)
    add_readings({SEJONG_SOUTH: 30}, now - timedelta(days=8))
    add_readings({SEJONG_SOUTH: 31}, now - timedelta(days=6))
    assert prune_readings(session, 7, now) == 1
    assert session.scalar(select(func.count()).select_from(TrafficReading)) == 1


def test_citydata_shapes_create_links_and_keep_loaded_names(session, seoul_links, feed_dir):
    readings, shapes, _ = parse_citydata((feed_dir / "citydata_gwanghwamun.json").read_bytes())
    assert upsert_shapes(session, shapes, "citydata") == 3
    session.expire_all()
    new = session.get(RoadLink, "1220099900")
    assert new.names == {"ko": "새문안로"} and new.source == "citydata"
    kept = session.get(RoadLink, SEJONG_SOUTH)
    assert kept.names == {"ko": "세종대로", "en": "Sejong-daero"}
    report = store_readings(session, readings, "citydata", Thresholds.parse(()))
    assert (report.stored, report.unknown_links) == (3, 1)  # 1220099800 had no usable shape


@pytest.fixture
def feed_settings(settings, tmp_path, feed_dir):
    """Settings whose TOPIS feed reads recorded answers from files."""
    answers = {SEJONG_SOUTH: "topis_ok.xml", "1190001500": "topis_upper_decimal.xml",
               # asked for a known link, the feed answers about link 9999999999
               "1000011600": "topis_unknown_link.xml", "1000000100": "topis_no_data.xml",
               "1000000200": "topis_error.xml", "1000000300": "topis_malformed.xml"}
    for link_id, fixture in answers.items():
        (tmp_path / f"{link_id}.xml").write_bytes((feed_dir / fixture).read_bytes())
    (tmp_path / "gwanghwamun.json").write_bytes(
        (feed_dir / "citydata_gwanghwamun.json").read_bytes())
    changed = settings.replace(
        traffic_feeds=("topis", "citydata"),
        topis_url_template=f"file://{tmp_path}/{{link_id}}.xml",
        citydata_url_template=f"file://{tmp_path}/{{area}}.json",
        citydata_areas=("gwanghwamun",), traffic_fetch_rate=0.0)
    runtime.configure(changed)
    yield changed
    runtime.configure(settings)


def test_poll_traffic_feeds_job_stores_readings_from_both_feeds(session, seoul_links,
                                                                feed_settings):
    summary = poll_traffic_feeds()
    assert summary["topis"]["requests"] == 24
    assert summary["topis"]["stored"] == 2
    assert summary["topis"]["unknown_links"] == 1
    assert summary["topis"]["empty"] == 1  # INFO-200
    # ERROR-500, malformed XML, and no recorded answer for the 18 other links
    assert summary["topis"]["failed"] == 20
    assert summary["citydata"]["shapes"] == 3 and summary["citydata"]["stored"] == 3
    speeds = dict(session.execute(
        select(TrafficReading.link_id, TrafficReading.speed_kmh)
        .where(TrafficReading.source == "topis")).all())
    assert speeds == {SEJONG_SOUTH: 14, "1190001500": 31.2}


def test_build_adapters_follows_settings(settings, feed_settings):
    assert [a.source for a in build_adapters(feed_settings)] == ["topis", "citydata"]
    assert build_adapters(settings) == []


def test_prune_job_uses_history_setting(session, seoul_links, add_readings, settings):
    add_readings({SEJONG_SOUTH: 30}, datetime.now(UTC) - timedelta(days=30))
    assert prune_traffic_readings() == 1


def test_schedule_polls_traffic_every_5_minutes_and_prunes_hourly():
    from dispatch.schedule import SCHEDULE

    jobs = {job_id: (func, seconds) for job_id, func, _queue, seconds in SCHEDULE}
    assert jobs["poll-traffic"] == (poll_traffic_feeds, 300)
    assert jobs["prune-traffic"] == (prune_traffic_readings, 3600)


def test_cli_import_links_arguments():
    from dispatch.cli import _name_props, build_parser

    args = build_parser().parse_args([
        "import-links", "links.geojson", "--id-prop", "LINK_ID", "--name-prop", "ROAD_NAME",
        "--name-prop", "en=ROAD_NAME_EN", "--class-prop", "ROAD_CLASS",
        "--direction-prop", "DIRECTION"])
    assert _name_props(args.name_prop) == (("ko", "ROAD_NAME"), ("en", "ROAD_NAME_EN"))
    assert (args.class_prop, args.direction_prop) == ("ROAD_CLASS", "DIRECTION")


def test_summary_templates_cover_every_service_language():
    from dispatch.settings import LANGUAGES
    from dispatch.traffic_summary import _TEMPLATES

    assert set(_TEMPLATES) == set(LANGUAGES)
    keys = set(_TEMPLATES["en"])
    for language, template in _TEMPLATES.items():
        assert set(template) == keys, language
        assert set(template["kinds"]) == {"accident", "works", "event", "closure"}


class SlowTopis:
    """A feed that reads only the first ``per_poll`` links it is given (its budget ends)."""

    source = "topis"

    def __init__(self, per_poll, start):
        self.per_poll, self.clock, self.asked = per_poll, start, []

    def poll(self, link_ids):
        from feeds.base import FeedBatch, LinkReading

        self.asked.append(list(link_ids))
        self.clock += timedelta(minutes=5)
        batch = FeedBatch("topis", requests=len(link_ids))
        batch.readings = [LinkReading(link, 40.0, None, self.clock)
                          for link in link_ids[:self.per_poll]]
        return batch


def test_a_slow_feed_reads_different_links_each_poll(session, seoul_links, settings,
                                                     monkeypatch):
    feed = SlowTopis(per_poll=8, start=datetime.now(UTC) - timedelta(minutes=20))
    monkeypatch.setattr("dispatch.jobs_traffic.build_adapters", lambda _settings: [feed])
    read = set()
    for _ in range(3):
        poll_traffic_feeds()
        read |= set(feed.asked[-1][:8])
    assert len(read) == 24  # all 24 links in three polls, not the same 8 three times
    summary = poll_traffic_feeds()
    assert summary["coverage"]["links"] == 24


def test_links_are_polled_oldest_reading_first(session, seoul_links, add_readings):
    now = datetime.now(UTC).replace(microsecond=0)
    add_readings({SEJONG_SOUTH: 30}, now - timedelta(minutes=1))
    add_readings({OLYMPIC_EAST: 30}, now - timedelta(minutes=9))
    order = links_oldest_reading_first(session)
    assert len(order) == 24
    assert order[-2:] == [OLYMPIC_EAST, SEJONG_SOUTH]  # never-read links come first


def test_link_coverage_counts_links_with_a_fresh_reading(session, seoul_links, add_readings):
    now = datetime.now(UTC)
    assert (link_coverage(session, 15, now).fresh, link_coverage(session, 15, now).total) \
        == (0, 24)
    add_readings({SEJONG_SOUTH: 30, OLYMPIC_EAST: 50}, now - timedelta(minutes=2))
    add_readings({"1190001500": 30}, now - timedelta(minutes=20))
    coverage = link_coverage(session, 15, now)
    assert (coverage.fresh, coverage.total) == (2, 24) and coverage.share == 2 / 24


def test_readings_dated_in_the_future_are_rejected(session, seoul_links, add_readings):
    now = datetime.now(UTC).replace(microsecond=0)
    wrong_clock = add_readings({SEJONG_SOUTH: 5}, now.replace(year=now.year + 1))
    assert (wrong_clock.received, wrong_clock.stored, wrong_clock.rejected) == (1, 0, 1)
    assert wrong_clock.duplicates == 0
    slightly_ahead = add_readings({SEJONG_SOUTH: 60}, now + timedelta(minutes=2))
    assert (slightly_ahead.stored, slightly_ahead.rejected) == (1, 0)
    [link] = [state for state in links_in_bbox(session, SEOUL, 15)[0]
              if state.link_id == SEJONG_SOUTH]
    assert link.speed_kmh == 60


def test_prune_removes_readings_dated_in_the_future(session, seoul_links, add_readings):
    now = datetime.now(UTC).replace(microsecond=0)
    add_readings({SEJONG_SOUTH: 60}, now)
    # Stored before future readings were refused: a feed whose clock was a year ahead.
    session.add(TrafficReading(link_id=SEJONG_SOUTH, observed_at=now.replace(year=now.year + 1),
                               speed_kmh=5, level="jammed", source="citydata"))
    session.flush()
    assert prune_readings(session, 7, now) == 1
    assert session.scalar(select(func.max(TrafficReading.observed_at))) == now
