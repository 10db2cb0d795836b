"""A real Kannel on loopback for tests and the benchmark, with a fake SMSC spoken from Python.

bearerbox and smsbox are the real binaries. The SMSC side is bearerbox's ``smsc = fake``
port; instead of the ``fakesmsc`` binary we speak its line protocol here
(``<from> <to> <type> <data>``, one message a line), so a test can read every MT and inject
MO lines. Kannel's HTTP callbacks (delivery reports, incoming texts) go to a small recorder
server; tests replay what it caught into the Flask test client, inside the test's
transaction.
"""

from __future__ import annotations

import http.server
import queue
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

from notify.kannel import BEARERBOX, SMSBOX, KannelConfig, KannelPorts, KannelProcesses, mo_url
from tests.services import free_port


@dataclass(frozen=True)
class SmscMessage:
    """One MT as the SMSC got it (a concatenated text arrives as several parts)."""

    sender: str
    receiver: str
    text: str
    udh: bytes = b""


def _decode_line(line: str) -> SmscMessage | None:
    parts = line.rstrip("\n").split(" ")
    if len(parts) < 4:
        return None
    sender, receiver, kind = parts[0], parts[1], parts[2]
    udh = b""
    if kind == "udh":
        udh = unquote_to_bytes(parts[3])
        kind, payload = parts[4], " ".join(parts[5:])
    else:
        payload = " ".join(parts[3:])
    if kind == "text":
        # A GSM-7 text alone: bearerbox writes Kannel's UTF-8 as is (the line was read as
        # latin-1, byte for byte).
        return SmscMessage(sender, receiver, payload.encode("latin-1").decode("utf-8", "replace"),
                           udh)
    raw = unquote_to_bytes(payload.replace("+", "%20"))
    if kind == "ucs-2" or (udh and _looks_utf16(raw)):
        return SmscMessage(sender, receiver, raw.decode("utf-16-be", "replace"), udh)
    return SmscMessage(sender, receiver, raw.decode("utf-8", "replace"), udh)


def _looks_utf16(raw: bytes) -> bool:
    # A concatenated part says "data" for GSM-7 (UTF-8 bytes) and UCS-2 (UTF-16) alike.
    # GSM-7 in UTF-8 has no NUL byte and is valid UTF-8; UTF-16 of Latin text has NULs and
    # of Hangul is not valid UTF-8.
    if len(raw) % 2:
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return b"\x00" in raw


class FakeSmsc:
    """The carrier end: a TCP client of bearerbox's fake-SMSC port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: queue.Queue[SmscMessage] = queue.Queue()
        self.count = 0
        self.sock: socket.socket | None = None
        self._reader: threading.Thread | None = None

    def connect(self, timeout: float = 10.0) -> None:
        """Connect (bearerbox accepts one client) and start reading MT lines."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(None)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        sock = self.sock
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                message = _decode_line(line.decode("latin-1"))
                if message is not None:
                    self.count += 1
                    self.messages.put(message)

    def close(self) -> None:
        """Disconnect."""
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.sock = None

    def take(self, count: int = 1, timeout: float = 10.0) -> list[SmscMessage]:
        """Return the next ``count`` messages, waiting up to ``timeout`` for them."""
        deadline = time.monotonic() + timeout
        got = []
        while len(got) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                got.append(self.messages.get(timeout=remaining))
            except queue.Empty:
                break
        return got

    def texts(self, count: int = 1, timeout: float = 10.0) -> list[SmscMessage]:
        """Like ``take`` but joins concatenated parts into whole texts."""
        whole, pending = [], {}
        deadline = time.monotonic() + timeout
        while len(whole) < count and time.monotonic() < deadline:
            got = self.take(1, max(deadline - time.monotonic(), 0.01))
            if not got:
                break
            part = got[0]
            if len(part.udh) >= 6 and part.udh[1] == 0x00:  # 8-bit concatenation IE
                ref, total, number = part.udh[3], part.udh[4], part.udh[5]
                pending.setdefault((part.receiver, ref), {})[number] = part.text
                if len(pending[(part.receiver, ref)]) == total:
                    pieces = pending.pop((part.receiver, ref))
                    whole.append(SmscMessage(part.sender, part.receiver,
                                             "".join(pieces[i] for i in sorted(pieces))))
            else:
                whole.append(part)
        return whole

    def drain(self) -> int:
        """Forget anything received so far; return how many."""
        dropped = 0
        while True:
            try:
                self.messages.get_nowait()
                dropped += 1
            except queue.Empty:
                return dropped

    def send_mo(self, sender: str, receiver: str, text: str | bytes) -> None:
        """Inject an incoming text as the carrier would (UTF-8 data, or raw bytes)."""
        raw = text if isinstance(text, bytes) else text.encode("utf-8")
        line = f"{sender} {receiver} data {quote(raw, safe='')}\n"
        self.sock.sendall(line.encode("ascii"))


