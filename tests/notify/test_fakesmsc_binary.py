"""Kannel's own test SMSC, the ``fakesmsc`` binary, end to end.

The rest of the suite speaks fakesmsc's line protocol from Python (tests/kannel.py) so it
can read and inject messages precisely; this test runs the real binary once: a Korean text
sent through our Kannel gateway client reaches it intact. (Incoming texts are injected
through the same SMSC port by tests/kannel.py; fed through a pipe, the binary's interactive
mode sent nothing here.)
"""

import re
import subprocess
import time
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

from notify.kannel import FAKESMSC
from notify.sms import KannelGateway
from tests.kannel import KannelHarness
from tests.services import unavailable

KOREAN = "가로등 고장 접수: 261128-0000042 (중구)"


@pytest.fixture
def kannel_with_binary(tmp_path):
    if not KannelHarness.installed() or not Path(FAKESMSC).exists():
        unavailable("Kannel (bearerbox, smsbox) and kannel-extras' fakesmsc are not installed")
    harness = KannelHarness(tmp_path, mo_secret="binary-test-secret")
    harness.boxes.start()
    process = subprocess.Popen(
        [FAKESMSC, "-H", "127.0.0.1", "-r", str(harness.config.ports.fake_smsc), "-i", "0.1",
         "-m", "0", "-v", "0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(1.0)  # bearerbox marks the SMSC online a moment after it connects
    yield harness, process
    process.kill()
    process.communicate(timeout=10)
    harness.boxes.stop()
    harness.callback.stop()
    harness.carrier.stop()


def _read_mt(process, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        match = re.search(r"Got message \d+: <(\S+) (\S+) (\S+) (\S+)", line)
        if match:
            kind, data = match.group(3), match.group(4).rstrip(">")
            raw = unquote_to_bytes(data.replace("+", "%20"))
            return raw.decode("utf-16-be") if kind == "ucs-2" else raw.decode("utf-8")
    raise AssertionError("fakesmsc printed no message")


def test_korean_text_reaches_the_real_fakesmsc_intact(kannel_with_binary):
    harness, process = kannel_with_binary
    gateway = KannelGateway(harness.sendsms_url, harness.username, harness.password)
    result = gateway.send(to="+821012345678", text=KOREAN, sender="1899-0120",
                          reference="binary-1", report_url=None)
    assert result.accepted, result
    assert _read_mt(process) == KOREAN

