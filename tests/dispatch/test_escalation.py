"""SLA escalation: once per complaint and threshold, even with two real scheduler processes."""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from redis import Redis
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from dispatch.escalation import escalate_due
from dispatch.intake import ComplaintDraft, submit_complaint
from dispatch.models import Complaint, ComplaintEscalation, ComplaintEvent
from tests.services import ROOT


def _file(session, settings, due_in_minutes, lon=126.9779):
    complaint = submit_complaint(session, settings, ComplaintDraft(
        category="other", lon=lon, lat=37.5663)).complaint
    session.execute(update(Complaint).where(Complaint.id == complaint.id).values(
        due_at=datetime.now(UTC) + timedelta(minutes=due_in_minutes)))
    session.flush()
    return complaint


def _escalations(session, complaint):
    return session.scalars(select(ComplaintEscalation.threshold).where(
        ComplaintEscalation.complaint_id == complaint.id)).all()


def test_breached_and_due_soon_are_marked_once(session, settings):
    late = _file(session, settings, -5)
    soon = _file(session, settings, 30, lon=126.9800)
    later = _file(session, settings, 600, lon=126.9820)
    escalate_due(session, settings)
    escalate_due(session, settings)  # a second run adds nothing
    assert _escalations(session, late) == ["breached"]
    assert _escalations(session, soon) == ["due_soon"]
    assert _escalations(session, later) == []
    events = session.scalars(select(ComplaintEvent.data).where(
        ComplaintEvent.complaint_id == late.id, ComplaintEvent.kind == "escalated")).all()
    assert [event["threshold"] for event in events] == ["breached"]


def test_closed_complaints_are_not_escalated(session, settings):
    closed = _file(session, settings, -5)
    session.execute(update(Complaint).where(Complaint.id == closed.id).values(
        status="resolved"))
    escalate_due(session, settings)
    assert _escalations(session, closed) == []


def test_two_scheduler_processes_escalate_each_complaint_once(engine, settings, redis_url,
                                                              tmp_path):
    Redis.from_url(redis_url).flushdb()
    with Session(engine) as session:
        overdue = [_file(session, settings, -10, lon=126.975 + i * 0.002) for i in range(3)]
        session.commit()
        ids = [c.id for c in overdue]
    env = {**os.environ, "DASAN_DATABASE_URL": settings.database_url,
           "DASAN_REDIS_URL": redis_url, "DASAN_SECRET_KEY": settings.secret_key,
           "DASAN_ESCALATION_INTERVAL_SECONDS": "1", "DASAN_LOG_LEVEL": "INFO"}
    # Logs go to files, read while both run: the test waits for what it needs to see.
    log_files = [tmp_path / f"scheduler-{n}.log" for n in (1, 2)]
    schedulers = []
    for log_file in log_files:
        with open(log_file, "w") as stderr:
            schedulers.append(subprocess.Popen(
                [sys.executable, "-m", "dispatch.schedule"], env=env, cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=stderr, text=True))

    def logs() -> list[str]:
        return [log_file.read_text() for log_file in log_files]

    def both_competed() -> bool:
        # Each has tried for the lock: one took it, the other found it taken. Without the
        # second, one scheduler alone would pass this test.
        said = logs()
        return (sum("now the leader" in log for log in said) >= 1
                and sum("this one stands by" in log for log in said) >= 1)

    try:
        # Wait (bounded) until the leader has enqueued the escalation job and the other
        # scheduler has tried for the lead and stood by: on a loaded machine they start
        # slowly.
        connection = Redis.from_url(redis_url)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (
                connection.exists("rq:job:scheduled-escalate-overdue") and both_competed()):
            time.sleep(0.2)
    finally:
        # The one standing by goes first: stopping the leader first would hand it the lead
        # in its last moments (a takeover, not two leaders at once).
        order = sorted(zip(logs(), schedulers, strict=True),
                       key=lambda pair: "now the leader" in pair[0])
        for _, process in order:
            process.terminate()
            process.wait(timeout=20)
    logs = logs()
    try:
        assert connection.exists("rq:job:scheduled-escalate-overdue"), logs
        leaders = [log for log in logs if "now the leader" in log]
        standing_by = [log for log in logs if "this one stands by" in log]
        said = [[line for line in log.splitlines() if "leader" in line or "stands by" in line]
                for log in logs]
        assert len(leaders) == 1 and len(standing_by) == 1, said
        assert leaders != standing_by, said  # one led, the other tried and stood by
        worker = subprocess.run([sys.executable, "-m", "dispatch.worker", "--burst"], env=env,
                                cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert worker.returncode == 0, worker.stderr
        with Session(engine) as session:
            counts = session.execute(
                select(ComplaintEscalation.complaint_id, func.count())
                .where(ComplaintEscalation.complaint_id.in_(ids))
                .group_by(ComplaintEscalation.complaint_id)).all()
            events = session.scalar(select(func.count()).select_from(ComplaintEvent).where(
                ComplaintEvent.complaint_id.in_(ids), ComplaintEvent.kind == "escalated"))
        assert sorted(count for _, count in counts) == [1, 1, 1]
        assert events == 3
    finally:
        with Session(engine) as session:
            session.execute(delete(ComplaintEscalation).where(
                ComplaintEscalation.complaint_id.in_(ids)))
            session.execute(delete(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(ids)))
            session.execute(delete(Complaint).where(Complaint.id.in_(ids)))
            session.commit()
