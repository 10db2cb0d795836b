"""Throw-away PostgreSQL clusters and gunicorn servers for fault tests (restartable at will)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.services import ROOT, free_port, unavailable, wait_for_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    # initdb and postgres refuse to run as root; the tests run as root here and in CI.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + args, capture_output=True, text=True, **kwargs)


class PostgresCluster:
    """A private PostgreSQL 15 cluster on a free port, with PostGIS available."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            unavailable("PostgreSQL 15 server binaries are not installed")
        self.folder = Path(tempfile.mkdtemp(prefix="dasan-pg-"))
        shutil.chown(self.folder, "postgres") if os.geteuid() == 0 else None
        self.data = self.folder / "data"
        self.port = free_port()

    @property
    def url(self) -> str:
        """URL of the ``dasan`` database in this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/dasan"

    def init(self) -> None:
        """initdb with trust authentication on loopback (a test cluster only)."""
        done = _as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                             "--auth=trust", "-E", "UTF8", "--no-sync"], timeout=120)
        if done.returncode != 0:
            unavailable(f"initdb failed: {done.stderr}")

    def start(self) -> None:
        """Start the server and wait for it."""
        done = _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60",
                             "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
                             " -c fsync=off -c max_connections=100",
                             "-l", str(self.folder / "log"), "start"], timeout=90)
        if done.returncode != 0 or not wait_for_port(self.port):
            unavailable(f"PostgreSQL did not start: {done.stderr}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast`` disconnects clients, as a restart would)."""
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"],
                     timeout=90)

    def create_database(self) -> None:
        """Create ``dasan`` with PostGIS, migrate it, and load Seoul."""
        psql = ["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        subprocess.run(psql + ["-c", "CREATE DATABASE dasan"], check=True, capture_output=True)
        subprocess.run(psql + ["-d", "dasan", "-c", "CREATE EXTENSION postgis"], check=True,
                       capture_output=True)
        env = {**os.environ, "DASAN_DATABASE_URL": self.url, "DASAN_SECRET_KEY": "f" * 20}
        for command in (["migrate"], ["load-seoul"]):
            subprocess.run([str(ROOT / ".venv/bin/python") if (ROOT / ".venv").exists()
                            else "python3", "-m", "dispatch.cli", *command],
                           check=True, capture_output=True, env=env, cwd=ROOT)

    def destroy(self) -> None:
        """Stop and delete the cluster."""
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


class WebServer:
    """The service under gunicorn (the production config) on a free port."""

    def __init__(self, env: dict, port: int | None = None) -> None:
        import sys

        self.port = port or free_port()
        # A file, not a pipe: an unread pipe fills up and blocks the workers' logging.
        self.log = tempfile.NamedTemporaryFile(prefix="dasan-web-", suffix=".log")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "api/gunicorn_conf.py"),
             "api.wsgi:app"],
            env={**os.environ, **env, "DASAN_WEB_BIND": f"127.0.0.1:{self.port}",
                 "DASAN_LOG_LEVEL": "WARNING"},
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/live", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start: " + self.stop())

    def stop(self) -> str:
        """Stop gunicorn; return what it logged."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        text = Path(self.log.name).read_text(errors="replace")
        self.log.close()
        return text
