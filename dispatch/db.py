"""Engine, session factory and transaction helpers: the one place that reaches PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool

from dispatch.settings import Settings

# Deterministic constraint names keep Alembic autogenerate diffs clean.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every table of the project."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


SessionLocal = sessionmaker(expire_on_commit=False)
_engine: Engine | None = None


def sqlalchemy_url(url: str) -> str:
    """Pin plain ``postgresql://`` URLs to psycopg2 (SQLAlchemy 2.1 would pick psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def build_engine(settings: Settings, *, for_worker: bool = False) -> Engine:
    """Create an engine; workers use NullPool because RQ forks a work-horse per job."""
    options: dict = {"pool_pre_ping": True, "future": True}
    if for_worker:
        options["poolclass"] = NullPool
    else:
        options.update(pool_size=settings.db_pool_size, max_overflow=5, pool_timeout=5)
    connect_args = {
        "connect_timeout": 5,
        "application_name": "dasan-worker" if for_worker else "dasan-web",
        "options": f"-c statement_timeout={settings.db_statement_timeout_ms}"
        " -c timezone=UTC",
    }
    engine = create_engine(
        sqlalchemy_url(settings.database_url), connect_args=connect_args, **options)
    return engine


def configure_database(settings: Settings, *, for_worker: bool = False) -> Engine:
    """Bind ``SessionLocal`` to a new engine for this process and return it."""
    global _engine
    if _engine is not None:
        _engine.dispose()
    _engine = build_engine(settings, for_worker=for_worker)
    SessionLocal.configure(bind=_engine)
    return _engine


def get_engine() -> Engine:
    """Return the engine bound by ``configure_database``."""
    if _engine is None:
        raise RuntimeError("configure_database() has not been called")
    return _engine


@contextmanager
def session_scope() -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on error (jobs and CLI)."""
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# For the long-lived connections of the scheduler (the leader's lock, the outbox relay's
# LISTEN): keepalive after 5 s idle, then every 2 s, dead after 3 unanswered (about 11 s);
# unacknowledged data for 10 s kills the connection too. Set on the server as well (USERSET
# parameters), so PostgreSQL ends a silent client's session just as fast. Without them a
# link that goes silent (no RST) leaves both ends waiting for the kernel's ~2 hours.
SILENT_LINK_CONNECT_ARGS = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
    "options": ("-c statement_timeout=5000 -c timezone=UTC -c tcp_keepalives_idle=5 "
                "-c tcp_keepalives_interval=2 -c tcp_keepalives_count=3 "
                "-c tcp_user_timeout=10000"),
}
