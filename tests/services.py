"""Starting and finding the real services the tests use (PostgreSQL, Redis)."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

from notify.kannel import wait_for_port  # noqa: F401 - the tests' one way to wait

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(what: str) -> None:
    """Fail under CI=true, skip loudly elsewhere: a missing service never passes silently."""
    message = f"{what} (run scripts/test.sh, which installs and starts it)"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Sessions of clients in the database to drop; autovacuum and other server processes are
# left to DROP DATABASE itself (see drop_database_on).
_END_CLIENT_SESSIONS = """
SELECT pid, usename, pg_terminate_backend(pid, 5000) AS ended FROM pg_stat_activity
WHERE datname = :name AND pid <> pg_backend_pid() AND backend_type = 'client backend'
"""


def drop_database_on(conn, name: str) -> None:
    """Drop database ``name`` over ``conn`` (autocommit), ending client sessions still in it.

    Not ``DROP DATABASE ... WITH (FORCE)``: FORCE signals every other process in the
    database, autovacuum workers included, and refuses the whole drop when the role may
    not signal one of them. An autovacuum worker has no owning role, so on PostgreSQL 15 a
    non-superuser like ``dasan`` (no pg_signal_backend) gets "must be a member of the role
    whose process is being terminated or member of pg_signal_backend" whenever autovacuum
    happens to be analysing the database (likeliest just after a restore or a big load, on
    a busy machine). A plain DROP DATABASE stops autovacuum workers itself (it waits up
    to 5 s for them), so only the client sessions are ended here, which our role may do
    for its own. A session of another role still fails loudly (pg_terminate_backend
    refuses, or DROP DATABASE says the database is in use): a real leak, not hidden.
    """
    from sqlalchemy import text

    for pid, user, ended in conn.execute(text(_END_CLIENT_SESSIONS), {"name": name}):
        if not ended:
            raise RuntimeError(f"session {pid} of {user} in {name} did not end within 5 s")
    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


def checkout_database_name() -> str:
    """A database name of this checkout's own, so parallel checkouts never collide."""
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]
    return os.environ.get("DASAN_TEST_DATABASE_NAME", f"dasan_test_{digest}")


class RedisServer:
    """A throw-away redis-server on a free port, with its data in a temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The redis:// URL of this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) the server on the same port."""
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--dir", str(self.folder), "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for_port(self.port):
            unavailable(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then wait)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def app_answers(url: str, seconds: float) -> bool:
    """Wait until the app at ``url`` answers ``/health/live``, not only its socket: gunicorn
    listens before its workers have imported the app (preload is off), and on a loaded
    machine that import took longer than a browser's first 10 s navigation."""
    deadline = time.monotonic() + seconds
    answered = 0
    while time.monotonic() < deadline:
        try:
            with urlopen(f"{url}/health/live", timeout=5) as answer:
                answered += answer.status == 200
        except OSError:
            answered = 0
            time.sleep(0.2)
        # A few answers in a row: every worker has usually booted by then.
        if answered >= 4:
            return True
    return False
