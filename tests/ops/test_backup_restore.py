"""The documented backup and restore procedure, run once end to end on real PostgreSQL."""

import os
import stat
import subprocess
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from dispatch.db import sqlalchemy_url
from tests.conftest import create_empty_database, drop_database
from tests.services import ROOT, checkout_database_name

NEW_HOST_URL = "postgresql://dasan:dasan@127.0.0.1:5432/dasan_new_host"


def _run(script: str, *args: str, env: dict) -> str:
    # umask 022, as in a login shell or cron: the script itself must protect what it writes.
    done = subprocess.run(["bash", "-c", 'umask 022; exec bash "$@"', "bash",
                           str(ROOT / "scripts" / script), *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_then_restore_into_a_new_database_keeps_complaints_and_photos(
        database_url, tmp_path):
    marker = f"backup-test-{uuid.uuid4()}"
    source = create_engine(sqlalchemy_url(database_url))
    with source.begin() as conn:
        conn.execute(text("INSERT INTO staff (username, display_name, role, password_hash, "
                          "language, active, on_duty) VALUES (:u, 'x', 'admin', 'x', 'ko', "
                          "true, false)"), {"u": marker})
    photos = tmp_path / "photos"
    (photos / "ab").mkdir(parents=True)
    (photos / "ab" / "abcdef.jpg").write_bytes(b"not really a jpeg")
    env = {**os.environ, "DASAN_DATABASE_URL": database_url, "DASAN_PHOTO_DIR": str(photos),
           "DASAN_SECRET_KEY": "test-secret-key-0123456789"}
    backup = tmp_path / "backup"
    restored_name = checkout_database_name() + "_restore"
    try:
        _run("backup.sh", str(backup), env=env)
        assert (backup / "database.dump").stat().st_size > 0
        restored_url = create_empty_database(restored_name)
        restored_photos = tmp_path / "restored-photos"
        _run("restore.sh", "--env-file", str(tmp_path / "dasan.env"), str(backup),
             env={**env, "DASAN_DATABASE_URL": restored_url,
                  "DASAN_PHOTO_DIR": str(restored_photos)})
        target = create_engine(sqlalchemy_url(restored_url))
        with target.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM staff WHERE username = :u"),
                                {"u": marker}).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM dongs")).scalar() == 425
        target.dispose()
        assert (restored_photos / "ab" / "abcdef.jpg").read_bytes() == b"not really a jpeg"
    finally:
        with source.begin() as conn:
            conn.execute(text("DELETE FROM staff WHERE username = :u"), {"u": marker})
        source.dispose()
        drop_database(restored_name)


def test_restore_refuses_a_damaged_backup(database_url, tmp_path):
    env = {**os.environ, "DASAN_DATABASE_URL": database_url,
           "DASAN_PHOTO_DIR": str(tmp_path / "p"), "DASAN_SECRET_KEY": "x" * 20}
    backup = tmp_path / "backup"
    _run("backup.sh", str(backup), env=env)
    with open(backup / "database.dump", "ab") as dump:
        dump.write(b"tampered")
    done = subprocess.run(["bash", str(ROOT / "scripts/restore.sh"), str(backup)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "checksum" in done.stderr
    assert Path(backup).exists()


def test_a_backup_is_readable_by_its_owner_only_and_keeps_the_secrets(database_url, tmp_path):
    env = {**os.environ, "DASAN_DATABASE_URL": database_url,
           "DASAN_PHOTO_DIR": str(tmp_path / "p"), "DASAN_SECRET_KEY": "the-old-hosts-secret-key",
           "DASAN_VAPID_PRIVATE_KEY": "old-private", "DASAN_VAPID_PUBLIC_KEY": "old-public"}
    backup = tmp_path / "backup"
    _run("backup.sh", str(backup), env=env)
    assert _mode(backup) == 0o700
    assert {p.name: _mode(p) for p in backup.iterdir()} == {
        name: 0o600 for name in ("database.dump", "photos.tar.gz", "secrets.env", "SHA256SUMS")}
    assert "DASAN_SECRET_KEY=the-old-hosts-secret-key" in (backup / "secrets.env").read_text()


def test_restore_puts_the_backups_secrets_into_the_settings_file(database_url, tmp_path):
    old_host = {**os.environ, "DASAN_DATABASE_URL": database_url,
                "DASAN_PHOTO_DIR": str(tmp_path / "p"),
                "DASAN_SECRET_KEY": "the-old-hosts-secret-key",
                "DASAN_VAPID_PRIVATE_KEY": "old-private", "DASAN_VAPID_PUBLIC_KEY": "old-public"}
    backup = tmp_path / "backup"
    _run("backup.sh", str(backup), env=old_host)
    # A new host: setup wrote its own settings file with a fresh secret.
    settings_file = tmp_path / "dasan.env"
    settings_file.write_text(f"DASAN_DATABASE_URL={NEW_HOST_URL}\n"
                             "DASAN_SECRET_KEY=a-fresh-secret-of-the-new-host\n")
    restored_name = checkout_database_name() + "_restore_secrets"
    new_host = {key: value for key, value in os.environ.items()
                if not key.startswith("DASAN_")}
    try:
        restored_url = create_empty_database(restored_name)
        _run("restore.sh", "--env-file", str(settings_file), str(backup),
             env={**new_host, "DASAN_DATABASE_URL": restored_url,
                  "DASAN_PHOTO_DIR": str(tmp_path / "restored")})
    finally:
        drop_database(restored_name)
    lines = set(settings_file.read_text().splitlines())
    assert lines == {f"DASAN_DATABASE_URL={NEW_HOST_URL}",
                     "DASAN_SECRET_KEY=the-old-hosts-secret-key",
                     "DASAN_VAPID_PRIVATE_KEY=old-private", "DASAN_VAPID_PUBLIC_KEY=old-public"}
    assert _mode(settings_file) == 0o600
    assert "a-fresh-secret" in (tmp_path / "dasan.env.before-restore").read_text()


def test_backups_into_a_folder_keep_only_the_newest_ones(database_url, tmp_path):
    env = {**os.environ, "DASAN_DATABASE_URL": database_url,
           "DASAN_PHOTO_DIR": str(tmp_path / "p"), "DASAN_SECRET_KEY": "x" * 20}
    folder = tmp_path / "backups"
    for old in ("20200101T000000Z", "20200102T000000Z", "20200103T000000Z", "keep-me"):
        (folder / old).mkdir(parents=True)
    out = _run("backup.sh", "--into", str(folder), "--keep", "2", env=env)
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 3 and names[0] == "20200103T000000Z" and names[2] == "keep-me", out
    assert _mode(folder) == 0o700 and _mode(folder / names[1]) == 0o700


def test_backup_refuses_a_retention_that_is_not_a_number(tmp_path):
    done = subprocess.run(["bash", str(ROOT / "scripts/backup.sh"), "--keep", "two"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "DASAN_SECRET_KEY": "x" * 20})
    assert done.returncode != 0 and "--keep must be a whole number" in done.stderr
