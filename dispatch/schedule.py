"""The scheduler process: ``python -m dispatch.schedule``. Its jobs only enqueue RQ jobs.

It also runs the outbox relay (``dispatch.outbox_relay``), which wakes a drain job when
new texts and pushes are committed.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from dispatch import jobs, jobs_notify, jobs_photos, jobs_traffic
from dispatch.db import configure_database, get_engine
from dispatch.leader import LeaderLock
from dispatch.logs import configure_logging
from dispatch.outbox_relay import OutboxRelay
from dispatch.queue import FEEDS, MAINTENANCE, enqueue
from dispatch.runtime import configure
from dispatch.settings import Settings

log = logging.getLogger(__name__)


def _when_leader(leader: LeaderLock, func: Callable, queue: str, job_id: str) -> Callable:
    def tick() -> None:
        if leader.is_leader():
            enqueue(func, job_id=job_id, queue=queue)

    tick.__name__ = f"enqueue_{func.__name__}"
    return tick


# (scheduler job id, RQ job, queue, seconds between runs or the setting that holds them)
SCHEDULE: list[tuple[str, Callable, str, int | str]] = [
    ("heartbeat", jobs.record_heartbeat, MAINTENANCE, 30),
    ("escalate-overdue", jobs.escalate_overdue, MAINTENANCE, "escalation_interval_seconds"),
    # Seoul's feeds refresh about every 5 minutes. A poll takes up to ~2.5 minutes: on its
    # own queue (its own worker) so it never holds up texts or the heartbeat.
    ("poll-traffic", jobs_traffic.poll_traffic_feeds, FEEDS, 300),
    ("prune-traffic", jobs_traffic.prune_traffic_readings, FEEDS, 3600),
    # Blobs of photo uploads whose request rolled back; harmless, but they take space.
    ("sweep-photos", jobs_photos.sweep_photo_store, MAINTENANCE, 3600),
    ("notification-sweep", jobs_notify.sweep_notifications, MAINTENANCE, 15),
    # Personal data past DASAN_PERSONAL_DATA_DAYS; daily (and at start) is precise enough.
    ("purge-personal-data", jobs.purge_personal_data, MAINTENANCE, 86400),
]


def build_scheduler(settings: Settings, leader: LeaderLock) -> BlockingScheduler:
    """Return a scheduler with every periodic job; it is not started."""
    scheduler = BlockingScheduler(timezone="UTC", job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 60})
    for job_id, func, queue, every in SCHEDULE:
        seconds = getattr(settings, every) if isinstance(every, str) else every
        # First run right away, so a fresh deployment shows a heartbeat at once.
        scheduler.add_job(_when_leader(leader, func, queue, f"scheduled:{job_id}"),
                          IntervalTrigger(seconds=seconds), id=job_id, name=job_id,
                          next_run_time=datetime.now(UTC))
    return scheduler


def build_relay(settings: Settings, leader: LeaderLock) -> OutboxRelay:
    """Return the outbox relay of this scheduler; only the leader's asks for drains."""
    checked = {"at": 0.0, "leader": False}

    def should_wake() -> bool:
        # A leadership check is a round trip; under a storm the relay wakes 50 times a
        # second, so the answer is kept for a second.
        now = time.monotonic()
        if now - checked["at"] > 1.0:
            checked.update(at=now, leader=leader.is_leader())
        return checked["leader"]

    return OutboxRelay(settings.database_url, jobs_notify.wake_outbox, should_wake)


def main() -> int:
    """Run the scheduler until SIGTERM or Ctrl-C."""
    settings = Settings.from_env()
    configure_logging(settings.log_level, "scheduler")
    configure(settings)
    configure_database(settings, for_worker=True)
    leader = LeaderLock(get_engine())
    scheduler = build_scheduler(settings, leader)
    relay = build_relay(settings, leader)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log.info("scheduler started with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    relay.start()
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        relay.stop()
        leader.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
