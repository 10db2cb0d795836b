import pytest

from feeds.fetch import FetchError, fetch_all, read_url


def test_fetch_all_keeps_order_and_records_failures(feed_server, tmp_path):
    port = feed_server.server_address[1]
    local = tmp_path / "answer.xml"
    local.write_bytes(b"<x/>")
    results = fetch_all([f"http://127.0.0.1:{port}/topis_ok.xml",
                         f"http://127.0.0.1:{port}/status/500",
                         f"file://{local}", "ftp://example.invalid/x"], concurrency=2)
    assert b"INFO-000" in results[0].body
    assert (results[1].body, results[1].error) == (None, "HTTP 500")
    assert results[2].body == b"<x/>"
    assert results[3].error == "unsupported URL scheme 'ftp'"


def test_read_url_refused_connection_is_a_fetch_error():
    from tests.services import free_port

    with pytest.raises(FetchError, match="request failed"):
        read_url(f"http://127.0.0.1:{free_port()}/x", timeout_s=1)


def test_read_url_silent_server_times_out(silent_server):
    with pytest.raises(FetchError, match="timed out"):
        read_url(f"http://127.0.0.1:{silent_server}/x", timeout_s=0.3)


def test_fetch_all_with_nothing_to_fetch():
    assert fetch_all([]) == []


def test_fetch_all_stops_starting_requests_when_the_budget_is_spent(tmp_path):
    from feeds.fetch import BUDGET_SPENT

    local = tmp_path / "a.xml"
    local.write_bytes(b"<a/>")
    results = fetch_all([f"file://{local}"] * 3, concurrency=1, budget_s=0.0, rate_per_s=0)
    assert [r.error for r in results] == [BUDGET_SPENT] * 3
