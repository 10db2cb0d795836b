"""The scheduler's job list and its leader election (never started here)."""

from apscheduler.triggers.interval import IntervalTrigger

from dispatch.leader import LeaderLock
from dispatch.schedule import SCHEDULE, build_scheduler


def test_build_scheduler_has_every_job_with_interval_trigger(settings, engine):
    scheduler = build_scheduler(settings, LeaderLock(engine))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {job_id for job_id, *_ in SCHEDULE}
    assert "heartbeat" in jobs
    assert all(isinstance(job.trigger, IntervalTrigger) for job in jobs.values())


def test_only_one_leader_at_a_time_and_takeover_after_release(engine):
    first, second = LeaderLock(engine, key=4242), LeaderLock(engine, key=4242)
    try:
        assert first.is_leader() is True
        assert second.is_leader() is False
        assert first.is_leader() is True  # keeps leading
        first.release()
        assert second.is_leader() is True
        assert first.is_leader() is False
    finally:
        first.release()
        second.release()


def test_leader_check_is_safe_from_many_threads(engine):
    import threading

    lock = LeaderLock(engine, key=4343)
    answers, barrier = [], threading.Barrier(8)

    def check():
        barrier.wait()
        for _ in range(20):
            answers.append(lock.is_leader())

    threads = [threading.Thread(target=check) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers and all(answers)  # never stepped down
    finally:
        lock.release()
