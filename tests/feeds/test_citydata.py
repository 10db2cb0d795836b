from datetime import UTC, datetime

import pytest

from feeds.base import FeedFormatError
from feeds.citydata import CityDataAdapter, parse_citydata, parse_xylist


def test_parse_citydata_links_readings_and_time(feed_dir):
    readings, shapes, code = parse_citydata(
        (feed_dir / "citydata_gwanghwamun.json").read_bytes())
    assert code == "INFO-000"
    by_id = {r.link_id: r for r in readings}
    assert set(by_id) == {"1220003800", "1000011600", "1220099900", "1220099800"}
    assert (by_id["1220003800"].speed_kmh, by_id["1220003800"].feed_level) == (12.5, "jammed")
    assert by_id["1220099900"].speed_kmh is None and by_id["1220099900"].feed_level == "slow"
    # ROAD_TRAFFIC_TIME is Seoul time (UTC+9)
    assert by_id["1220003800"].observed_at == datetime(2026, 11, 28, 7, 5, tzinfo=UTC)
    shape = {s.link_id: s for s in shapes}
    assert set(shape) == {"1220003800", "1000011600", "1220099900"}  # bad XYLIST: no shape
    assert shape["1220003800"].coordinates[0] == (126.9768, 37.5718)
    assert shape["1220003800"].name == "세종대로"


@pytest.mark.parametrize("text,expected", [
    ("126.97_37.57|126.98_37.58", ((126.97, 37.57), (126.98, 37.58))),
    ("126.97,37.57;126.98,37.58", ((126.97, 37.57), (126.98, 37.58))),
    ("37.57_126.97|37.58_126.98", ((126.97, 37.57), (126.98, 37.58))),  # lat first: swapped
    ("126.97_37.57|126.97_37.57|126.98_37.58", ((126.97, 37.57), (126.98, 37.58))),
])
def test_parse_xylist_forms(text, expected):
    assert parse_xylist(text) == expected


@pytest.mark.parametrize("text", ["", "126.97_37.57", "a_b|c_d", "126_37_1|127_38",
                                  "500_37|126_37"])
def test_parse_xylist_rejects_bad_polylines(text):
    with pytest.raises(FeedFormatError):
        parse_xylist(text)


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"RESULT": {"CODE": "INFO-000"}}', b"\xff\xfe"])
def test_parse_citydata_malformed(body):
    with pytest.raises(FeedFormatError):
        parse_citydata(body)


def test_parse_citydata_error_code_without_data():
    body = b'{"RESULT": {"RESULT.CODE": "ERROR-500", "RESULT.MESSAGE": "x"}}'
    assert parse_citydata(body) == ([], [], "ERROR-500")


def test_citydata_adapter_reads_areas_from_file_urls(tmp_path, feed_dir):
    (tmp_path / "gwanghwamun.json").write_bytes(
        (feed_dir / "citydata_gwanghwamun.json").read_bytes())
    (tmp_path / "broken.json").write_bytes(b"{")
    adapter = CityDataAdapter(f"file://{tmp_path}/{{area}}.json", "", ["gwanghwamun", "broken"])
    batch = adapter.poll([])
    assert batch.requests == 2 and len(batch.readings) == 4 and len(batch.shapes) == 3
    assert batch.failures[0][0] == "broken"
