"""The outbox relay: wake the delivery workers when a transaction commits new outbox rows.

A statement trigger on ``notifications`` (migration ``b7d2e4f1a9c3``) sends
``NOTIFY dasan_outbox`` in the inserting transaction; PostgreSQL delivers it only if that
transaction commits, and never before. The relay LISTENs on a connection of its own and,
for each burst of wake-ups, asks for one drain job (``jobs_notify.wake_outbox``). So no
request talks to Redis to send a text, a rolled-back change wakes nobody, and a thousand
complaints in a second are sent by a few drain jobs instead of a thousand per-row jobs.

Nothing is lost if the relay is down or a wake-up is missed: the rows stay pending in the
outbox and the scheduler's 15-second sweep sends them.
"""

from __future__ import annotations

import logging
import re
import select
import threading
import time
from collections.abc import Callable

import psycopg2
import psycopg2.extensions

from dispatch.db import SILENT_LINK_CONNECT_ARGS

log = logging.getLogger(__name__)

CHANNEL = "dasan_outbox"
# Wake-ups that arrive this close together ask for one drain: under a storm, one job per
# burst instead of one per commit; a single complaint waits at most this long.
COALESCE_SECONDS = 0.02
# How long the loop sleeps with nothing to do before it looks at ``stop`` again.
IDLE_SECONDS = 2.0
RECONNECT_SECONDS = (0.5, 1, 2, 5, 10)


class OutboxRelay:
    """LISTEN for committed outbox rows and call ``wake`` once per burst.

    ``should_wake`` lets a scheduler replica that is not the leader stay quiet (the leader's
    relay does the work; a second one would only ask for drains that are already asked for).
    """

    def __init__(self, dsn: str, wake: Callable[[], None],
                 should_wake: Callable[[], bool] = lambda: True) -> None:
        self.dsn = dsn
        self.wake = wake
        self.should_wake = should_wake
        self.stop_event = threading.Event()
        self.listening = threading.Event()
        self.wake_failing = False

    def run(self) -> None:
        """Listen until ``stop()``; reconnect with backoff when the database goes away."""
        failures = 0
        while not self.stop_event.is_set():
            try:
                connection = self._listen()
            except psycopg2.Error:
                delay = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)]
                failures += 1
                log.warning("outbox relay cannot listen; retrying in %.1f s", delay,
                            exc_info=failures == 1)
                self.stop_event.wait(delay)
                continue
            failures = 0
            try:
                # Rows committed while nobody listened woke nobody: one drain covers them.
                self._wake()
                self._serve(connection)
            except psycopg2.Error:
                log.warning("outbox relay lost its connection; reconnecting", exc_info=True)
            except Exception:  # noqa: BLE001 - the thread must outlive any one surprise
                log.exception("outbox relay failed; reconnecting")
                self.stop_event.wait(RECONNECT_SECONDS[0])
            finally:
                self.listening.clear()
                connection.close()

    def start(self) -> threading.Thread:
        """Run in a daemon thread and return it."""
        thread = threading.Thread(target=self.run, name="outbox-relay", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Ask the loop to end (within ``IDLE_SECONDS``)."""
        self.stop_event.set()

    def _listen(self):
        # libpq reads postgresql:// URLs, not SQLAlchemy's postgresql+driver:// ones.
        dsn = re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", self.dsn)
        # Keepalives: on a link gone silent the idle ping below would otherwise wait for
        # the kernel (hours) while the scheduler's relay thread hears nothing.
        connection = psycopg2.connect(dsn, application_name="dasan-outbox-relay",
                                      **SILENT_LINK_CONNECT_ARGS)
        connection.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        with connection.cursor() as cursor:
            cursor.execute(f"LISTEN {CHANNEL}")
        self.listening.set()
        log.info("outbox relay listening on %s", CHANNEL)
        return connection

    def _serve(self, connection) -> None:
        while not self.stop_event.is_set():
            if not self._readable(connection, IDLE_SECONDS):
                # A quiet connection may have died without telling us: ask it.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                continue
            connection.poll()
            if not connection.notifies:
                continue
            time.sleep(COALESCE_SECONDS)
            connection.poll()
            connection.notifies.clear()
            self._wake()

    @staticmethod
    def _readable(connection, timeout: float) -> bool:
        ready, _, _ = select.select([connection], [], [], timeout)
        return bool(ready)

    def _wake(self) -> None:
        if not self.should_wake():
            return
        try:
            self.wake()
        except Exception:  # noqa: BLE001 - Redis down: the sweeper sends the rows
            # Once per outage, not once per commit of a busy intake.
            if not self.wake_failing:
                log.warning("outbox relay could not ask for a drain; the sweeper will send",
                            exc_info=True)
            self.wake_failing = True
        else:
            if self.wake_failing:
                log.info("outbox relay can ask for drains again")
            self.wake_failing = False
