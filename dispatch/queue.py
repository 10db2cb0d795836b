"""RQ queues and ``defer``: jobs are enqueued only after the transaction that needs them commits."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from redis import Redis
from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session

from dispatch.logs import request_id_var
from dispatch.runtime import current_settings

log = logging.getLogger(__name__)

# Latency-sensitive deliveries; short periodic work (heartbeat, escalations, sweeps); and
# the traffic feeds, whose poll takes minutes and gets a worker of its own so texts,
# escalations and the heartbeat never wait behind it.
NOTIFY = "notify"
MAINTENANCE = "maintenance"
FEEDS = "feeds"
QUEUES = (NOTIFY, MAINTENANCE, FEEDS)
# What ``python -m dispatch.worker`` works without ``--queues``.
DEFAULT_WORKER_QUEUES = (NOTIFY, MAINTENANCE)

_connections: dict[str, Redis] = {}


def redis_connection(url: str | None = None) -> Redis:
    """Return a shared Redis client for ``url`` (default: the configured one)."""
    url = url or current_settings().redis_url
    if url not in _connections:
        _connections[url] = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2,
                                           health_check_interval=30)
    return _connections[url]


def get_queue(name: str) -> Queue:
    """Return the RQ queue ``name`` (synchronous when ``queue_async`` is false)."""
    settings = current_settings()
    return Queue(name, connection=redis_connection(settings.redis_url),
                 is_async=settings.queue_async)


def enqueue(func: Callable, *args: Any, job_id: str | None = None, queue: str = NOTIFY,
            retry: Retry | None = None) -> None:
    """Enqueue now; a job id that is already queued is not queued twice.

    Job ids are written ``kind:id`` in the code; RQ allows only letters, digits, ``_``
    and ``-``, so ``:`` becomes ``-`` here.
    """
    target = get_queue(queue)
    if job_id is not None:
        job_id = job_id.replace(":", "-")
    if job_id is not None and target.is_async:
        existing = target.fetch_job(job_id)
        if existing is not None and existing.get_status(refresh=True) in (
                "queued", "started", "deferred", "scheduled"):
            return
    target.enqueue(func, *args, job_id=job_id, retry=retry,
                   meta={"request_id": request_id_var.get()})


def defer(session: Session, func: Callable, *args: Any, job_id: str | None = None,
          queue: str = NOTIFY, retry: Retry | None = None) -> None:
    """Enqueue ``func(*args)`` after ``session`` commits; forget it on rollback.

    Redis is only a trigger: if it is down at that moment the job is lost, and the
    scheduler's sweeper enqueues it again from the database rows.
    """
    # Make sure a transaction is open, so that a rollback (which fires the listener
    # below) cannot pass by unseen and leave the job to ride on a later commit.
    session.connection()
    session.info.setdefault("deferred_jobs", []).append((func, args, job_id, queue, retry))


@event.listens_for(Session, "after_commit")
def _enqueue_deferred(session: Session) -> None:
    for func, args, job_id, queue, retry in session.info.pop("deferred_jobs", []):
        try:
            enqueue(func, *args, job_id=job_id, queue=queue, retry=retry)
        except Exception:  # noqa: BLE001 - the commit stands; the sweeper will retry
            log.warning("could not enqueue %s%s; the sweeper will pick it up",
                        getattr(func, "__name__", func), args, exc_info=True)


@event.listens_for(Session, "after_soft_rollback")
def _forget_deferred(session: Session, previous_transaction) -> None:
    # Only the outermost rollback drops the jobs: a savepoint rolled back inside the
    # request (e.g. losing an idempotency race) leaves earlier deferred work in place.
    if previous_transaction.parent is None:
        session.info.pop("deferred_jobs", None)
