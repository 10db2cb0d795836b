"""The RQ worker process: ``python -m dispatch.worker`` (both queues, with RQ's scheduler)."""

from __future__ import annotations

import logging
import sys

from rq import Worker

from dispatch.db import configure_database
from dispatch.queue import QUEUES, redis_connection
from dispatch.runtime import configure
from dispatch.settings import Settings


def main(argv: list[str] | None = None) -> int:
    """Work the queues until SIGTERM; ``--burst`` stops when they are empty."""
    argv = sys.argv[1:] if argv is None else argv
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s worker %(message)s")
    configure(settings)
    # NullPool: RQ forks a work-horse per job and a pool must not cross a fork.
    configure_database(settings, for_worker=True)
    worker = Worker(list(QUEUES), connection=redis_connection(settings.redis_url))
    # with_scheduler: RQ's own scheduler runs retries with intervals and enqueue_in jobs.
    worker.work(with_scheduler=True, burst="--burst" in argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
