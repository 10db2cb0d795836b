"""Kannel configuration (bearerbox + smsbox + a fake SMSC port) and its processes, on loopback.

Used by the test harness, ``scripts/up.sh`` (through ``python -m dispatch.cli kannel-config``)
and the benchmark. Plain values in, a config file and processes out.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
SMSC_FILE = "smsc.conf"


@dataclass(frozen=True)
class KannelPorts:
    """Loopback ports of one Kannel instance."""

    admin: int
    smsbox: int
    sendsms: int
    fake_smsc: int


@dataclass(frozen=True)
class KannelConfig:
    """What a Kannel config file needs: where to write, ports, credentials and our callbacks.

    ``mo_url`` is the full URL (with the secret) of our incoming-SMS endpoint; Kannel
    escapes appear in it as ``%p`` (sender), ``%P`` (receiver), ``%a`` (text), ``%I`` (id),
    ``%C`` (charset), ``%c`` (coding); ``mo_url`` builds it.
    """

    folder: Path
    ports: KannelPorts
    username: str
    password: str
    mo_url: str
    admin_password: str = "admin"  # noqa: S105 - loopback-only admin port
    log_level: int = 1
    max_parts: int = 6
    # Optional second SMSC: an HTTP "carrier" (system-type kannel) reached with smsc=carrier.
    carrier_send_url: str | None = None
    carrier_port: int | None = None


def render_config(config: KannelConfig) -> str:
    """Return the text of a kannel.conf for ``config`` (bearerbox and smsbox read the same file)."""
    folder = config.folder
    ports = config.ports
    mo_url = config.mo_url.replace('"', "%22")
    return f"""# Written by notify/kannel.py at every start from the settings: edits here are lost.
# Put SMSC connections in smsc.conf (included below). Every port is on 127.0.0.1.
group = core
admin-port = {ports.admin}
admin-password = {config.admin_password}
admin-interface = 127.0.0.1
admin-allow-ip = 127.0.0.1
smsbox-port = {ports.smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{folder}/bearerbox.log"
log-level = {config.log_level}
access-log = "{folder}/access.log"
# Every MT answered 202 survives a crash or restart of bearerbox.
store-type = file
store-location = "{folder}/store"
dlr-storage = spool
dlr-spool = "{folder}/dlr-spool"
sms-resend-retry = -1
sms-resend-freq = 5

# The SMSC groups (the carrier's SMPP account) are the operator's: written once, never
# overwritten, so a restart cannot fall back to the fake SMSC.
include = "{folder / SMSC_FILE}"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports.smsbox}
sendsms-port = {ports.sendsms}
sendsms-interface = 127.0.0.1
log-file = "{folder}/smsbox.log"
log-level = {config.log_level}
access-log = "{folder}/smsbox-access.log"
mo-recode = true
# An MO our endpoint could not take (down, 503) is retried, not dropped.
http-request-retry = 5
http-queue-delay = 2
max-pending-requests = 512

group = sendsms-user
username = {config.username}
password = {config.password}
concatenation = true
max-messages = {config.max_parts}
user-allow-ip = 127.0.0.1

group = sms-service
keyword = default
catch-all = true
get-url = "{mo_url}"
# The reply body must never go back to the citizen as a text.
max-messages = 0
omit-empty = true
accept-x-kannel-headers = false
"""


def render_smsc(config: KannelConfig) -> str:
    """Return the first text of ``smsc.conf``: the fake SMSC (and the test carrier, if any)."""
    return f"""# The SMSC connections of this Kannel, included by kannel.conf. Written once by
# notify/kannel.py and never again: this file is yours. Out of the box it holds the fake
# SMSC of development (texts go to kannel-extras' fakesmsc, not to phones). For real texts
# replace the group below with your carrier's, e.g.
#
# group = smsc
# smsc = smpp
# smsc-id = carrier
# host = smpp.carrier.example
# port = 2775
# smsc-username = ...
# smsc-password = ...
# system-type = ""
# transceiver-mode = true
#
# then restart bearerbox and smsbox (docs/NOTIFICATIONS.md, "Running Kannel").
group = smsc
smsc = fake
smsc-id = fake
port = {config.ports.fake_smsc}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1
{"denied-smsc-id = carrier" if config.carrier_send_url else ""}
{_carrier_group(config)}"""


def _carrier_group(config: KannelConfig) -> str:
    if not config.carrier_send_url:
        return ""
    return f"""
group = smsc
smsc = http
smsc-id = carrier
allowed-smsc-id = carrier
system-type = kannel
send-url = "{config.carrier_send_url}"
port = {config.carrier_port}
smsc-username = carrier
smsc-password = carrier
connect-allow-ip = 127.0.0.1
"""


def write_config(config: KannelConfig) -> Path:
    """Write ``kannel.conf`` (always) and ``smsc.conf`` (only when missing); return kannel.conf.

    kannel.conf follows the settings (ports, credentials, callback URL) at every start;
    smsc.conf belongs to the operator once written.
    """
    config.folder.mkdir(parents=True, exist_ok=True)
    (config.folder / "dlr-spool").mkdir(exist_ok=True)
    smsc = config.folder / SMSC_FILE
    if not smsc.exists():
        smsc.write_text(render_smsc(config), encoding="utf-8")
    path = config.folder / "kannel.conf"
    path.write_text(render_config(config), encoding="utf-8")
    return path


def mo_url(base_url: str, secret: str) -> str:
    """Our incoming-SMS endpoint as Kannel's sms-service calls it (with its ``%`` escapes).

    ``%C`` and ``%c`` (charset and coding) come along with ``%a`` (the text's bytes): the
    endpoint reads the text in the charset Kannel names (``notify.mo_text``).
    """
    return (f"{base_url.rstrip('/')}/api/v1/sms/incoming?secret={secret}"
            "&from=%p&to=%P&text=%a&id=%I&charset=%C&coding=%c")


def wait_for_port(port: int, timeout: float = 10.0) -> bool:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.03)
    return False


class KannelProcesses:
    """bearerbox and smsbox as child processes (foreground, so we own their PIDs)."""

    def __init__(self, config: KannelConfig) -> None:
        self.config = config
        self.path = write_config(config)
        self.bearerbox: subprocess.Popen | None = None
        self.smsbox: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start bearerbox, then smsbox (which panics without a bearerbox).

        :raises RuntimeError: when a box does not open its port in time.
        """
        out = open(self.config.folder / "boxes.out", "ab")  # noqa: SIM115 - owned by Popen
        self.bearerbox = subprocess.Popen([BEARERBOX, str(self.path)], stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_for_port(self.config.ports.smsbox, timeout):
            self.stop()
            raise RuntimeError(f"bearerbox did not open port {self.config.ports.smsbox}")
        self.smsbox = subprocess.Popen([SMSBOX, str(self.path)], stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        if not wait_for_port(self.config.ports.sendsms, timeout):
            self.stop()
            raise RuntimeError(f"smsbox did not open port {self.config.ports.sendsms}")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM both boxes and wait; SIGKILL what is left (smsbox may re-exec itself)."""
        for process in (self.smsbox, self.bearerbox):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.smsbox, self.bearerbox):
            if process is None:
                continue
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=timeout)
        self.bearerbox = self.smsbox = None

    @property
    def running(self) -> bool:
        """True while both boxes are alive."""
        return all(p is not None and p.poll() is None for p in (self.bearerbox, self.smsbox))
