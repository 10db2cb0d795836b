"""The scheduler's job list and its leader election (never started here)."""

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text

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


def test_a_replica_says_once_that_it_stands_by(engine, caplog):
    first, second = LeaderLock(engine, key=4243), LeaderLock(engine, key=4243)
    caplog.set_level("INFO", logger="dispatch.leader")
    try:
        assert first.is_leader() is True
        assert [second.is_leader() for _ in range(3)] == [False] * 3
        first.release()
        assert second.is_leader() is True
        second.release()
        assert first.is_leader() is True
        assert second.is_leader() is False  # a new stretch of standing by is said again
        said = [record.getMessage() for record in caplog.records]
        assert said.count("another scheduler is the leader; this one stands by") == 2
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


def test_the_leader_connection_fails_fast_on_a_silent_link(engine):
    lock = LeaderLock(engine, key=4444)
    try:
        assert lock.is_leader()
        show = {name: lock._connection.execute(text(f"SHOW {name}")).scalar()
                for name in ("application_name", "statement_timeout", "tcp_keepalives_idle",
                             "tcp_keepalives_count", "tcp_user_timeout")}
        assert show == {"application_name": "dasan-scheduler-leader",
                        "statement_timeout": "5s", "tcp_keepalives_idle": "5",
                        "tcp_keepalives_count": "3", "tcp_user_timeout": "10000"}
        client = lock._connection.connection.dbapi_connection.get_dsn_parameters()
        assert (client["keepalives_idle"], client["tcp_user_timeout"]) == ("5", "10000")
    finally:
        lock.release()


def test_a_stuck_check_does_not_block_other_threads_and_the_leader_steps_down(engine):
    import threading
    import time

    lock = LeaderLock(engine, key=4545, step_down_after_s=1.5)
    stuck, checking = threading.Event(), threading.Event()
    try:
        assert lock.is_leader()
        real_check = lock._check

        def hanging_check():
            checking.set()
            stuck.wait(10)  # a query on a link that went silent
            return real_check()

        lock._check = hanging_check
        threading.Thread(target=lock.is_leader, daemon=True).start()
        assert checking.wait(5)
        started = time.monotonic()
        assert lock.is_leader() is True  # the last check was a moment ago
        assert time.monotonic() - started < 2
        time.sleep(1.6)
        assert lock.is_leader() is False  # no successful check for too long: not leading
    finally:
        stuck.set()
        lock.release()


def test_a_replica_ends_a_silent_leaders_session_and_takes_over(engine):
    import time

    silent = LeaderLock(engine, key=4646)
    other = LeaderLock(engine, key=4646, evict_after_s=1)
    try:
        assert silent.is_leader() is True
        assert other.is_leader() is False  # the leader spoke a moment ago
        time.sleep(1.5)  # the leader's link goes quiet: no check answers
        assert other.is_leader() is True
        assert silent.is_leader() is False  # its session was ended: it knows it lost
    finally:
        silent.release()
        other.release()
