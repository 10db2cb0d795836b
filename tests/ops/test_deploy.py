"""The systemd units and the logrotate config shipped in deploy/ for running on a real host."""

import configparser
import shutil
import subprocess

import pytest

from tests.services import ROOT, unavailable

UNITS = ROOT / "deploy" / "systemd"
LONG_RUNNING = ("dasan-web", "dasan-worker", "dasan-feeds-worker", "dasan-scheduler",
                "dasan-bearerbox", "dasan-smsbox")


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(UNITS / name, encoding="utf-8")
    return parser


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_process_has_a_unit_that_restarts_it_and_reads_the_settings(name):
    unit = _unit(f"{name}.service")
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/opt/dasan/var/dasan.env"
    assert service["User"] == "dasan"
    assert unit["Unit"]["PartOf"] == "dasan.target"
    assert "dasan.target" in unit["Install"]["WantedBy"].split()


def test_the_units_start_what_the_project_has():
    starts = {name: _unit(f"{name}.service")["Service"]["ExecStart"] for name in LONG_RUNNING}
    assert starts["dasan-web"].endswith("gunicorn -c api/gunicorn_conf.py api.wsgi:app")
    assert starts["dasan-worker"].endswith("python -m dispatch.worker")
    assert starts["dasan-feeds-worker"].endswith("python -m dispatch.worker --queues feeds")
    assert starts["dasan-scheduler"].endswith("python -m dispatch.schedule")
    for path in ("api/gunicorn_conf.py", "api/wsgi.py", "dispatch/worker.py",
                 "dispatch/schedule.py"):
        assert (ROOT / path).is_file()
    # Kannel's config is regenerated from the settings at each start; smsc.conf is kept.
    bearerbox = _unit("dasan-bearerbox.service")["Service"]
    assert "dispatch.cli kannel-config --dir /opt/dasan/var/kannel" in bearerbox["ExecStartPre"]
    assert bearerbox["ExecStart"] == "/usr/sbin/bearerbox /opt/dasan/var/kannel/kannel.conf"


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        unavailable("systemd-analyze is not installed (Debian package systemd)")
    for unit in UNITS.iterdir():
        text = unit.read_text(encoding="utf-8").replace("/opt/dasan", str(ROOT))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    names = sorted(path.name for path in tmp_path.iterdir())
    done = subprocess.run([analyze, "verify", "--man=no", *names], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_logrotate_keeps_the_logs_for_a_limited_time():
    config = (ROOT / "deploy" / "logrotate" / "dasan").read_text(encoding="utf-8")
    assert "/opt/dasan/var/log/*.log" in config and "/opt/dasan/var/kannel/*.log" in config
    assert "rotate 14" in config and "daily" in config


def test_logrotate_accepts_the_config(tmp_path):
    logrotate = shutil.which("logrotate") or shutil.which("logrotate", path="/usr/sbin")
    if logrotate is None:
        unavailable("logrotate is not installed")
    config = (ROOT / "deploy" / "logrotate" / "dasan").read_text(encoding="utf-8")
    (tmp_path / "dasan").write_text(config.replace("/opt/dasan", str(tmp_path)))
    done = subprocess.run([logrotate, "--debug", "--state", str(tmp_path / "state"),
                           str(tmp_path / "dasan")], capture_output=True, text=True, timeout=60)
    # logrotate only warns about an unknown directive (and goes on), so read what it says.
    assert done.returncode == 0 and "error" not in done.stderr.lower(), done.stderr
