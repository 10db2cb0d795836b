"""Process-wide settings for code that runs outside a request (jobs, scheduler, CLI)."""

from __future__ import annotations

from dispatch.settings import Settings

_settings: Settings | None = None


def configure(settings: Settings) -> None:
    """Remember this process's settings (create_app, the worker and the scheduler call it)."""
    global _settings
    _settings = settings


def current_settings() -> Settings:
    """Return the configured settings, reading the environment on first use."""
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings
