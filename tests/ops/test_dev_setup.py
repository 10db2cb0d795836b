"""setup.sh's settings file: dev texts through Kannel and its fake SMSC when they are installed."""

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from tests.services import ROOT

FAKESMSC = Path("/usr/lib/kannel/test/fakesmsc")


def _checkout(tmp_path) -> Path:
    """A throw-away project folder: lib.sh finds its var/ next to its scripts/."""
    (tmp_path / "scripts").mkdir()
    for name in ("lib.sh", "sms_in.sh"):
        shutil.copy(ROOT / "scripts" / name, tmp_path / "scripts" / name)
    return tmp_path


def _load_env(folder: Path, path: str) -> str:
    """Run lib.sh's load_env with PATH ``path`` and no DASAN_* exported; return the file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASAN_")}
    env["PATH"] = path
    script = (f'source "{folder}/scripts/lib.sh"; load_env; '
              'echo "backend=${DASAN_SMS_BACKEND:-log}"')
    done = subprocess.run([shutil.which("bash"), "-c", script],
                          env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout + (folder / "var/dasan.env").read_text()


@pytest.mark.skipif(not FAKESMSC.exists() or not shutil.which("bearerbox"),
                    reason="Kannel (kannel, kannel-extras) is not installed")
def test_a_new_settings_file_texts_through_kannel_when_it_is_installed(tmp_path):
    folder = _checkout(tmp_path)
    written = _load_env(folder, os.environ["PATH"])
    assert "backend=kannel" in written and "\nDASAN_SMS_BACKEND=kannel\n" in written
    assert "DASAN_SECRET_KEY=" in written


def test_without_bearerbox_texts_are_only_logged(tmp_path):
    folder = _checkout(tmp_path)
    bare = tmp_path / "bin"  # the tools load_env uses, but no bearerbox
    bare.mkdir()
    for tool in ("cat", "dirname", "head", "mkdir", "od", "tr"):
        (bare / tool).symlink_to(shutil.which(tool))
    written = _load_env(folder, str(bare))
    assert "backend=log" in written and "DASAN_SMS_BACKEND" not in written


def test_an_existing_settings_file_is_never_rewritten(tmp_path):
    folder = _checkout(tmp_path)
    (folder / "var").mkdir()
    mine = "# the operator's\nDASAN_SECRET_KEY=keep-this-one-please\n"
    (folder / "var/dasan.env").write_text(mine)
    written = _load_env(folder, os.environ["PATH"])
    assert "backend=log" in written
    assert (folder / "var/dasan.env").read_text() == mine


def test_sms_in_writes_a_fakesmsc_line_with_utf8_data(tmp_path):
    folder = _checkout(tmp_path)
    mo = folder / "var/kannel/mo"
    mo.parent.mkdir(parents=True)
    os.mkfifo(mo)
    got = []
    reader = threading.Thread(target=lambda: got.append(mo.read_text()))
    reader.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASAN_")}
    done = subprocess.run(["bash", str(folder / "scripts/sms_in.sh"), "+821012345678",
                           "역삼1동 가로등"], env=env, capture_output=True, text=True, timeout=30)
    reader.join(10)
    assert done.returncode == 0, done.stderr
    assert got == ["+821012345678 120 data "
                   "%EC%97%AD%EC%82%BC1%EB%8F%99%20%EA%B0%80%EB%A1%9C%EB%93%B1\n"]
