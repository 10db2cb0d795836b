"""gunicorn settings, read from the DASAN_* environment (the production config)."""

import os
import shutil
from pathlib import Path

# Prometheus multiprocess mode: every worker writes its counters into this folder and
# /metrics adds them up. It must be set before the workers import the app.
_METRICS_DIR = Path(os.environ.get(
    "PROMETHEUS_MULTIPROC_DIR",
    Path(__file__).resolve().parent.parent / "var" / f"prometheus-{os.getpid()}"))
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_METRICS_DIR)

bind = os.environ.get("DASAN_WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("DASAN_WEB_WORKERS", "2"))
threads = int(os.environ.get("DASAN_WEB_THREADS", "4"))
worker_class = "gthread"
# A slow client must not hold a worker for ever (issue: slow clients).
timeout = 30
graceful_timeout = 20
keepalive = 5
backlog = 2048
accesslog = "-" if os.environ.get("DASAN_ACCESS_LOG", "false").lower() == "true" else None
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
