"""defer(): jobs reach Redis only after commit, and a real worker process runs them."""

import json
import os
import subprocess
import sys

import pytest
from rq import Queue

from dispatch import jobs, runtime
from dispatch.logs import request_id_var
from dispatch.queue import MAINTENANCE, defer, enqueue, redis_connection


@pytest.fixture
def async_settings(settings):
    runtime.configure(settings.replace(queue_async=True))
    connection = redis_connection(settings.redis_url)
    connection.flushdb()
    yield settings
    connection.flushdb()
    runtime.configure(settings)


def queued_ids(settings, name=MAINTENANCE):
    return Queue(name, connection=redis_connection(settings.redis_url)).job_ids


def test_defer_enqueues_after_commit_only(async_settings, session):
    defer(session, jobs.record_heartbeat, job_id="heartbeat:test", queue=MAINTENANCE)
    assert queued_ids(async_settings) == []
    session.commit()
    assert queued_ids(async_settings) == ["heartbeat-test"]


def test_defer_forgets_jobs_on_rollback(async_settings, session):
    defer(session, jobs.record_heartbeat, job_id="heartbeat:gone", queue=MAINTENANCE)
    session.rollback()
    session.commit()
    assert queued_ids(async_settings) == []


def test_enqueue_same_job_id_twice_queues_once(async_settings):
    enqueue(jobs.record_heartbeat, job_id="heartbeat:once", queue=MAINTENANCE)
    enqueue(jobs.record_heartbeat, job_id="heartbeat:once", queue=MAINTENANCE)
    assert queued_ids(async_settings) == ["heartbeat-once"]


def test_commit_survives_redis_being_unreachable(settings, session):
    runtime.configure(settings.replace(queue_async=True, redis_url="redis://127.0.0.1:1/0"))
    try:
        defer(session, jobs.record_heartbeat, job_id="heartbeat:lost", queue=MAINTENANCE)
        session.commit()  # must not raise: the database is the truth, Redis a trigger
    finally:
        runtime.configure(settings)


def test_inline_mode_runs_job_at_commit(settings, session):
    connection = redis_connection(settings.redis_url)
    connection.delete(jobs.HEARTBEAT_KEY)
    defer(session, jobs.record_heartbeat, queue=MAINTENANCE)
    assert connection.get(jobs.HEARTBEAT_KEY) is None
    session.commit()
    assert connection.get(jobs.HEARTBEAT_KEY) is not None


def test_real_worker_process_runs_queued_job_with_request_id_in_logs(async_settings):
    connection = redis_connection(async_settings.redis_url)
    connection.delete(jobs.HEARTBEAT_KEY)
    token = request_id_var.set("req-from-web-123")
    try:
        enqueue(jobs.record_heartbeat, job_id="heartbeat:worker", queue=MAINTENANCE)
    finally:
        request_id_var.reset(token)
    env = {**os.environ, "DASAN_DATABASE_URL": async_settings.database_url,
           "DASAN_REDIS_URL": async_settings.redis_url,
           "DASAN_SECRET_KEY": async_settings.secret_key, "DASAN_LOG_LEVEL": "INFO"}
    done = subprocess.run([sys.executable, "-m", "dispatch.worker", "--burst"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert connection.get(jobs.HEARTBEAT_KEY) is not None
    heartbeat_lines = [json.loads(line) for line in done.stderr.splitlines()
                       if "heartbeat recorded" in line]
    assert heartbeat_lines and heartbeat_lines[0]["request_id"] == "req-from-web-123"
