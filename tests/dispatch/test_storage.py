import hashlib
import os
import time

import pytest

from dispatch.errors import NotFound
from dispatch.storage import LocalPhotoStore, check_key, content_key


def test_put_returns_sha256_key_and_get_returns_bytes(tmp_path):
    store = LocalPhotoStore(tmp_path)
    key = store.put(b"picture bytes")
    assert key == hashlib.sha256(b"picture bytes").hexdigest() == content_key(b"picture bytes")
    assert store.exists(key) and store.get(key) == b"picture bytes"
    assert store.path(key) == tmp_path / key[:2] / key[2:4] / key


def test_put_same_bytes_twice_keeps_one_file_and_no_temp_files(tmp_path):
    store = LocalPhotoStore(tmp_path)
    assert store.put(b"x") == store.put(b"x")
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert [path.name for path in files] == [content_key(b"x")]


def test_put_again_refreshes_the_file_time(tmp_path):
    store = LocalPhotoStore(tmp_path)
    key = store.put(b"old")
    os.utime(store.path(key), (time.time() - 7200, time.time() - 7200))
    assert list(store.keys(older_than_seconds=3600)) == [key]
    store.put(b"old")
    assert list(store.keys(older_than_seconds=3600)) == []


def test_put_writes_the_file_again_when_it_vanishes_before_the_time_refresh(tmp_path,
                                                                            monkeypatch):
    store = LocalPhotoStore(tmp_path)
    key = store.put(b"swept meanwhile")
    refresh = os.utime

    def sweeper_deletes_first(path, *args, **kwargs):
        store.delete(key)  # the sweeper wins the race between exists() and utime()
        return refresh(path, *args, **kwargs)

    monkeypatch.setattr(os, "utime", sweeper_deletes_first)
    assert store.put(b"swept meanwhile") == key
    assert store.get(key) == b"swept meanwhile"


def test_delete_spares_a_blob_younger_than_asked_and_leaves_no_temp_file(tmp_path):
    store = LocalPhotoStore(tmp_path)
    key = store.put(b"refreshed by a replay")
    assert store.delete(key, older_than_seconds=3600) is False
    assert store.get(key) == b"refreshed by a replay"
    os.utime(store.path(key), (time.time() - 7200, time.time() - 7200))
    assert store.delete(key, older_than_seconds=3600) is True
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_get_of_missing_key_raises_not_found_and_delete_is_idempotent(tmp_path):
    store = LocalPhotoStore(tmp_path)
    key = store.put(b"gone soon")
    assert store.delete(key) is True
    assert store.delete(key) is False
    assert not store.exists(key)
    with pytest.raises(NotFound):
        store.get(key)


@pytest.mark.parametrize("key", ["../../etc/passwd", "A" * 64, "0" * 63, "", "0" * 64 + "/x"])
def test_keys_that_are_not_sha256_hex_are_refused(tmp_path, key):
    store = LocalPhotoStore(tmp_path)
    with pytest.raises(ValueError):
        store.path(key)
    with pytest.raises(ValueError):
        check_key(key)


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    store = LocalPhotoStore(tmp_path)

    def broken_replace(_src, _dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.put(b"never stored")
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_stale_temp_files_are_removed(tmp_path):
    store = LocalPhotoStore(tmp_path)
    key = store.put(b"kept")
    temp = store.path(key).parent / ".tmp-crashed"
    temp.write_bytes(b"half")
    assert store.remove_stale_temp_files(3600) == 0
    os.utime(temp, (time.time() - 7200, time.time() - 7200))
    assert store.remove_stale_temp_files(3600) == 1
    assert not temp.exists() and store.exists(key)
    assert list(store.keys()) == [key]
