"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from api.db import get_session

blp = Blueprint("health", __name__, url_prefix="/health")


@blp.get("/live")
def live():
    """The process answers."""
    return jsonify(status="ok")


@blp.get("/ready")
def ready():
    """The database answers and the areas are loaded."""
    checks = {}
    try:
        count = get_session().execute(text("SELECT count(*) FROM dongs")).scalar_one()
        checks["database"] = "ok"
        checks["areas"] = "ok" if count else "not loaded"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"unavailable: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if healthy else "unavailable", checks=checks), (
        200 if healthy else 503)
