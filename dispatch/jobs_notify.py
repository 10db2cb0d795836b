"""RQ jobs of the notification outbox: drain what is due when woken, sweep as a safety net."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.orm import Session

from dispatch import notifications
from dispatch.db import get_engine, session_scope
from dispatch.queue import NOTIFY, get_queue
from dispatch.runtime import current_settings

log = logging.getLogger(__name__)

SWEEP_BUDGET_SECONDS = 120.0
# Rows one drain thread claims at a time: two commits per batch instead of two per text.
# A killed worker resends none of them (they are committed ``sending``), but its claimed,
# not yet sent rows wait DASAN_NOTIFY_SETTLE_SECONDS for the sweeper: keep it small.
SWEEP_BATCH = 10


# Set by ``wake_outbox`` when it queues a drain, cleared by the drain as it starts: so a
# burst of wake-ups queues one drain, and rows committed while a drain runs queue the next.
DRAIN_QUEUED_KEY = "dasan:outbox-drain-queued"
# If a queued drain is lost (its worker killed before it started), the key expires and
# the next wake-up queues another; the 15-second sweep covers the gap.
DRAIN_QUEUED_TTL_SECONDS = 60


def deliver_planned(ids: list[int]) -> None:
    """After a commit, without a queue (tests, demos): deliver the new rows at once, in order.

    With a queue nothing is done here: the outbox relay hears the commit and wakes a drain.
    """
    for notification_id in ids:
        try:
            deliver_notification(notification_id)
        except Exception:  # noqa: BLE001 - the commit stands; the sweeper retries the row
            log.warning("could not deliver notification %s now; the sweeper will retry",
                        notification_id, exc_info=True)


def deliver_notification(notification_id: int) -> str:
    """Deliver one outbox row if it is still pending and due; safe to run twice."""
    settings = current_settings()
    with session_scope() as session:
        row = notifications.deliver(session, settings, notification_id)
        return row.state if row is not None else "skipped"


def wake_outbox() -> bool:
    """Queue one ``drain_outbox`` job unless one is queued and not started; True if queued."""
    queue = get_queue(NOTIFY)
    if not queue.connection.set(DRAIN_QUEUED_KEY, "1", nx=True, ex=DRAIN_QUEUED_TTL_SECONDS):
        return False
    queue.enqueue(drain_outbox)
    return True


def drain_outbox() -> int:
    """Job: send every due row of the outbox (woken by the relay); safe to run twice."""
    get_queue(NOTIFY).connection.delete(DRAIN_QUEUED_KEY)
    return drain()


def drain(budget_seconds: float = SWEEP_BUDGET_SECONDS) -> int:
    """Send what is due, sized to it; return how many rows were tried.

    A thread per 10 due rows (up to ``DASAN_NOTIFY_THREADS``): one text needs no sixteen
    connections, a storm's backlog gets them all.
    """
    settings = current_settings()
    with session_scope() as session:
        due = notifications.count_due(session)
    if not due:
        return 0
    threads = min(settings.notify_threads, max(1, -(-due // SWEEP_BATCH)))
    return deliver_due(threads=threads, budget_seconds=budget_seconds)


def deliver_due(*, threads: int | None = None, budget_seconds: float = SWEEP_BUDGET_SECONDS,
                batch: int = SWEEP_BATCH) -> int:
    """Send due rows until none is left (or the time budget ends); return how many were tried.

    Each thread owns one connection for the whole drain and claims ``batch`` rows at a time
    (SKIP LOCKED), so sends to the gateway overlap and two commits cover a few rows.
    """
    settings = current_settings()
    threads = threads or settings.notify_threads
    deadline = time.monotonic() + budget_seconds
    counter = {"done": 0}

    if not settings.queue_async:  # tests and demos: the caller's session, one row at a time
        while time.monotonic() < deadline:
            with session_scope() as session:
                if notifications.deliver(session, settings) is None:
                    break
            counter["done"] += 1
        return counter["done"]

    lock = threading.Lock()

    def drain_on_one_connection() -> None:
        gateway = notifications.sms_gateway(settings)
        with get_engine().connect() as connection:
            while time.monotonic() < deadline:
                with Session(bind=connection, expire_on_commit=False) as session:
                    rows = notifications.deliver_many(session, settings, limit=batch,
                                                      gateway=gateway)
                with lock:
                    counter["done"] += len(rows)
                if not rows:
                    return

    if threads <= 1:
        # On this thread, on one connection: a connection per row made a new PostgreSQL
        # backend per text (9 ms of database CPU per complaint under intake load).
        drain_on_one_connection()
        return counter["done"]
    workers = [threading.Thread(target=drain_on_one_connection, daemon=True)
               for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return counter["done"]


def sweep_notifications() -> int:
    """Scheduled: deliver rows left pending (a missed wake-up, quiet hours ended, retries).

    First the rows a stopped worker left ``sending`` past the settle time go back to pending.
    """
    with session_scope() as session:
        notifications.release_unsettled(session, current_settings())
    tried = drain()
    if tried:
        log.info("outbox sweep tried %d notifications", tried)
    return tried
