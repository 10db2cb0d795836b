"""Alembic configuration for the CLI and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """Return an Alembic Config for ``migrations/`` bound to ``database_url``."""
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config
