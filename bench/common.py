"""Shared benchmark plumbing: results, a scratch database, servers and wrk."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.services import (
    drop_database_on,
    free_port,  # noqa: F401 - bench modules take it from here
)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ADMIN_URL = os.environ.get("DASAN_TEST_ADMIN_URL",
                           "postgresql://dasan:dasan@127.0.0.1:5432/postgres")


@dataclass
class Result:
    """One benchmark figure beside its ceiling; ``higher_is_better`` sets how to read it."""

    name: str
    figure: float
    unit: str
    ceiling: float | None
    ceiling_name: str
    target: str
    passed: bool
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        """figure / ceiling, when there is a ceiling."""
        if not self.ceiling:
            return None
        return self.figure / self.ceiling

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return {**asdict(self), "ratio": self.ratio}


def scratch_database(name: str = "dasan_bench") -> str:
    """(Re)create a migrated database with Seoul loaded; return its URL."""
    from alembic import command

    from dispatch.db import sqlalchemy_url
    from dispatch.migrate import alembic_config

    admin = create_engine(sqlalchemy_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        drop_database_on(conn, name)  # not WITH (FORCE): see tests/services.py
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE dasan_template'))
    admin.dispose()
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    command.upgrade(alembic_config(url), "head")
    env = {**os.environ, "DASAN_DATABASE_URL": url,
           "DASAN_SECRET_KEY": "bench-secret-key-0123456789"}
    subprocess.run([PYTHON, "-m", "dispatch.cli", "load-seoul"], env=env, check=True,
                   capture_output=True, cwd=ROOT)
    return url



def scratch_redis(db: int = 13) -> str:
    """An emptied Redis database for a benchmark's queues; return its URL.

    Jobs left in the service's own queues (or by an earlier run) would otherwise be worked
    before the benchmark's and be counted against it.
    """
    from redis import Redis

    base = os.environ.get("DASAN_REDIS_URL", "redis://127.0.0.1:6379/0")
    url = base.rsplit("/", 1)[0] + f"/{db}" if base.count("/") >= 3 else f"{base}/{db}"
    client = Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


class Gunicorn:
    """A gunicorn process with the production config (api/gunicorn_conf.py)."""

    def __init__(self, app: str, env: dict, port: int) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", str(ROOT / "api/gunicorn_conf.py"), app],
            env={**env, "DASAN_WEB_BIND": f"127.0.0.1:{port}"}, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_ready(self, path: str, timeout: float = 30) -> None:
        """Wait until ``path`` answers."""
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer {path}")

    def rss_kib(self) -> int:
        """Total resident memory of the master and its workers now (KiB)."""
        return sum(_status_kib(pid, "VmRSS") for pid in self.pids())

    def peak_worker_rss_kib(self) -> int:
        """The largest peak resident memory (VmHWM) of one web worker so far (KiB)."""
        return max((_status_kib(pid, "VmHWM") for pid in _children(self.process.pid)),
                   default=0)

    def pids(self) -> list[int]:
        """The master and its workers."""
        return [self.process.pid] + _children(self.process.pid)

    def stop(self) -> None:
        """Stop gunicorn and its workers."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _status_kib(pid: int, field: str) -> int:
    """One memory field of /proc/<pid>/status in KiB (0 when the process is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        return int(re.search(rf"{field}:\s+(\d+)", status).group(1))
    except (OSError, AttributeError):
        return 0


def _pss_kib(pid: int) -> int:
    """Proportional set size: resident memory with shared pages split among their users."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        return int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1))
    except (OSError, AttributeError):
        return 0


class RssSampler:
    """Samples a process and its children (e.g. RQ's forked work-horses) and keeps the peak.

    A forked work-horse shares most pages with its parent, so summing RSS would count them
    twice: the tree's proportional set size (PSS) is summed every ``interval`` seconds.
    """

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        import threading

        self.pid, self.interval, self.peak_kib = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            tree = [self.pid, *_children(self.pid)]
            self.peak_kib = max(self.peak_kib, sum(_pss_kib(p) for p in tree))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()


_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> tuple[str, list[str]] | None:
    """(command name, fields after it) of /proc/<pid>/stat, None when the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and of its reaped children (RQ's work-horses)."""
    found = _stat_fields(pid)
    if found is None:
        return 0.0
    fields = found[1]
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / _TICKS


def postgres_cpu_seconds() -> float:
    """CPU seconds of every PostgreSQL process, closed connections' backends included."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        found = _stat_fields(int(entry.name))
        if found is None or found[0] != "postgres":
            continue
        fields = found[1]
        own = int(fields[11]) + int(fields[12])
        parent = _stat_fields(int(fields[1]))
        # The postmaster reaps each backend that ends, so their time is in its children's.
        reaped = int(fields[13]) + int(fields[14]) if parent and parent[0] != "postgres" else 0
        total += (own + reaped) / _TICKS
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / _TICKS


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@dataclass
class WrkResult:
    """What wrk measured."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int


def run_wrk(url: str, seconds: int, connections: int = 32, script: Path | None = None,
            threads: int = 2) -> WrkResult:
    """Run wrk and parse its --latency output."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    return WrkResult(rps, latency("50"), latency("99"),
                     int(non_2xx.group(1)) if non_2xx else 0,
                     sum(int(g) for g in errors.groups()) if errors else 0)
