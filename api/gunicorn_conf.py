"""gunicorn settings, read from the DASAN_* environment through Settings (the production config).

Reading them through ``Settings.from_env`` gives gunicorn the same parsing and checks as the
app: ``DASAN_ACCESS_LOG=1`` means true here too, and a bad value stops the start with a
message naming the key instead of a traceback.
"""

import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dispatch.settings import Settings  # noqa: E402 - after the path fix

_SETTINGS = Settings.from_env_or_exit()

# Prometheus multiprocess mode: every worker writes its counters into this folder and
# /metrics adds them up. It must be set before the workers import the app.
_METRICS_DIR = Path(os.environ.get(
    "PROMETHEUS_MULTIPROC_DIR",
    Path(__file__).resolve().parent.parent / "var" / f"prometheus-{os.getpid()}"))
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_METRICS_DIR)

bind = _SETTINGS.web_bind
workers = _SETTINGS.web_workers
threads = _SETTINGS.web_threads
worker_class = "gthread"
# A slow client must not hold a worker for ever (issue: slow clients).
timeout = 30
graceful_timeout = 20
keepalive = 5
# gunicorn answers its own limits with an HTML page before the app sees the request. Ours are
# lower and answered in JSON (or Open311's document): URL 4,096 characters, 100 header fields,
# 8,190 bytes each (api/input_guard.py). gunicorn's sit above them as the last stop.
limit_request_line = 8190  # gunicorn's maximum (0 would mean no limit at all)
limit_request_fields = 200
limit_request_field_size = 16380
backlog = 2048
accesslog = "-" if _SETTINGS.access_log else None
# The path without its query, and no Referer: the live map's stream carries the staff token
# in its query (EventSource sends no headers), and a reporter's status page its token, which
# a Referer would repeat. Access logs are kept for days and read by many.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"'
errorlog = "-"
# Each worker builds its own engine in create_app(); nothing is shared across the fork.
preload_app = False


def on_starting(_server):
    """Start with an empty metrics folder (counters from a previous run are stale)."""
    shutil.rmtree(_METRICS_DIR, ignore_errors=True)
    _METRICS_DIR.mkdir(parents=True, exist_ok=True)


def child_exit(_server, worker):
    """Let the metrics of a dead worker stop counting as live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(_server):
    """Remove the metrics folder."""
    shutil.rmtree(_METRICS_DIR, ignore_errors=True)
