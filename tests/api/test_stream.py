"""The live map's event stream: who may open it and how it starts."""

from __future__ import annotations


def test_the_stream_needs_a_staff_token(client):
    response = client.get("/api/v1/stream")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    response = client.get("/api/v1/stream?access_token=not-a-token")
    assert response.status_code == 401


def test_the_stream_opens_with_a_retry_hint(client, create_staff, login):
    headers = login(create_staff(role="dispatcher"))
    token = headers["Authorization"].split()[1]
    response = client.get(f"/api/v1/stream?access_token={token}",
                          headers={"Last-Event-ID": "not-a-number"})
    try:
        assert response.status_code == 200
        assert response.mimetype == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache"
        first = next(response.response)
        assert first.startswith(b"retry: 1000\nid: ")
        assert b"\n: stream from " in first
    finally:
        response.close()


def test_open_streams_are_capped_so_maps_never_starve_other_requests(app, client, settings,
                                                                    create_staff, login):
    from api.stream import SLOTS

    app.extensions["dispatch.settings"] = settings.replace(sse_max_streams=2)
    try:
        token = login(create_staff(role="dispatcher"))["Authorization"].split()[1]
        url = f"/api/v1/stream?access_token={token}"
        before = SLOTS.open
        first, second = client.get(url), client.get(url)
        assert (first.status_code, second.status_code) == (200, 200)
        assert SLOTS.open == before + 2
        refused = client.get(url)
        assert refused.status_code == 503
        assert refused.get_json()["error"] == "streams_full"
        assert int(refused.headers["Retry-After"]) > 0
        # Other requests still get a thread.
        assert client.get("/api/v1/categories").status_code == 200
        # A stream closed by its client, even one never read, frees its slot.
        first.close()
        assert SLOTS.open == before + 1
        third = client.get(url)
        assert third.status_code == 200
        third.close()
        second.close()
        assert SLOTS.open == before
    finally:
        app.extensions["dispatch.settings"] = settings


def test_the_default_cap_is_half_the_threads(app, settings):
    from api.stream import stream_limit

    try:
        for threads, expected in ((4, 2), (1, 1), (32, 16)):
            app.extensions["dispatch.settings"] = settings.replace(web_threads=threads)
            with app.test_request_context():
                assert stream_limit() == expected
        app.extensions["dispatch.settings"] = settings.replace(sse_max_streams=40)
        with app.test_request_context():
            assert stream_limit() == 40
    finally:
        app.extensions["dispatch.settings"] = settings


def test_a_stream_ends_once_its_token_is_revoked(client, create_staff, login, monkeypatch):
    from api import stream

    monkeypatch.setattr(stream, "HEARTBEAT_SECONDS", 0.0)
    token = login(create_staff(role="dispatcher"))["Authorization"].split()[1]
    response = client.get(f"/api/v1/stream?access_token={token}")
    try:
        chunks = iter(response.response)
        assert next(chunks).startswith(b"retry: 1000")
        assert next(chunks).endswith(b": heartbeat\n\n")  # still admitted
        assert client.post("/api/v1/auth/logout", headers={
            "Authorization": f"Bearer {token}"}).status_code == 204
        assert next(chunks, None) is None  # the stream ended at the next check
    finally:
        response.close()


def test_a_transfer_message_tells_the_old_district_to_drop_the_marker():
    import json
    from datetime import UTC, datetime

    from api.stream import _message
    from dispatch.live import LiveEvent

    event = LiveEvent(id=7, kind="transferred", public_id="261129-0000001", status="transferred",
                      category="garbage", district="11680", lon=127.0, lat=37.5, priority=3,
                      due_at=None, at=datetime.now(UTC), from_district="11140",
                      to_district="11680", left_district=True)
    text = _message(event, "Asia/Seoul")
    assert text.startswith("id: 7\nevent: complaint\n")
    body = json.loads(text.split("data: ", 1)[1])
    assert body["left_district"] is True
    assert (body["from_district"], body["to_district"]) == ("11140", "11680")


def test_the_opening_and_every_heartbeat_carry_the_cursor_position(client, create_staff, login,
                                                                   monkeypatch):
    """A quiet district's browser still gets a Last-Event-ID to resume from."""
    import re

    from api import stream

    monkeypatch.setattr(stream, "HEARTBEAT_SECONDS", 0.0)
    token = login(create_staff(role="supervisor", district_code="11140"))[
        "Authorization"].split()[1]
    response = client.get(f"/api/v1/stream?access_token={token}",
                          headers={"Last-Event-ID": "12345"})
    try:
        chunks = iter(response.response)
        assert re.match(rb"retry: 1000\nid: 12345\n", next(chunks))
        assert re.fullmatch(rb"id: \d+\n: heartbeat\n\n", next(chunks))
    finally:
        response.close()
