import time

from dispatch.jobs import HEARTBEAT_KEY
from dispatch.queue import redis_connection


def test_live_answers(client):
    assert client.get("/health/live").get_json() == {"status": "ok"}


def test_ready_is_ok_with_database_redis_and_fresh_heartbeat(client):
    redis_connection().set(HEARTBEAT_KEY, f"{time.time():.0f}")
    body = client.get("/health/ready").get_json()
    assert body == {"status": "ok", "checks": {
        "database": "ok", "areas": "ok", "redis": "ok", "worker": "ok",
        "traffic_feed": "not configured", "sms_gateway": "log backend"}}


def test_ready_is_degraded_but_200_without_worker_heartbeat(client):
    redis_connection().delete(HEARTBEAT_KEY)
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.get_json()["status"] == "degraded"
    assert response.get_json()["checks"]["worker"] == "no heartbeat"


def test_ready_reports_stale_heartbeat(client):
    redis_connection().set(HEARTBEAT_KEY, f"{time.time() - 600:.0f}")
    assert client.get("/health/ready").get_json()["checks"]["worker"].startswith("stale")


def test_ready_reports_stale_traffic_feed_and_unreachable_gateway(app, client, settings):
    from dispatch.runtime import configure

    redis_connection().set(HEARTBEAT_KEY, f"{time.time():.0f}")
    changed = settings.replace(traffic_feeds=("topis",), sms_backend="kannel",
                               kannel_sendsms_url="http://127.0.0.1:1/cgi-bin/sendsms")
    app.extensions["dispatch.settings"] = changed
    try:
        response = client.get("/health/ready")
    finally:
        app.extensions["dispatch.settings"] = settings
        configure(settings)
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["checks"]["traffic_feed"] == "stale"
    assert body["checks"]["sms_gateway"].startswith("unreachable")


def test_ready_reports_low_traffic_coverage(app, client, settings, session, seoul_links,
                                           add_readings):
    from datetime import UTC, datetime

    redis_connection().set(HEARTBEAT_KEY, f"{time.time():.0f}")
    add_readings({"1220003800": 30}, datetime.now(UTC).replace(microsecond=0))
    app.extensions["dispatch.settings"] = settings.replace(traffic_feeds=("topis",))
    try:
        checks = client.get("/health/ready").get_json()["checks"]
        app.extensions["dispatch.settings"] = settings.replace(traffic_feeds=("topis",),
                                                               traffic_min_coverage=0.0)
        relaxed = client.get("/health/ready").get_json()["checks"]
    finally:
        app.extensions["dispatch.settings"] = settings
    assert checks["traffic_feed"] == "low coverage (1 of 24 links fresh)"
    assert relaxed["traffic_feed"] == "ok"
