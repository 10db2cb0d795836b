"""The same client UUID sent 1,000 times, concurrently, to a real gunicorn makes one complaint."""

import json
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from dispatch.db import sqlalchemy_url
from tests.factories import complaint_json
from tests.faults.cluster import WebServer

pytestmark = pytest.mark.slow


def test_thousand_concurrent_replays_make_one_complaint(database_url, redis_url):
    server = WebServer({"DASAN_DATABASE_URL": database_url, "DASAN_REDIS_URL": redis_url,
                        "DASAN_SECRET_KEY": "test-secret-key-0123456789",
                        "DASAN_QUEUE_ASYNC": "true",
                        "DASAN_RATE_LIMIT_INTAKE_IP": "1000000/minute",
                        "DASAN_RATE_LIMIT_INTAKE_PHONE": "1000000/minute"})
    key = str(uuid.uuid4())
    body = json.dumps(complaint_json(description=f"replay storm {key}")).encode()

    def send(_):
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/api/v1/complaints", data=body, method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": key})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())["public_id"], \
                    response.headers["Idempotent-Replayed"]
        except urllib.error.HTTPError as error:
            return error.code, None, None

    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with ThreadPoolExecutor(max_workers=48) as pool:
            answers = list(pool.map(send, range(1000)))
        assert {status for status, _, _ in answers} == {201}
        assert len({public_id for _, public_id, _ in answers}) == 1
        assert sum(replayed == "false" for _, _, replayed in answers) == 1
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM complaints WHERE client_ref = :k"),
                                {"k": key}).scalar() == 1
    finally:
        log = server.stop()
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM complaint_events WHERE complaint_id IN "
                              "(SELECT id FROM complaints WHERE client_ref = :k)"), {"k": key})
            conn.execute(text("DELETE FROM complaints WHERE client_ref = :k"), {"k": key})
        engine.dispose()
    assert "unhandled error" not in log
