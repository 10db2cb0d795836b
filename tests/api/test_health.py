import time

from dispatch.jobs import HEARTBEAT_KEY
from dispatch.queue import redis_connection


def test_live_answers(client):
    assert client.get("/health/live").get_json() == {"status": "ok"}


def test_ready_is_ok_with_database_redis_and_fresh_heartbeat(client):
    redis_connection().set(HEARTBEAT_KEY, f"{time.time():.0f}")
    body = client.get("/health/ready").get_json()
    assert body == {"status": "ok", "checks": {"database": "ok", "areas": "ok", "redis": "ok",
                                               "worker": "ok"}}


def test_ready_is_degraded_but_200_without_worker_heartbeat(client):
    redis_connection().delete(HEARTBEAT_KEY)
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.get_json()["status"] == "degraded"
    assert response.get_json()["checks"]["worker"] == "no heartbeat"


def test_ready_reports_stale_heartbeat(client):
    redis_connection().set(HEARTBEAT_KEY, f"{time.time() - 600:.0f}")
    assert client.get("/health/ready").get_json()["checks"]["worker"].startswith("stale")
