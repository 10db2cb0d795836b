"""The RQ worker process: ``python -m dispatch.worker [--queues notify,maintenance] [--burst]``.

Without ``--queues`` it works ``notify`` and ``maintenance``; the traffic feeds' queue
(``feeds``) needs a worker of its own: ``python -m dispatch.worker --queues feeds``.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import signal
import sys
import threading

import redis
from rq import Worker

from dispatch.db import configure_database
from dispatch.logs import configure_logging, request_id_var
from dispatch.queue import DEFAULT_WORKER_QUEUES, QUEUES, redis_connection
from dispatch.runtime import configure
from dispatch.settings import Settings

log = logging.getLogger(__name__)

# Seconds between Redis pings while it is away (then the last one, repeatedly).
REDIS_WAITS = (0.5, 1, 2, 5, 10)


class ContextWorker(Worker):
    """An RQ worker whose log lines carry the id of the request that caused each job."""

    stop_asked = False

    def request_stop(self, signum, frame) -> None:
        """Note that SIGTERM/SIGINT asked us to stop, then stop as RQ does (warm shutdown)."""
        self.stop_asked = True
        super().request_stop(signum, frame)

    def perform_job(self, job, queue, *args, **kwargs) -> bool:
        """Run ``job`` with the request id from its meta set for logging."""
        token = request_id_var.set(job.meta.get("request_id", f"job:{job.id}"))
        try:
            return super().perform_job(job, queue, *args, **kwargs)
        finally:
            request_id_var.reset(token)


JOB_MODULES = ("dispatch.jobs", "dispatch.jobs_notify", "dispatch.jobs_photos",
               "dispatch.jobs_traffic")


def preload_job_modules() -> None:
    """Import the job modules in the parent worker process."""
    import importlib

    for name in JOB_MODULES:
        importlib.import_module(name)


def queue_names(value: str) -> list[str]:
    """Parse ``--queues``: comma-separated names of known queues, in priority order."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in QUEUES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"queues must be among {', '.join(QUEUES)}; got {value!r}")
    return names


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Read the worker's command line."""
    parser = argparse.ArgumentParser(prog="python -m dispatch.worker")
    parser.add_argument("--queues", type=queue_names, default=list(DEFAULT_WORKER_QUEUES),
                        help="comma-separated queues to work, first first "
                        f"(default {','.join(DEFAULT_WORKER_QUEUES)}; the traffic poll is on "
                        "'feeds', which needs a worker of its own)")
    parser.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Work the queues until SIGTERM; ``--burst`` stops when they are empty."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    settings = Settings.from_env()
    configure_logging(settings.log_level, "worker")
    configure(settings)
    # NullPool: RQ forks a work-horse per job and a pool must not cross a fork.
    configure_database(settings, for_worker=True)
    # Import every job module here, once: each job runs in a forked work-horse, which
    # would otherwise import them (Babel, pywebpush, requests …) again for every job.
    preload_job_modules()
    connection = redis_connection(settings.redis_url)
    burst = args.burst
    log.info("worker started on queues: %s", ", ".join(args.queues))
    while wait_for_redis(connection):
        worker = ContextWorker(args.queues, connection=connection)
        try:
            # with_scheduler: RQ's own scheduler runs retries with intervals and enqueue_in jobs.
            worker.work(with_scheduler=True, burst=burst)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            log.warning("the worker lost Redis", exc_info=True)
        if burst or worker.stop_asked:
            return 0
        # RQ ends its loop on an error outside a job (Redis gone mid-job, a timeout) and
        # leaves restarting to a process supervisor; up.sh has none, and a Redis restart
        # must not leave the texts unsent. Work again once Redis answers.
        log.error("the worker loop ended without being asked to stop; starting it again")
    return 0


def wait_for_redis(connection) -> bool:
    """Return True once Redis answers, False if SIGTERM/SIGINT comes first."""
    stop = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stop.set())
                for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        for attempt in itertools.count():
            try:
                connection.ping()
                return not stop.is_set()
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                wait = REDIS_WAITS[min(attempt, len(REDIS_WAITS) - 1)]
                if attempt % 30 == 0:  # the first time, then about every five minutes
                    log.warning("Redis does not answer (%s); trying again every %s s", exc, wait)
            if stop.wait(wait):
                return False
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return False


if __name__ == "__main__":
    sys.exit(main())
