"""The RQ worker process: ``python -m dispatch.worker`` (both queues, with RQ's scheduler)."""

from __future__ import annotations

import sys

from rq import Worker

from dispatch.db import configure_database
from dispatch.logs import configure_logging, request_id_var
from dispatch.queue import QUEUES, redis_connection
from dispatch.runtime import configure
from dispatch.settings import Settings


class ContextWorker(Worker):
    """An RQ worker whose log lines carry the id of the request that caused each job."""

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


def main(argv: list[str] | None = None) -> int:
    """Work the queues until SIGTERM; ``--burst`` stops when they are empty."""
    argv = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env()
    configure_logging(settings.log_level, "worker")
    configure(settings)
    # NullPool: RQ forks a work-horse per job and a pool must not cross a fork.
    configure_database(settings, for_worker=True)
    # Import every job module here, once: each job runs in a forked work-horse, which
    # would otherwise import them (Babel, pywebpush, requests …) again for every job.
    preload_job_modules()
    worker = ContextWorker(list(QUEUES), connection=redis_connection(settings.redis_url))
    # with_scheduler: RQ's own scheduler runs retries with intervals and enqueue_in jobs.
    worker.work(with_scheduler=True, burst="--burst" in argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