class CallbackRecorder:
    """An HTTP server standing where our web app would: it records Kannel's callbacks."""

    def __init__(self) -> None:
        self.requests: queue.Queue[str] = queue.Queue()
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                recorder.requests.put(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 256
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def take(self, prefix: str, count: int = 1, timeout: float = 10.0) -> list[str]:
        """Return the next ``count`` recorded paths starting with ``prefix`` (others dropped)."""
        deadline = time.monotonic() + timeout
        got: list[str] = []
        while len(got) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                path = self.requests.get(timeout=remaining)
            except queue.Empty:
                break
            if path.startswith(prefix):
                got.append(path)
        return got

    def drain(self) -> None:
        """Forget everything recorded so far."""
        while not self.requests.empty():
            self.requests.get_nowait()

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()


class CarrierStandIn:
    """A carrier behind Kannel's ``smsc = http`` (system-type kannel) that can fail texts.

    It takes each MT (answering 202) and then calls the delivery-report URL it was handed
    with ``outcome``: 1 delivered, 2 undelivered, 16 rejected.
    """

    def __init__(self) -> None:
        self.outcome = 1
        self.received: queue.Queue[dict] = queue.Queue()
        carrier = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                from urllib.parse import parse_qs, urlsplit
                from urllib.request import urlopen

                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                carrier.received.put(query)
                self.send_response(202)
                self.end_headers()
                self.wfile.write(b"0: Accepted for delivery")
                report = query.get("dlr-url")
                if report:
                    urlopen(report.replace("%d", str(carrier.outcome)), timeout=5).close()

            def log_message(self, *_args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    @property
    def send_url(self) -> str:
        """Where Kannel sends MT for the carrier."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/send"

    def stop(self) -> None:
        """Shut down."""
        self.server.shutdown()
        self.server.server_close()


class KannelHarness:
    """bearerbox + smsbox + FakeSmsc + CallbackRecorder, started together."""

    username = "dasan-test"
    password = "kannel-test-password"

    def __init__(self, folder: Path, mo_secret: str, callback: CallbackRecorder | None = None,
                 max_parts: int = 4, log_level: int = 1) -> None:
        self.callback = callback or CallbackRecorder()
        self.carrier = CarrierStandIn()
        ports = KannelPorts(free_port(), free_port(), free_port(), free_port())
        self.config = KannelConfig(folder, ports, self.username, self.password,
                                   mo_url(self.callback.base_url, mo_secret),
                                   max_parts=max_parts, log_level=log_level,
                                   carrier_send_url=self.carrier.send_url,
                                   carrier_port=free_port())
        self.boxes = KannelProcesses(self.config)
        self.smsc = FakeSmsc(ports.fake_smsc)

    @staticmethod
    def installed() -> bool:
        """True when bearerbox and smsbox are there."""
        return all(shutil.which(p) or Path(p).exists() for p in (BEARERBOX, SMSBOX))

    @property
    def sendsms_url(self) -> str:
        """The smsbox sendsms URL."""
        return f"http://127.0.0.1:{self.config.ports.sendsms}/cgi-bin/sendsms"

    def start(self) -> None:
        """Start the boxes and connect the fake SMSC."""
        self.boxes.start()
        self.smsc = FakeSmsc(self.config.ports.fake_smsc)
        self.smsc.connect()
        # bearerbox marks the SMSC online a moment after the client connects.
        time.sleep(0.3)

    def stop(self) -> None:
        """Stop the SMSC client and the boxes."""
        self.smsc.close()
        self.boxes.stop()

    def shutdown(self) -> None:
        """Stop everything, the recorder too."""
        self.stop()
        self.callback.stop()
        self.carrier.stop()
