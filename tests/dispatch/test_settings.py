import os
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
    ("DASAN_SLA_WARNING_MINUTES", "0", "DASAN_SLA_WARNING_MINUTES must be at least 1"),
    ("DASAN_SLA_WARNING_MINUTES", "-30", "DASAN_SLA_WARNING_MINUTES must be at least 1"),
    ("DASAN_TRAFFIC_FETCH_RATE", "0", "DASAN_TRAFFIC_FETCH_RATE must be more than 0"),
    ("DASAN_TRAFFIC_FETCH_RATE", "-5", "DASAN_TRAFFIC_FETCH_RATE must be more than 0"),
    ("DASAN_LOG_LEVEL", "verbose", "DASAN_LOG_LEVEL must be one of DEBUG, INFO"),
    ("DASAN_WEB_WORKERS", "0", "DASAN_WEB_WORKERS and DASAN_WEB_THREADS must be at least 1"),
    ("DASAN_WEB_THREADS", "-1", "DASAN_WEB_WORKERS and DASAN_WEB_THREADS must be at least 1"),
    ("DASAN_WEB_BIND", " ", "DASAN_WEB_BIND must name an address"),
    ("DASAN_DB_STATEMENT_TIMEOUT_MS", "-1", "DASAN_DB_STATEMENT_TIMEOUT_MS must not be negative"),
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


def test_log_level_is_read_in_any_case_and_configures_logging(monkeypatch):
    import logging

    from dispatch.logs import configure_logging

    settings = Settings.from_env({"DASAN_DATABASE_URL": "postgresql://x/y",
                                  "DASAN_SECRET_KEY": "k" * 20, "DASAN_LOG_LEVEL": "debug"})
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    configure_logging(settings.log_level, "test")
    assert root.level == logging.DEBUG


def test_statement_timeout_doc_says_it_covers_every_process():
    docs = {key: doc for key, _, doc in documented_settings()}
    doc = docs["DASAN_DB_STATEMENT_TIMEOUT_MS"]
    assert "worker" in doc and "scheduler" in doc


def _gunicorn_config(monkeypatch, tmp_path, **env) -> dict:
    """Run api/gunicorn_conf.py as gunicorn does, with ``env`` on top of a valid base."""
    import runpy

    base = {"DASAN_DATABASE_URL": "postgresql://x/y", "DASAN_SECRET_KEY": "k" * 20,
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    for key in [key for key in os.environ if key.startswith("DASAN_")]:
        monkeypatch.delenv(key)
    for key, value in {**base, **env}.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(ROOT / "api" / "gunicorn_conf.py"))


def test_gunicorn_reads_its_settings_through_settings(monkeypatch, tmp_path):
    config = _gunicorn_config(monkeypatch, tmp_path, DASAN_ACCESS_LOG="1",
                              DASAN_WEB_BIND="127.0.0.1:9001", DASAN_WEB_WORKERS="3",
                              DASAN_WEB_THREADS="6")
    assert (config["accesslog"], config["bind"], config["workers"], config["threads"]) == (
        "-", "127.0.0.1:9001", 3, 6)
    assert _gunicorn_config(monkeypatch, tmp_path)["accesslog"] is None


def test_gunicorn_stops_with_the_bad_key_named(monkeypatch, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        _gunicorn_config(monkeypatch, tmp_path, DASAN_ACCESS_LOG="sometimes")
    assert stopped.value.code == 2
    assert "DASAN_ACCESS_LOG='sometimes' is invalid" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _gunicorn_config(monkeypatch, tmp_path, DASAN_WEB_WORKERS="0")
    assert "DASAN_WEB_WORKERS and DASAN_WEB_THREADS must be at least 1" in capsys.readouterr().err
