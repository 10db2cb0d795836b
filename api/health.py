"""Liveness and readiness probes."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

from flask import Blueprint, jsonify
from sqlalchemy import text

from api.context import settings
from api.db import get_session
from dispatch.jobs import HEARTBEAT_KEY
from dispatch.queue import redis_connection
from dispatch.traffic import feed_freshness, link_coverage

blp = Blueprint("health", __name__, url_prefix="/health")

# A heartbeat is enqueued every 30 s; three missed ones mean the worker is not working.
HEARTBEAT_MAX_AGE_S = 120
# Without these the service cannot take a complaint: readiness fails.
CRITICAL = ("database", "areas")


@blp.get("/live")
def live():
    """The process answers."""
    return jsonify(status="ok")


def _check_database(checks: dict) -> None:
    try:
        count = get_session().execute(text("SELECT count(*) FROM dongs")).scalar_one()
        checks["database"] = "ok"
        checks["areas"] = "ok" if count else "not loaded"
    except Exception as exc:  # noqa: BLE001 - any failure means unavailable
        checks["database"] = f"unavailable: {exc.__class__.__name__}"
        checks["areas"] = "unknown"


def _check_redis_and_worker(checks: dict) -> None:
    try:
        connection = redis_connection()
        connection.ping()
        checks["redis"] = "ok"
        beat = connection.get(HEARTBEAT_KEY)
        age = time.time() - float(beat) if beat else None
        checks["worker"] = ("ok" if age is not None and age <= HEARTBEAT_MAX_AGE_S
                            else "no heartbeat" if age is None else f"stale ({age:.0f} s)")
    except Exception as exc:  # noqa: BLE001 - any failure means unavailable
        checks["redis"] = f"unavailable: {exc.__class__.__name__}"
        checks["worker"] = "unknown"


def _check_traffic_feed(checks: dict) -> None:
    config = settings()
    if not config.traffic_feeds:
        checks["traffic_feed"] = "not configured"
        return
    try:
        session = get_session()
        freshness = feed_freshness(session, config.traffic_stale_minutes)
        coverage = link_coverage(session, config.traffic_stale_minutes)
        if freshness.stale:
            checks["traffic_feed"] = "stale"
        elif coverage.share < config.traffic_min_coverage:
            # Some links are fresh, too many are not (a slow feed cut off mid-poll).
            checks["traffic_feed"] = (f"low coverage ({coverage.fresh} of {coverage.total} "
                                      "links fresh)")
        else:
            checks["traffic_feed"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, never fatal
        checks["traffic_feed"] = f"unknown: {exc.__class__.__name__}"


def _check_sms_gateway(checks: dict) -> None:
    config = settings()
    if config.sms_backend != "kannel":
        checks["sms_gateway"] = f"{config.sms_backend} backend"
        return
    parts = urlsplit(config.kannel_sendsms_url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=2):
            checks["sms_gateway"] = "ok"
    except OSError as exc:
        checks["sms_gateway"] = f"unreachable: {exc.__class__.__name__}"


# Reported but informational: configured-off parts are not failures.
INFORMATIONAL = {"not configured", "log backend"}


@blp.get("/ready")
def ready():
    """Ready when the database answers and areas are loaded; other parts are reported.

    ``status`` is ``ok`` when every check passes, ``degraded`` when only non-critical
    parts fail (complaints are still taken; deliveries wait), ``unavailable`` otherwise.
    """
    checks: dict[str, str] = {}
    _check_database(checks)
    _check_redis_and_worker(checks)
    _check_traffic_feed(checks)
    _check_sms_gateway(checks)
    critical_ok = all(checks[name] == "ok" for name in CRITICAL)
    everything_ok = all(value == "ok" or value in INFORMATIONAL for value in checks.values())
    status = "ok" if everything_ok else "degraded" if critical_ok else "unavailable"
    return jsonify(status=status, checks=checks), (200 if critical_ok else 503)
