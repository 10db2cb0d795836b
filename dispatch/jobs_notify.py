"""RQ jobs of the notification outbox: deliver one row, sweep what is due."""

from __future__ import annotations

import logging
import threading
import time

from rq import Queue, Retry
from sqlalchemy.orm import Session

from dispatch import notifications
from dispatch.db import get_engine, session_scope
from dispatch.models import NotificationState
from dispatch.queue import NOTIFY, enqueue, get_queue
from dispatch.runtime import current_settings

log = logging.getLogger(__name__)

SWEEP_BUDGET_SECONDS = 120.0
# Rows one sweeper thread claims per transaction (see deliver_many for the trade-off).
SWEEP_BATCH = 10


class DeliveryPostponed(RuntimeError):
    """A temporary failure; raising it lets RQ's Retry run the job again later."""


def retry_policy() -> Retry:
    """RQ retries matching the outbox backoff (the sweeper is the safety net behind it)."""
    settings = current_settings()
    intervals = [int(notifications.backoff(settings, n).total_seconds())
                 for n in range(1, settings.notify_max_attempts)]
    return Retry(max=max(len(intervals), 1), interval=intervals or [settings.notify_retry_seconds])


def enqueue_deliveries(ids: list[int]) -> None:
    """Queue ``deliver_notification`` for new rows (job ids ``notification-<id>``).

    Failures are logged, not raised: the commit stands and the sweeper delivers the rows.
    """
    retry = retry_policy()
    try:
        queue = get_queue(NOTIFY)
        if not queue.is_async:  # tests and demos: run each at once, in order
            for notification_id in ids:
                enqueue(deliver_notification, notification_id,
                        job_id=f"notification:{notification_id}", retry=retry)
            return
        # Fresh row ids cannot have a job yet, so no look-up first; one pipeline for all.
        with queue.connection.pipeline() as pipe:
            queue.enqueue_many([Queue.prepare_data(deliver_notification, (notification_id,),
                                                   job_id=f"notification-{notification_id}",
                                                   retry=retry)
                                for notification_id in ids], pipeline=pipe)
            pipe.execute()
    except Exception:  # noqa: BLE001 - the rows are in the outbox; the sweeper sends them
        log.warning("could not queue deliveries %s; the sweeper will send them", ids,
                    exc_info=True)


def deliver_notification(notification_id: int) -> str:
    """Deliver one outbox row if it is still pending and due; safe to run twice."""
    settings = current_settings()
    with session_scope() as session:
        row = notifications.deliver(session, settings, notification_id)
        state = row.state if row is not None else "skipped"
        error = row.last_error if row is not None else None
    if state == NotificationState.PENDING.value:
        raise DeliveryPostponed(f"notification {notification_id}: {error}")
    return state


def deliver_due(*, threads: int | None = None, budget_seconds: float = SWEEP_BUDGET_SECONDS,
                limit: int | None = None, batch: int = SWEEP_BATCH) -> int:
    """Send due rows until none is left (or the time budget ends); return how many were tried.

    With several threads each one owns a connection and claims ``batch`` rows at a time
    (SKIP LOCKED), so sends to the gateway overlap and a commit covers a few rows.
    """
    settings = current_settings()
    threads = threads or settings.notify_threads
    deadline = time.monotonic() + budget_seconds
    counter = {"done": 0}
    lock = threading.Lock()

    def more() -> bool:
        with lock:
            if limit is not None and counter["done"] >= limit:
                return False
            counter["done"] += 1
            return time.monotonic() < deadline

    def give_back() -> None:
        with lock:
            counter["done"] -= 1

    if threads <= 1 or not settings.queue_async:
        while more():
            with session_scope() as session:
                if notifications.deliver(session, settings) is None:
                    give_back()
                    break
        return counter["done"]

    def drain() -> None:
        gateway = notifications.sms_gateway(settings)
        with get_engine().connect() as connection:
            while time.monotonic() < deadline:
                with Session(bind=connection, expire_on_commit=False) as session:
                    rows = notifications.deliver_many(session, settings, limit=batch,
                                                      gateway=gateway)
                    session.commit()
                with lock:
                    counter["done"] += len(rows)
                if not rows:
                    return

    workers = [threading.Thread(target=drain, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return counter["done"]


def sweep_notifications() -> int:
    """Scheduled: deliver rows left pending (Redis was down, quiet hours ended, retries due)."""
    tried = deliver_due()
    if tried:
        log.info("outbox sweep tried %d notifications", tried)
    return tried
