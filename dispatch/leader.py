"""Leader election among scheduler replicas with a PostgreSQL session advisory lock.

A leader whose network goes silent must not stall the scheduler or keep the lock for
hours (the server's default TCP keepalive gives up after about 2 h 11 min). So:

- the leader's connection has TCP keepalives and a TCP user timeout on both ends, and a
  statement timeout: a check on a dead link fails within about 10 s instead of hanging;
- a check that is stuck does not block the other threads: they answer from the last
  successful check, and stop calling themselves leader ``STEP_DOWN_AFTER_S`` after it;
- a replica that cannot take the lock ends the holder's session when it has been silent
  for ``EVICT_AFTER_S`` (a live leader checks every few seconds), then takes over.

So another replica leads within about a minute of the leader going silent.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from dispatch.db import SILENT_LINK_CONNECT_ARGS

log = logging.getLogger(__name__)

# An arbitrary, fixed 64-bit key: "dasan scheduler".
SCHEDULER_LOCK_KEY = 0x44415341_4E534348
APPLICATION_NAME = "dasan-scheduler-leader"

# A leader whose last successful check is older than this stops acting as leader.
STEP_DOWN_AFTER_S = 30.0
# The lock holder's session, idle this long, is ended by a replica that wants the lock.
# Twice the step-down time: by then the old leader has stopped acting as one.
EVICT_AFTER_S = 60.0
# How long a caller waits for another thread's check before answering from the last one.
MUTEX_WAIT_S = 1.0

# Keepalives and timeouts on both ends: a silent leader's session ends, and its lock is
# freed, within seconds (dispatch.db.SILENT_LINK_CONNECT_ARGS).
LEADER_CONNECT_ARGS = {"application_name": APPLICATION_NAME, **SILENT_LINK_CONNECT_ARGS}

# Ends the session holding our advisory lock if it has been idle too long. A bigint key
# is held as classid (high 32 bits), objid (low 32 bits), objsubid 1.
_EVICT_SILENT_HOLDER = text("""
SELECT pg_terminate_backend(a.pid)
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.classid::bigint = :high AND l.objid::bigint = :low
  AND a.pid <> pg_backend_pid()
  AND a.state IN ('idle', 'idle in transaction')
  AND a.state_change < now() - make_interval(secs => :silent)
""")


def leader_engine(engine: Engine) -> Engine:
    """An engine for the leader's own connection: same database, keepalives, autocommit."""
    return create_engine(engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                         connect_args=LEADER_CONNECT_ARGS)


class LeaderLock:
    """Hold ``pg_advisory_lock(key)`` on a dedicated connection while this process leads.

    The lock lives as long as the connection: if the process dies or loses the database,
    PostgreSQL releases it and another replica takes over at its next check.
    """

    def __init__(self, engine: Engine, key: int = SCHEDULER_LOCK_KEY, *,
                 step_down_after_s: float = STEP_DOWN_AFTER_S,
                 evict_after_s: float = EVICT_AFTER_S) -> None:
        self.engine = leader_engine(engine)
        self.key = key
        self.step_down_after_s = step_down_after_s
        self.evict_after_s = evict_after_s
        self._connection: Connection | None = None
        self._last_success = 0.0  # time.monotonic() of the last check that answered
        # Said once per stretch of standing by (not at every tick): an operator, and the
        # two-scheduler test, can see that a replica tried and found another leading.
        self._said_standing_by = False
        # APScheduler runs jobs on a thread pool; one connection must not be used by two
        # threads at once (that error used to make a healthy leader step down).
        self._mutex = threading.Lock()

    def is_leader(self) -> bool:
        """Return True if this process holds the lock, trying to take it if not.

        Never waits long on another thread's check: while one is in flight (perhaps stuck
        on a silent link) the answer comes from the last successful check.
        """
        if not self._mutex.acquire(timeout=MUTEX_WAIT_S):
            return self._led_recently()
        try:
            return self._check()
        finally:
            self._mutex.release()

    def _led_recently(self) -> bool:
        return (self._connection is not None
                and time.monotonic() - self._last_success < self.step_down_after_s)

    def _check(self) -> bool:
        try:
            if self._connection is not None:
                self._connection.execute(text("SELECT 1"))
                self._last_success = time.monotonic()
                return True
            connection = self.engine.connect()
            if self._try_lock(connection) or self._evict_silent_holder(connection):
                self._connection = connection
                self._last_success = time.monotonic()
                log.info("this scheduler is now the leader")
                self._said_standing_by = False
                return True
            connection.close()
            if not self._said_standing_by:
                log.info("another scheduler is the leader; this one stands by")
                self._said_standing_by = True
            return False
        except Exception:  # noqa: BLE001 - a lost connection means we no longer lead
            log.warning("leader check failed; stepping down", exc_info=True)
            self._release()
            return False

    def _try_lock(self, connection: Connection) -> bool:
        return bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                       {"key": self.key}).scalar())

    def _evict_silent_holder(self, connection: Connection) -> bool:
        """End the holder's session if it has been silent too long; True if we then lead."""
        ended = connection.execute(_EVICT_SILENT_HOLDER, {
            "high": self.key >> 32, "low": self.key & 0xFFFFFFFF,
            "silent": self.evict_after_s}).scalars().all()
        if not any(ended):
            return False
        log.warning("the scheduler leader's session was silent for over %.0f s; ended it",
                    self.evict_after_s)
        # The ended backend frees its locks as it exits: give it a moment.
        for _ in range(20):
            if self._try_lock(connection):
                return True
            time.sleep(0.1)
        return False

    def release(self) -> None:
        """Give up the lock (closing the connection releases it)."""
        with self._mutex:
            self._release()

    def _release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001 - the connection may already be gone
                log.debug("closing the leader connection failed", exc_info=True)
            self._connection = None
