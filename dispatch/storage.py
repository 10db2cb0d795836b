"""Content-addressed blob storage for photos: a small interface and its local-disk implementation.

A blob's key is the SHA-256 (hex) of its bytes, so writing the same bytes twice is a no-op,
two complaints may share a blob, and a file left behind by a request that rolled back is
harmless (``dispatch.photos.sweep_orphan_photos`` deletes such files later). An
S3-compatible store can replace ``LocalPhotoStore`` by implementing ``PhotoStore``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from dispatch.errors import NotFound

_KEY = re.compile(r"^[0-9a-f]{64}$")


def content_key(data: bytes) -> str:
    """Return the key of ``data``: its SHA-256 in lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def check_key(key: str) -> str:
    """Return ``key`` if it is a SHA-256 hex digest; refuse anything else (no path tricks).

    :raises ValueError: for any other string.
    """
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValueError(f"not a content key: {key!r}")
    return key


class PhotoStore(Protocol):
    """Where photo bytes live, addressed by their SHA-256."""

    def put(self, data: bytes) -> str:
        """Store ``data`` (atomically; nothing if already there) and return its key."""

    def get(self, key: str) -> bytes:
        """Return the bytes of ``key``; raise ``NotFound`` when absent."""

    def exists(self, key: str) -> bool:
        """Say whether ``key`` is stored."""

    def delete(self, key: str, older_than_seconds: float = 0.0) -> bool:
        """Remove ``key`` if present and last written more than ``older_than_seconds`` ago.

        Return whether it was removed; a blob written or refreshed since is kept.
        """

    def keys(self, older_than_seconds: float = 0.0) -> Iterator[str]:
        """Yield every stored key last written more than ``older_than_seconds`` ago."""


class LocalPhotoStore:
    """Files under ``root/ab/cd/<sha256>``; writes go to a temp file that is renamed into place."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """Return the file path of ``key`` (two fan-out levels keep folders small)."""
        check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its key; a crash mid-write leaves no partial file."""
        key = content_key(data)
        target = self.path(key)
        if target.exists():
            # Refresh the time so the orphan sweeper, which spares young files, cannot
            # delete a blob that a request still in flight is about to reference.
            try:
                os.utime(target)
                return key
            except FileNotFoundError:
                pass  # the sweeper took it in between: write it again below
        target.parent.mkdir(parents=True, exist_ok=True)
        # The temp file is in the target's folder so the rename is atomic (same file system).
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as temp:
                temp.write(data)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        """Return the bytes of ``key``.

        :raises NotFound: when no such blob is stored.
        """
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound("that photo file is missing") from exc

    def exists(self, key: str) -> bool:
        """Say whether ``key`` is stored."""
        return self.path(key).is_file()

    def delete(self, key: str, older_than_seconds: float = 0.0) -> bool:
        """Remove ``key`` if present and older than ``older_than_seconds``; say if it went.

        The file is first renamed aside (atomic) and its time checked there: a ``put`` that
        refreshed it just before shows in that time and the file is put back; a ``put``
        just after finds no file and writes a new one. Either way the blob a request
        goes on to reference survives.
        """
        target = self.path(key)
        aside = target.with_name(f".tmp-delete-{key}-{os.getpid()}-{time.monotonic_ns()}")
        try:
            os.rename(target, aside)
        except FileNotFoundError:
            return False
        if aside.stat().st_mtime > time.time() - older_than_seconds:
            os.replace(aside, target)  # refreshed meanwhile: same bytes, so replacing is safe
            return False
        aside.unlink(missing_ok=True)
        return True

    def keys(self, older_than_seconds: float = 0.0) -> Iterator[str]:
        """Yield keys of files older than ``older_than_seconds`` (temp files skipped)."""
        if not self.root.is_dir():
            return
        cutoff = time.time() - older_than_seconds
        for path in self.root.glob("??/??/*"):
            if _KEY.match(path.name) and path.stat().st_mtime <= cutoff:
                yield path.name

    def remove_stale_temp_files(self, older_than_seconds: float) -> int:
        """Delete temp files left by crashed writers; return how many went."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self.root.glob("??/??/.tmp-*"):
            if path.stat().st_mtime <= cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def photo_store(photo_dir: str) -> PhotoStore:
    """Return the store configured by ``DASAN_PHOTO_DIR``."""
    return LocalPhotoStore(photo_dir)
