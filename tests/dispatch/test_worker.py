"""The worker process: outlives Redis going away mid-job, stops on SIGTERM, works its queues."""

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest
from rq import Queue
from rq.job import Job, JobStatus

from dispatch import jobs
from dispatch.queue import FEEDS, MAINTENANCE, NOTIFY, redis_connection
from dispatch.schedule import SCHEDULE
from dispatch.worker import parse_args
from tests.services import ROOT, RedisServer


def wait_until(check, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # Redis may be on its way back
            if check():
                return True
        time.sleep(0.2)
    return False


def test_the_worker_outlives_redis_going_away_mid_job_and_stops_on_sigterm(settings, tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    connection = redis_connection(redis.url)
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed in finally
    worker = subprocess.Popen(
        [sys.executable, "-m", "dispatch.worker"], cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=log, env={**os.environ, "DASAN_DATABASE_URL": settings.database_url,
                         "DASAN_REDIS_URL": redis.url, "DASAN_SECRET_KEY": settings.secret_key,
                         "DASAN_LOG_LEVEL": "INFO"})
    try:
        queue = Queue(MAINTENANCE, connection=connection)
        slow = queue.enqueue(time.sleep, 2)
        assert wait_until(lambda: slow.get_status(refresh=True) == JobStatus.STARTED)
        # Redis goes while the job runs: RQ's own loop ends on the error that follows.
        redis.stop()
        time.sleep(4)
        assert worker.poll() is None, "the worker exited with Redis"
        redis.start()
        connection = redis_connection(redis.url)
        connection.delete(jobs.HEARTBEAT_KEY)
        job = Queue(MAINTENANCE, connection=connection).enqueue(jobs.record_heartbeat)
        assert wait_until(lambda: connection.get(jobs.HEARTBEAT_KEY) is not None), (
            (tmp_path / "worker.log").read_text()[-3000:])
        # The job sets the key before RQ records it finished: wait for that too (a race
        # that failed once on a loaded machine).
        assert wait_until(lambda: Job.fetch(job.id, connection=connection).get_status()
                          == JobStatus.FINISHED)
        assert worker.poll() is None
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        log.close()
        redis.stop()


def test_the_traffic_poll_has_a_queue_the_default_worker_leaves_alone():
    queues = {job_id: queue for job_id, _, queue, _ in SCHEDULE}
    assert queues["poll-traffic"] == queues["prune-traffic"] == FEEDS
    assert queues["heartbeat"] == MAINTENANCE
    assert parse_args([]).queues == [NOTIFY, MAINTENANCE]
    assert parse_args(["--queues", "feeds"]).queues == [FEEDS]
    with pytest.raises(SystemExit):
        parse_args(["--queues", "feeds,nonsense"])


def test_a_feeds_worker_runs_the_poll_while_the_default_worker_runs_the_heartbeat(settings):
    connection = redis_connection(settings.redis_url)
    connection.delete(jobs.HEARTBEAT_KEY)
    feeds, maintenance = (Queue(name, connection=connection) for name in (FEEDS, MAINTENANCE))
    feeds.empty()
    poll = feeds.enqueue(time.sleep, 0)  # stands in for a two-minute traffic poll
    maintenance.enqueue(jobs.record_heartbeat)
    env = {**os.environ, "DASAN_DATABASE_URL": settings.database_url,
           "DASAN_REDIS_URL": settings.redis_url, "DASAN_SECRET_KEY": settings.secret_key}

    def burst(*queues):
        done = subprocess.run([sys.executable, "-m", "dispatch.worker", "--burst", *queues],
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]

    burst()
    assert connection.get(jobs.HEARTBEAT_KEY) is not None
    assert poll.get_status(refresh=True) == JobStatus.QUEUED  # not the default worker's
    burst("--queues", "feeds")
    assert poll.get_status(refresh=True) == JobStatus.FINISHED
