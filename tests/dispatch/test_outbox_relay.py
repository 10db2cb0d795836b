"""The outbox relay hears committed outbox rows (and only those) through PostgreSQL NOTIFY.

These tests commit for real (the NOTIFY of the insert trigger is sent only at a real
commit), so they use their own connections and delete their rows afterwards.
"""

import threading
import time
import uuid

import pytest
from sqlalchemy import text

from dispatch.outbox_relay import OutboxRelay

INSERT_ROW = text("""
    INSERT INTO notifications (recipient, channel, template, language, body, data, urgent,
                               state, attempts, next_attempt_at, created_at)
    VALUES (:recipient, 'sms', 'received', 'en', 'relay test', '{}', true, 'pending', 0,
            now() + interval '1 day', now())
""")


class Wakes:
    """Counts the relay's calls and lets a test wait for the next one."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()

    def __call__(self) -> None:
        with self.changed:
            self.count += 1
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count >= count, timeout)


@pytest.fixture
def recipient(engine):
    """A recipient unique to the test; its rows are deleted afterwards."""
    value = f"relay-{uuid.uuid4().hex[:12]}"
    yield value
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM notifications WHERE recipient LIKE :r"),
                           {"r": f"{value}%"})


@pytest.fixture
def relay(database_url):
    """A running relay whose wake-ups are counted; it has made its start-up wake."""
    wakes = Wakes()
    relay = OutboxRelay(database_url, wakes)
    thread = relay.start()
    assert relay.listening.wait(10) and wakes.wait_for(1)
    yield relay, wakes
    relay.stop()
    thread.join(10)
    assert not thread.is_alive()


def test_a_commit_wakes_the_relay_a_rollback_and_an_open_transaction_do_not(
        engine, relay, recipient):
    relay, wakes = relay
    with engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(INSERT_ROW, {"recipient": recipient})
        assert not wakes.wait_for(2, timeout=0.5)  # inserted, not committed
        transaction.rollback()
    assert not wakes.wait_for(2, timeout=0.5)
    with engine.begin() as connection:
        # Three rows in two statements of one transaction: one wake-up.
        connection.execute(INSERT_ROW, {"recipient": recipient + "-1"})
        connection.execute(INSERT_ROW, {"recipient": recipient + "-2"})
        connection.execute(INSERT_ROW, {"recipient": recipient + "-3"})
    assert wakes.wait_for(2)
    time.sleep(0.3)
    assert wakes.count == 2


def test_the_relay_reconnects_when_its_connection_is_killed(engine, relay, recipient):
    relay, wakes = relay
    relay.listening.clear()
    with engine.begin() as connection:
        killed = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'dasan-outbox-relay' AND datname = current_database()"
        )).scalar()
    assert killed == 1
    # Back within its backoff, and the reconnect itself wakes once (rows committed while
    # nobody listened).
    assert relay.listening.wait(10) and wakes.wait_for(2)
    with engine.begin() as connection:
        connection.execute(INSERT_ROW, {"recipient": recipient})
    assert wakes.wait_for(3)


def test_a_scheduler_that_is_not_the_leader_asks_for_nothing(database_url, engine, recipient):
    wakes = Wakes()
    relay = OutboxRelay(database_url, wakes, should_wake=lambda: False)
    thread = relay.start()
    try:
        assert relay.listening.wait(10)
        with engine.begin() as connection:
            connection.execute(INSERT_ROW, {"recipient": recipient})
        assert not wakes.wait_for(1, timeout=1.0)
    finally:
        relay.stop()
        thread.join(10)


def test_a_relay_that_cannot_reach_the_database_keeps_trying_without_raising():
    wakes = Wakes()
    relay = OutboxRelay("postgresql://nobody@127.0.0.1:1/none", wakes)
    thread = relay.start()
    time.sleep(1.0)
    assert thread.is_alive() and not relay.listening.is_set() and wakes.count == 0
    relay.stop()
    thread.join(15)
    assert not thread.is_alive()


def test_an_unexpected_error_in_the_loop_does_not_end_the_relay(database_url, engine,
                                                                recipient, monkeypatch):
    wakes = Wakes()
    relay = OutboxRelay(database_url, wakes)
    real_readable = OutboxRelay._readable
    failures = iter([RuntimeError("surprise")])

    def readable_once_failing(connection, timeout):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real_readable(connection, timeout)

    monkeypatch.setattr(OutboxRelay, "_readable", staticmethod(readable_once_failing))
    thread = relay.start()
    try:
        # First connection: its start-up wake, then the surprise; the second connection
        # wakes again and then hears commits as usual.
        assert wakes.wait_for(2) and relay.listening.wait(10)
        with engine.begin() as connection:
            connection.execute(INSERT_ROW, {"recipient": recipient})
        assert wakes.wait_for(3)
        assert thread.is_alive()
    finally:
        relay.stop()
        thread.join(10)


def test_a_wake_that_cannot_reach_redis_is_logged_once_per_outage(database_url, engine,
                                                                  recipient, caplog):
    redis_down = threading.Event()
    redis_down.set()
    wakes = Wakes()

    def wake():
        if redis_down.is_set():
            raise ConnectionError("Redis is away")
        wakes()

    relay = OutboxRelay(database_url, wake)
    thread = relay.start()
    try:
        assert relay.listening.wait(10)
        for number in range(3):  # three commits while Redis is away: one warning
            with engine.begin() as connection:
                connection.execute(INSERT_ROW, {"recipient": f"{recipient}-{number}"})
            time.sleep(0.2)
        redis_down.clear()
        with engine.begin() as connection:
            connection.execute(INSERT_ROW, {"recipient": recipient})
        assert wakes.wait_for(1)
    finally:
        relay.stop()
        thread.join(10)
    messages = [record.getMessage() for record in caplog.records
                if record.name == "dispatch.outbox_relay"]
    assert messages.count("outbox relay could not ask for a drain; the sweeper will send") == 1
    assert "outbox relay can ask for drains again" in messages


def test_the_relay_connection_notices_a_silent_link_within_seconds(database_url):
    # Keepalives and timeouts on both ends: without them a link that goes silent left the
    # relay's idle ping waiting for the kernel (hours) and the relay deaf meanwhile.
    relay = OutboxRelay(database_url, lambda: None)
    connection = relay._listen()
    try:
        with connection.cursor() as cursor:
            seen = {}
            for name in ("tcp_keepalives_idle", "tcp_user_timeout", "statement_timeout"):
                cursor.execute(f"SHOW {name}")
                seen[name] = cursor.fetchone()[0]
        assert seen == {"tcp_keepalives_idle": "5", "tcp_user_timeout": "10000",
                        "statement_timeout": "5s"}
        assert connection.get_dsn_parameters()["keepalives_idle"] == "5"
    finally:
        connection.close()
