"""Leader election among scheduler replicas with a PostgreSQL session advisory lock."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

# An arbitrary, fixed 64-bit key: "dasan scheduler".
SCHEDULER_LOCK_KEY = 0x44415341_4E534348


class LeaderLock:
    """Hold ``pg_advisory_lock(key)`` on a dedicated connection while this process leads.

    The lock lives as long as the connection: if the process dies or loses the database,
    PostgreSQL releases it and another replica takes over at its next check.
    """

    def __init__(self, engine: Engine, key: int = SCHEDULER_LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._connection: Connection | None = None
        # APScheduler runs jobs on a thread pool; one connection must not be used by two
        # threads at once (that error used to make a healthy leader step down).
        self._mutex = threading.Lock()

    def is_leader(self) -> bool:
        """Return True if this process holds the lock, trying to take it if not."""
        with self._mutex:
            return self._check()

    def _check(self) -> bool:
        try:
            if self._connection is not None:
                self._connection.execute(text("SELECT 1"))
                return True
            connection = self.engine.connect()
            # Detached from the pool, closing really closes it and so frees the lock.
            connection.detach()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                     {"key": self.key}).scalar()
            connection.commit()
            if got:
                self._connection = connection
                log.info("this scheduler is now the leader")
                return True
            connection.close()
            return False
        except Exception:  # noqa: BLE001 - a lost connection means we no longer lead
            log.warning("leader check failed; stepping down", exc_info=True)
            self._release()
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
