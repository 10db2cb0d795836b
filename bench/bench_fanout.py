"""Notification fan-out: 10,000 texts from the outbox through a real Kannel to the fake SMSC.

Ceiling, measured in the same run against the same Kannel: raw ``sendsms`` requests (with
DLR URLs, as many threads as the drain) without the outbox, i.e. what the gateway itself
takes. The figure is the outbox path: rows committed in PostgreSQL, drained by worker
processes (claim 10 rows with SKIP LOCKED, send each, mark sent, commit), counted when the
SMSC has them all.

``python -m bench.bench_fanout [--count N] [--processes P] [--threads T]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

from bench.common import Result

TARGET_PER_SECOND = 300.0
BENCH_SECRET = "bench-secret-key-0123456789"  # noqa: S105 - a throw-away scratch database


def _wait_for(smsc, count: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while smsc.count < count and time.monotonic() < deadline:
        time.sleep(0.005)
    return time.monotonic()


def _raw_ceiling(harness, count: int, threads: int) -> float:
    """Messages/s of plain sendsms calls (with DLR URLs) until the SMSC has them all."""
    from notify.sms import KannelGateway

    start_count = harness.smsc.count
    counter = iter(range(count))
    lock = threading.Lock()

    def work() -> None:
        gateway = KannelGateway(harness.sendsms_url, harness.username, harness.password)
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            gateway.send(to=f"+8210{20000000 + n}", text=f"[서울120] 천장 측정 {n}",
                         sender="1899-0120", reference=f"raw{n}",
                         report_url=f"{harness.callback.base_url}/dlr/raw{n}?type=%d")

    started = time.monotonic()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    finished = _wait_for(harness.smsc, start_count + count, 120)
    return count / (finished - started)


def _drain(settings, threads: int) -> None:
    from dispatch.db import configure_database
    from dispatch.jobs_notify import deliver_due
    from dispatch.runtime import configure

    configure(settings)
    configure_database(settings, for_worker=True)
    deliver_due(threads=threads, budget_seconds=600)


def _fill_outbox(url: str, count: int) -> None:
    """Insert ``count`` pending texts of one complaint, each to its own phone."""
    from dispatch.db import sqlalchemy_url
    from dispatch.models import Complaint, Notification

    engine = create_engine(sqlalchemy_url(url))
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE notifications"))
        complaint_id = conn.execute(select(Complaint.id).limit(1)).scalar()
        rows = [dict(complaint_id=complaint_id, event_id=None, inbound_id=None,
                     recipient=f"+8210{30000000 + n}", channel="sms", template="received",
                     language="ko",
                     body=f"[서울120] 민원 261128-{n:07d}이(가) 접수되었습니다(중구).",
                     data={}, urgent=True, state="pending", attempts=0,
                     next_attempt_at=now, created_at=now) for n in range(count)]
        for start in range(0, count, 2000):
            conn.execute(insert(Notification), rows[start:start + 2000])
    engine.dispose()


def _ensure_complaint(url: str) -> None:
    import os

    from dispatch.db import configure_database, session_scope
    from dispatch.intake import ComplaintDraft, submit_complaint
    from dispatch.runtime import configure
    from dispatch.settings import Settings

    settings = Settings(database_url=url, secret_key=BENCH_SECRET,
                        queue_async=False, redis_url=os.environ.get(
                            "DASAN_REDIS_URL", "redis://127.0.0.1:6379/0"))
    configure(settings)
    configure_database(settings, for_worker=True)
    with session_scope() as session:
        submit_complaint(session, settings, ComplaintDraft("street_lamp", 126.9779, 37.5663))


def run(url: str, count: int = 10_000, processes: int = 2, threads: int = 32,
        ceiling_threads: int | None = None) -> list[Result]:
    """Run the ceiling and the outbox fan-out; return both as results.

    The ceiling uses as many concurrent requests as the outbox drain has threads, so the
    ratio compares like with like: Kannel answers each sendsms with DLRs in ~20-40 ms,
    which makes concurrency, not CPU, the lever.
    """
    ceiling_threads = ceiling_threads or processes * threads
    from dispatch.settings import Settings
    from tests.kannel import KannelHarness

    folder = Path(tempfile.mkdtemp(prefix="dasan-bench-kannel-"))
    settings = Settings(database_url=url, secret_key=BENCH_SECRET,
                        quiet_hours="")
    harness = KannelHarness(folder, settings.sms_mo_secret_value, log_level=3)
    harness.start()
    try:
        _ensure_complaint(url)
        ceiling = _raw_ceiling(harness, count, ceiling_threads)
        settings = settings.replace(
            sms_backend="kannel", kannel_sendsms_url=harness.sendsms_url,
            kannel_username=harness.username, kannel_password=harness.password,
            sms_callback_url=harness.callback.base_url, notify_threads=threads)
        _fill_outbox(url, count)
        start_count = harness.smsc.count
        context = multiprocessing.get_context("fork")
        started = time.monotonic()
        workers = [context.Process(target=_drain, args=(settings, threads))
                   for _ in range(processes)]
        for worker in workers:
            worker.start()
        finished = _wait_for(harness.smsc, start_count + count, 300)
        for worker in workers:
            worker.join(timeout=60)
        elapsed = finished - started
        delivered = harness.smsc.count - start_count
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
        with engine.connect() as conn:
            states = dict(conn.execute(text(
                "SELECT state, count(*) FROM notifications GROUP BY state")).all())
        engine.dispose()
    finally:
        harness.shutdown()
    rate = delivered / elapsed if elapsed > 0 else 0.0
    notes = (f"{count} rows, {processes} processes x {threads} threads; SMSC got {delivered}; "
             f"end-to-end {elapsed:.2f} s; rows {states}")
    return [
        Result("fan-out: outbox -> Kannel -> SMSC (msg/s)", rate, "/s", ceiling,
               f"raw sendsms with DLR URLs, {ceiling_threads} threads, same Kannel",
               f">= {TARGET_PER_SECOND:.0f}/s, none lost or doubled",
               rate >= TARGET_PER_SECOND and delivered == count
               and states.get("sent", 0) == count, notes),
        Result("fan-out: end-to-end time for all rows (s)", elapsed, "s", None, "",
               f"<= {count / TARGET_PER_SECOND:.1f} s", elapsed <= count / TARGET_PER_SECOND,
               ""),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run on a scratch database and print the table."""
    from bench.common import scratch_database
    from bench.run import print_table

    parser = argparse.ArgumentParser(prog="python -m bench.bench_fanout")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args(argv)
    url = scratch_database("dasan_bench_fanout")
    print_table(run(url, args.count, args.processes, args.threads))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
