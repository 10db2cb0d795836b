import re
from pathlib import Path

import pytest

from dispatch.settings import Settings, SettingsError, documented_settings

ROOT = Path(__file__).resolve().parents[2]


def test_from_env_names_every_missing_required_key():
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({})
    message = str(caught.value)
    assert "DASAN_DATABASE_URL is required" in message
    assert "DASAN_SECRET_KEY is required" in message


def test_from_env_names_every_malformed_value_at_once():
    env = {"DASAN_DATABASE_URL": "postgresql://x/y", "DASAN_SECRET_KEY": "k" * 20,
           "DASAN_WEB_WORKERS": "many", "DASAN_QUEUE_ASYNC": "perhaps",
           "DASAN_ROUTING_TOLERANCE_M": "nan"}
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    for key in ("DASAN_WEB_WORKERS", "DASAN_QUEUE_ASYNC", "DASAN_ROUTING_TOLERANCE_M"):
        assert key in str(caught.value)


@pytest.mark.parametrize("key,value,fragment", [
    ("DASAN_SECRET_KEY", "short", "at least 16"),
    ("DASAN_DATABASE_URL", "mysql://x", "postgresql"),
    ("DASAN_DEFAULT_LANGUAGE", "fr", "DEFAULT_LANGUAGE"),
    ("DASAN_TIMEZONE", "Mars/Olympus", "time zone"),
    ("DASAN_ROUTING_TOLERANCE_M", "-1", "negative"),
])
def test_from_env_checks_rules(key, value, fragment):
    env = {"DASAN_DATABASE_URL": "postgresql://x/y", "DASAN_SECRET_KEY": "k" * 20, key: value}
    with pytest.raises(SettingsError, match=fragment):
        Settings.from_env(env)


def test_from_env_parses_types():
    settings = Settings.from_env({"DASAN_DATABASE_URL": "postgresql://x/y",
                                  "DASAN_SECRET_KEY": "k" * 20, "DASAN_WEB_WORKERS": "3",
                                  "DASAN_QUEUE_ASYNC": "false",
                                  "DASAN_ROUTING_TOLERANCE_M": "12.5"})
    assert settings.web_workers == 3 and settings.queue_async is False
    assert settings.routing_tolerance_m == 12.5


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(DASAN_[A-Z0-9_]+)`", readme))
    missing = [key for key, _, _ in documented_settings() if key not in documented]
    assert missing == []
