"""A local stand-in for a browser push service: decrypts what pywebpush sends (RFC 8291)."""

from __future__ import annotations

import base64
import http.server
import json
import os
import threading
import time

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PushEndpoint:
    """Answers ``mode`` (201, 404, 410, 'timeout') and keeps every decrypted payload."""

    def __init__(self) -> None:
        self.mode: int | str = 201
        self.received: list[dict] = []
        self.headers: list[dict] = []
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if endpoint.mode == "timeout":
                    time.sleep(3)
                    return
                plain = http_ece.decrypt(body, private_key=endpoint.private_key,
                                         auth_secret=endpoint.auth, version="aes128gcm")
                endpoint.received.append(json.loads(plain))
                endpoint.headers.append(dict(self.headers))
                self.send_response(int(endpoint.mode))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def subscription(self, path: str = "/push/1") -> dict:
        """A subscription as ``PushSubscription.toJSON()`` gives it."""
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": f"http://127.0.0.1:{self.server.server_address[1]}{path}",
                "keys": {"p256dh": _b64(public), "auth": _b64(self.auth)}}

    def stop(self) -> None:
        """Shut down."""
        self.server.shutdown()
        self.server.server_close()
