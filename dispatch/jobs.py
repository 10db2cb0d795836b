"""RQ job functions: module-level, take ids and primitives, safe to run twice."""

from __future__ import annotations

import logging
import time

from dispatch.queue import redis_connection

log = logging.getLogger(__name__)

HEARTBEAT_KEY = "dasan:heartbeat:worker"
HEARTBEAT_TTL_SECONDS = 180


def record_heartbeat() -> str:
    """Prove the scheduler -> Redis -> worker path works; readiness reads the key."""
    redis_connection().set(HEARTBEAT_KEY, f"{time.time():.0f}", ex=HEARTBEAT_TTL_SECONDS)
    log.info("worker heartbeat recorded")
    return "ok"


def escalate_overdue() -> str:
    """Escalate complaints about to breach or breached (idempotent; see dispatch.escalation)."""
    from dispatch.db import session_scope
    from dispatch.escalation import escalate_due
    from dispatch.runtime import current_settings

    with session_scope() as session:
        counts = escalate_due(session, current_settings())
    log.info("escalation run: %s", counts)
    return f"due_soon={counts['due_soon']} breached={counts['breached']}"


def purge_personal_data() -> str:
    """Erase personal data past DASAN_PERSONAL_DATA_DAYS (batched; safe to run again)."""
    from dispatch.db import session_scope
    from dispatch.retention import purge_personal_data as purge
    from dispatch.runtime import current_settings

    with session_scope() as session:
        report = purge(session, current_settings())
    log.info("personal data purge: %s", report)
    return (f"complaints={report.complaints} notifications={report.notifications} "
            f"inbound={report.inbound} finished={report.finished}")
