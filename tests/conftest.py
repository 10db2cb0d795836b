"""Fixtures: real PostGIS (one database per run, one savepoint per test), real Redis, the app."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dispatch.db import SessionLocal, sqlalchemy_url
from dispatch.settings import Settings
from tests.services import IN_CI, RedisServer, checkout_database_name, drop_database_on, unavailable

pytest_plugins = ["tests.factories", "tests.notify_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
# The dev settings file says kannel when Kannel is installed (scripts/lib.sh load_env), and
# test.sh exports it: the servers and commands the tests start inherit the environment and
# must not text through the dev instance's Kannel. Tests that need Kannel start their own.
os.environ["DASAN_SMS_BACKEND"] = "log"
DEFAULT_ADMIN_URL = "postgresql://dasan:dasan@127.0.0.1:5432/postgres"


def _admin_url() -> str:
    return os.environ.get("DASAN_TEST_ADMIN_URL", DEFAULT_ADMIN_URL)


def create_empty_database(name: str) -> str:
    """(Re)create database ``name`` with PostGIS and return its URL."""
    admin_url = _admin_url()
    try:
        admin = create_engine(sqlalchemy_url(admin_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            drop_database_on(conn, name)
            has_template = conn.execute(text(
                "SELECT 1 FROM pg_database WHERE datname = 'dasan_template'")).scalar()
            template = " TEMPLATE dasan_template" if has_template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means no usable PostgreSQL
        unavailable(f"PostgreSQL is not reachable at {admin_url}: {exc}")
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    return url


def drop_database(name: str) -> None:
    """Drop database ``name``, ending the client sessions still in it."""
    admin = create_engine(sqlalchemy_url(_admin_url()), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        drop_database_on(conn, name)
    admin.dispose()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server of the test run's own."""
    if os.environ.get("DASAN_TEST_REDIS_URL"):
        yield None
        return
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server) -> str:
    """URL of the Redis the tests use."""
    return os.environ.get("DASAN_TEST_REDIS_URL") or redis_server.url


@pytest.fixture(scope="session")
def database_url() -> str:
    """A fresh database for this run, migrated to head, with Seoul's areas and categories."""
    from alembic import command

    from dispatch.areas import reset_router
    from dispatch.cli import main as cli_main
    from dispatch.migrate import alembic_config

    url = create_empty_database(checkout_database_name())
    command.upgrade(alembic_config(url), "head")
    env_backup = dict(os.environ)
    os.environ.update(DASAN_DATABASE_URL=url, DASAN_SECRET_KEY="test-secret-key-0123456789")
    try:
        assert cli_main(["load-seoul"]) == 0
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    reset_router()
    return url


@pytest.fixture(scope="session")
def settings(database_url, redis_url, tmp_path_factory) -> Settings:
    """Settings pointing at the test database and Redis."""
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        secret_key="test-secret-key-0123456789",
        queue_async=False,
        # Generous limits for the suite; tests of the limits lower them (low_limits).
        rate_limit_intake_ip="100000/minute",
        rate_limit_intake_phone="100000/minute",
        rate_limit_login="100000/minute",
        photo_dir=str(tmp_path_factory.mktemp("photos")),
        # The local stand-in push service of tests/push_endpoint.py listens on loopback.
        push_hosts=(*Settings.push_hosts, "127.0.0.1"),
    )


@pytest.fixture(scope="session")
def app(settings):
    """The Flask app, built once for the run."""
    from api import create_app

    application = create_app(settings)
    application.config["TESTING"] = True
    return application


@pytest.fixture(scope="session")
def engine(app):
    """The engine ``create_app`` bound (tests share it)."""
    from dispatch.db import get_engine

    return get_engine()


@pytest.fixture
def session(engine):
    """A session inside a transaction that is rolled back after the test.

    ``SessionLocal`` itself is rebound to the test connection, so request sessions and
    jobs run inline share it; their commits become savepoints.
    """
    connection = engine.connect()
    outer = connection.begin()
    SessionLocal.configure(bind=connection, join_transaction_mode="create_savepoint")
    db_session = SessionLocal()
    yield db_session
    db_session.close()
    outer.rollback()
    connection.close()
    SessionLocal.configure(bind=engine, join_transaction_mode="conditional_savepoint")


@pytest.fixture
def client(app, session):
    """A test client whose requests run inside the test's transaction."""
    return app.test_client()


def pytest_report_header(config):
    """Say which services the run uses."""
    return [f"CI={IN_CI}; database {checkout_database_name()} via {_admin_url()}"]


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The project's data folder."""
    return ROOT / "fixtures"


@pytest.fixture
def low_limits(app, settings, redis_url):
    """Lower the rate limits for one test, with fresh counters."""
    from redis import Redis

    def _apply(**limits):
        app.extensions["dispatch.settings"] = settings.replace(**limits)

    connection = Redis.from_url(redis_url)
    for key in connection.scan_iter("*LIMIT*"):
        connection.delete(key)
    for key in connection.scan_iter("dasan-limits*"):
        connection.delete(key)
    yield _apply
    app.extensions["dispatch.settings"] = settings
    for key in connection.scan_iter("*dasan-limits*"):
        connection.delete(key)
