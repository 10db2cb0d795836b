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
        assert first.startswith(b"retry: 1000\n: stream from ")
    finally:
        response.close()
