"""Live map: a status change reaches an open dispatcher stream (SSE), under intake load."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

from bench.bench_intake import LUA, seoul_points
from bench.common import PYTHON, ROOT, Gunicorn, Result, free_port, run_wrk

PASSWORD = "bench-dispatcher-password"  # noqa: S105 - a throw-away benchmark account


def _post(port: int, path: str, body: dict, headers: dict | None = None) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST",
                                     data=json.dumps(body).encode(), headers={
                                         "Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


class StreamReader:
    """Reads one SSE stream and notes when each public id's event arrived."""

    def __init__(self, port: int, token: str) -> None:
        self.seen: dict[str, float] = {}
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(f"GET /api/v1/stream?access_token={token} HTTP/1.1\r\n"
                          f"Host: bench\r\nAccept: text/event-stream\r\n\r\n".encode())
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.startswith(b"data: "):
                    try:
                        public_id = json.loads(line[6:])["public_id"]
                    except (ValueError, KeyError):
                        continue
                    self.seen.setdefault(public_id, time.perf_counter())

    def close(self) -> None:
        """Stop reading."""
        self.sock.close()


def run(database_url: str, samples: int, load_seconds: int = 20) -> list[Result]:
    """Measure change-to-stream latency while wrk files complaints at 16 connections."""
    env = {**os.environ, "DASAN_DATABASE_URL": database_url,
           "DASAN_SECRET_KEY": "bench-secret-key-0123456789", "DASAN_LOG_LEVEL": "WARNING",
           "DASAN_RATE_LIMIT_INTAKE_IP": "100000000/minute",
           "DASAN_RATE_LIMIT_INTAKE_PHONE": "100000000/minute",
           "DASAN_RATE_LIMIT_LOGIN": "100000/minute"}
    username = f"bench-{uuid.uuid4().hex[:8]}"
    subprocess.run([PYTHON, "-m", "dispatch.cli", "create-staff", username, "--role",
                    "dispatcher"], input=PASSWORD + "\n", text=True, env=env, cwd=ROOT,
                   check=True, capture_output=True)
    web = Gunicorn("api.wsgi:app", env, free_port())
    latencies = []
    try:
        web.wait_ready("/health/live")
        token = _post(web.port, "/api/v1/auth/login",
                      {"username": username, "password": PASSWORD})["token"]
        stream = StreamReader(web.port, token)
        time.sleep(1.0)
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "intake.lua"
            points = ",".join(f"{{{lon:.6f},{lat:.6f}}}" for lon, lat in seoul_points(500))
            script.write_text(LUA % {"points": points})
            load = threading.Thread(target=run_wrk, args=(
                f"http://127.0.0.1:{web.port}", load_seconds), kwargs={
                "connections": 16, "script": script, "threads": 1})
            load.start()
            time.sleep(1.0)
            for number in range(samples):
                body = {"category": "other", "description": f"live {number}",
                        "location": {"type": "Point",
                                     "coordinates": [126.95 + number * 0.0005, 37.56]}}
                answered = _post(web.port, "/api/v1/complaints", body,
                                 {"Idempotency-Key": str(uuid.uuid4())})
                sent = time.perf_counter()
                public_id = answered["public_id"]
                deadline = sent + 10
                while public_id not in stream.seen and time.perf_counter() < deadline:
                    time.sleep(0.005)
                if public_id in stream.seen:
                    latencies.append(stream.seen[public_id] - sent)
                time.sleep(max(0.0, load_seconds / (samples + 2) - 0.05))
            load.join()
        stream.close()
    finally:
        web.stop()
    received = len(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000 if received >= 20 else float("inf")
    return [Result("live map: change -> open SSE stream under intake load (p95)", p95, "ms",
                   None, "", "p95 <= 1,000 ms", p95 <= 1000 and received == samples,
                   f"{received}/{samples} changes seen; median "
                   f"{statistics.median(latencies) * 1000 if latencies else float('nan'):.0f} ms;"
                   " stream polls every DASAN_SSE_POLL_SECONDS (0.5 s)")]
