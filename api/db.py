"""One SQLAlchemy session per request, closed (and so rolled back if uncommitted) on teardown."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session

from dispatch.db import SessionLocal


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = SessionLocal()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    """Register the teardown that closes the request's session."""
    app.teardown_appcontext(_close_session)
