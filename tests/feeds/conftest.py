"""Local feed servers speaking HTTP on 127.0.0.1: one that serves files, one that never answers."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"


@pytest.fixture
def feed_server():
    """An HTTP server answering /<name> with fixtures/feeds/<name>; /status/<n> answers n."""
    requests_seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            requests_seen.append(self.path)
            name = self.path.rsplit("/", 1)[-1]
            if self.path.startswith("/status/"):
                self.send_response(int(name))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = FEEDS / name
            body = path.read_bytes() if path.is_file() else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/xml;charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    server.requests_seen = requests_seen
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def silent_server():
    """A TCP server on a free port that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    listener.close()
