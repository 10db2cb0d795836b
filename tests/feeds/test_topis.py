from datetime import UTC, datetime

import pytest

from feeds.base import FeedFormatError
from feeds.topis import TopisAdapter, parse_traffic_info

WHEN = datetime(2026, 11, 28, 7, 5, tzinfo=UTC)


def test_parse_normal_answer(feed_dir):
    answer = parse_traffic_info((feed_dir / "topis_ok.xml").read_bytes(), WHEN)
    assert answer.code == "INFO-000" and answer.ok
    [reading] = answer.readings
    assert (reading.link_id, reading.speed_kmh, reading.travel_time_s) == ("1220003800", 14, 771)
    assert reading.observed_at == WHEN


def test_parse_upper_case_tags_and_decimal_speed(feed_dir):
    [reading] = parse_traffic_info((feed_dir / "topis_upper_decimal.xml").read_bytes()).readings
    assert (reading.link_id, reading.speed_kmh, reading.travel_time_s) == ("1190001500", 31.2, 318)


def test_parse_empty_values_are_no_reading(feed_dir):
    answer = parse_traffic_info((feed_dir / "topis_empty_speed.xml").read_bytes())
    assert answer.ok and answer.readings == []


def test_parse_info_200_is_a_valid_empty_answer(feed_dir):
    answer = parse_traffic_info((feed_dir / "topis_no_data.xml").read_bytes())
    assert (answer.code, answer.ok, answer.readings) == ("INFO-200", True, [])


def test_parse_error_code_is_not_ok(feed_dir):
    answer = parse_traffic_info((feed_dir / "topis_error.xml").read_bytes())
    assert answer.code == "ERROR-500" and not answer.ok
    assert "서버" in answer.message


@pytest.mark.parametrize("body", [
    b"", b"not xml", b"<TrafficInfo><row><link_id>1</link_id></row></TrafficInfo>",
    b"<TrafficInfo><RESULT><MESSAGE>x</MESSAGE></RESULT></TrafficInfo>",
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><RESULT><CODE>&a;</CODE></RESULT>',
])
def test_parse_malformed_raises_feed_format_error(body):
    with pytest.raises(FeedFormatError):
        parse_traffic_info(body)


def test_parse_malformed_fixture(feed_dir):
    with pytest.raises(FeedFormatError, match="malformed XML"):
        parse_traffic_info((feed_dir / "topis_malformed.xml").read_bytes())


def test_parse_negative_or_garbage_speed_is_no_reading():
    body = (b"<TrafficInfo><RESULT><CODE>INFO-000</CODE></RESULT>"
            b"<row><link_id>1</link_id><prcs_spd>-3</prcs_spd><prcs_trv_time>abc</prcs_trv_time>"
            b"</row></TrafficInfo>")
    assert parse_traffic_info(body).readings == []


def _file_template(tmp_path, mapping, feed_dir):
    for link_id, fixture in mapping.items():
        (tmp_path / f"{link_id}.xml").write_bytes((feed_dir / fixture).read_bytes())
    return f"file://{tmp_path}/{{link_id}}.xml"


def test_adapter_over_file_urls_counts_every_outcome(tmp_path, feed_dir):
    template = _file_template(tmp_path, {
        "1220003800": "topis_ok.xml", "1190001500": "topis_upper_decimal.xml",
        "1000011600": "topis_empty_speed.xml", "1000000100": "topis_no_data.xml",
        "1000000200": "topis_error.xml", "1000000300": "topis_malformed.xml",
    }, feed_dir)
    adapter = TopisAdapter(template, "secret", clock=lambda: WHEN)
    batch = adapter.poll(["1220003800", "1190001500", "1000011600", "1000000100",
                          "1000000200", "1000000300", "1000000400"])
    assert batch.requests == 7
    assert {r.link_id for r in batch.readings} == {"1220003800", "1190001500"}
    assert all(r.observed_at == WHEN for r in batch.readings)
    assert batch.empty == 2  # an empty speed and INFO-200
    failures = dict(batch.failures)
    assert failures["1000000200"].startswith("ERROR-500")
    assert "malformed XML" in failures["1000000300"]
    assert "cannot read" in failures["1000000400"]  # no file: like a missing answer


def test_adapter_over_http_quotes_the_key_and_reads_answers(feed_server):
    port = feed_server.server_address[1]
    template = f"http://127.0.0.1:{port}/{{key}}/xml/TrafficInfo/1/5/topis_{{link_id}}.xml"
    batch = TopisAdapter(template, "a b/c").poll(["ok", "upper_decimal", "error"])
    assert sorted(r.speed_kmh for r in batch.readings) == [14, 31.2]
    assert [why for _, why in batch.failures] == ["ERROR-500 서버 오류입니다."]
    assert all(path.startswith("/a%20b%2Fc/xml/") for path in feed_server.requests_seen)


def test_adapter_feed_server_that_times_out_gives_failures_not_errors(silent_server):
    template = f"http://127.0.0.1:{silent_server}/{{key}}/{{link_id}}"
    adapter = TopisAdapter(template, "k", concurrency=4, timeout_s=0.3, rate_per_s=0)
    batch = adapter.poll(["1220003800", "1220003900", "1220004000"])
    assert batch.readings == []
    assert [why for _, why in batch.failures] == ["timed out"] * 3
