"""gunicorn settings, read from the DASAN_* environment (the production config)."""

import os

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
