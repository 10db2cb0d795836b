"""Under a steady intake load, restart PostgreSQL and Redis: no 500, no hang, nothing lost."""

import json
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
from sqlalchemy import create_engine, text

from dispatch.db import sqlalchemy_url
from tests.factories import complaint_json
from tests.faults.cluster import PostgresCluster, WebServer
from tests.services import RedisServer

pytestmark = pytest.mark.slow


class Load:
    """Threads that file complaints until stopped, recording every outcome."""

    def __init__(self, port: int, threads: int = 4) -> None:
        self.url = f"http://127.0.0.1:{port}/api/v1/complaints"
        self.stop = threading.Event()
        self.outcomes: list[tuple[int, str | None, str | None]] = []  # status, public id, retry
        self.hangs = 0
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        while not self.stop.is_set():
            body = json.dumps(complaint_json(phone=None)).encode()
            request = urllib.request.Request(self.url, data=body, method="POST", headers={
                "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
            try:
                with urllib.request.urlopen(request, timeout=15) as response:
                    outcome = (response.status, json.loads(response.read())["public_id"], None)
            except urllib.error.HTTPError as error:
                outcome = (error.code, None, error.headers.get("Retry-After"))
            except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
                with self.lock:
                    self.hangs += 1
                    self.errors.append(repr(exc))
                continue
            with self.lock:
                self.outcomes.append(outcome)
            time.sleep(0.01)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def statuses(self) -> set[int]:
        """Every status code seen."""
        return {status for status, _, _ in self.outcomes}

    def count(self, status: int) -> int:
        """How many answers had ``status``."""
        return sum(1 for s, _, _ in self.outcomes if s == status)


@pytest.fixture(scope="module")
def cluster():
    pg = PostgresCluster()
    pg.init()
    pg.start()
    pg.create_database()
    yield pg
    pg.destroy()


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def web(cluster, redis):
    server = WebServer({"DASAN_DATABASE_URL": cluster.url, "DASAN_REDIS_URL": redis.url,
                        "DASAN_SECRET_KEY": "fault-test-secret-0123",
                        "DASAN_RATE_LIMIT_INTAKE_IP": "1000000/minute",
                        "DASAN_DB_STATEMENT_TIMEOUT_MS": "5000"})
    yield server
    log = server.stop()
    # Outages may be logged (as warnings); an unhandled error (a 500) must not be.
    assert "unhandled error" not in log, log[-3000:]


def stored_public_ids(cluster) -> set[str]:
    engine = create_engine(sqlalchemy_url(cluster.url))
    with engine.connect() as conn:
        ids = set(conn.execute(text("SELECT public_id FROM complaints")).scalars())
    engine.dispose()
    return ids


def test_postgres_restart_gives_503_or_success_and_loses_nothing(cluster, web):
    with Load(web.port) as load:
        time.sleep(1.5)
        cluster.stop("fast")
        time.sleep(2.0)
        cluster.start()
        time.sleep(3.0)
    assert load.hangs == 0, load.errors
    assert load.statuses() <= {201, 503}, load.statuses()
    assert load.count(503) > 0, "the outage was not observed"
    assert all(retry for status, _, retry in load.outcomes if status == 503)
    # The web workers recovered by themselves: the last answers succeed again.
    assert [status for status, _, _ in load.outcomes[-8:]] == [201] * 8
    answered = {public_id for status, public_id, _ in load.outcomes if status == 201}
    assert answered <= stored_public_ids(cluster)
    print(f"postgres restart: {load.count(201)} created, {load.count(503)} answered 503")


def test_redis_restart_keeps_intake_answering(cluster, web, redis):
    with Load(web.port) as load:
        time.sleep(1.0)
        redis.stop()
        time.sleep(2.0)
        redis.start()
        time.sleep(1.5)
    assert load.hangs == 0
    # Redis is only a trigger and a rate-limit counter: intake must not fail without it.
    assert load.statuses() == {201}, load.statuses()
    answered = {public_id for _, public_id, _ in load.outcomes}
    assert answered <= stored_public_ids(cluster)
