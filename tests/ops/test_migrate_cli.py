"""The migrate command tells the operator what it did, and what a migration warns about."""

import os
import subprocess
import sys

from sqlalchemy import create_engine, text

from dispatch.db import sqlalchemy_url
from tests.conftest import create_empty_database, drop_database
from tests.services import ROOT, checkout_database_name

BEFORE_USERNAMES = "c8e2f4a6b0d1"  # the revision before usernames became case-insensitive


def test_migrate_prints_each_step_and_a_migrations_warning():
    name = checkout_database_name() + "_migrate_cli"
    url = create_empty_database(name)
    env = {**os.environ, "DASAN_DATABASE_URL": url, "DASAN_SECRET_KEY": "x" * 24}
    engine = create_engine(sqlalchemy_url(url))

    def migrate(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "dispatch.cli", "migrate", *args],
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stderr

    try:
        first = migrate("--to", BEFORE_USERNAMES)
        assert "Running upgrade  -> " in first and BEFORE_USERNAMES in first
        with engine.begin() as conn:
            for username in ("kim", "KIM"):
                conn.execute(text(
                    "INSERT INTO staff (username, display_name, role, password_hash, language,"
                    " active, on_duty) VALUES (:u, :u, 'dispatcher', 'x', 'ko', true, false)"),
                    {"u": username})
        rest = migrate()
        assert f"Running upgrade {BEFORE_USERNAMES} -> " in rest
        # The look-alike kept by the migration is named, so the operator can act on it.
        assert "WARNING" in rest and "KIM (id " in rest
    finally:
        engine.dispose()
        drop_database(name)
