"""The documented backup and restore procedure, run once end to end on real PostgreSQL."""

import os
import subprocess
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from dispatch.db import sqlalchemy_url
from tests.conftest import create_empty_database, drop_database
from tests.services import ROOT, checkout_database_name


def _run(script: str, *args: str, env: dict) -> None:
    done = subprocess.run(["bash", str(ROOT / "scripts" / script), *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


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
        _run("restore.sh", str(backup), env={**env, "DASAN_DATABASE_URL": restored_url,
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
