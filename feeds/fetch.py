"""Polite fetching of many URLs: bounded concurrency, a request rate cap and timeouts.

``http://``/``https://`` go through requests; ``file://`` reads a local file, so a
recorded feed (or a fixture) can stand in for the live service.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests

MAX_BODY_BYTES = 5 * 1024 * 1024


class FetchError(Exception):
    """A URL could not be read (timeout, refused, HTTP error, missing file)."""


@dataclass(frozen=True)
class FetchResult:
    """The body of one URL, or why there is none."""

    url: str
    body: bytes | None
    error: str | None = None


class _RateGate:
    """Spaces request starts at least ``1/rate`` seconds apart across threads."""

    def __init__(self, rate_per_s: float) -> None:
        self.interval = 1.0 / rate_per_s if rate_per_s > 0 else 0.0
        self.lock = threading.Lock()
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_at)
            self.next_at = start + self.interval
        if start > now:
            time.sleep(start - now)


def read_url(url: str, timeout_s: float, session: requests.Session | None = None) -> bytes:
    """Return the body of ``url`` (http, https or file).

    :raises FetchError: on any transport failure, HTTP status >= 400 or an oversized body.
    """
    parts = urlsplit(url)
    if parts.scheme == "file":
        try:
            return Path(unquote(parts.path)).read_bytes()
        except OSError as exc:
            raise FetchError(f"cannot read {parts.path}: {exc.strerror}") from exc
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"unsupported URL scheme {parts.scheme!r}")
    getter = session or requests
    try:
        # (connect, read) timeouts: a server that accepts but never answers is cut off.
        response = getter.get(url, timeout=(timeout_s, timeout_s), stream=True)
        with response:
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code}")
            body = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
    except requests.Timeout as exc:
        raise FetchError("timed out") from exc
    except requests.RequestException as exc:
        raise FetchError(f"request failed: {exc.__class__.__name__}") from exc
    except OSError as exc:  # read timeouts surface from urllib3 as socket errors
        raise FetchError(f"read failed: {exc.__class__.__name__}") from exc
    if len(body) > MAX_BODY_BYTES:
        raise FetchError("response too large")
    return body


BUDGET_SPENT = "not fetched: time budget spent"


def fetch_all(urls: Sequence[str], *, concurrency: int = 8, timeout_s: float = 10.0,
              rate_per_s: float = 20.0, budget_s: float | None = None) -> list[FetchResult]:
    """Fetch every URL with at most ``concurrency`` at once and ``rate_per_s`` starts a second.

    Results come back in the order of ``urls``; a failure is recorded, never raised.
    No request starts after ``budget_s`` seconds (so a job stays inside its timeout);
    those URLs get the error ``BUDGET_SPENT``.
    """
    deadline = None if budget_s is None else time.monotonic() + budget_s
    gate = _RateGate(rate_per_s)
    local = threading.local()
    sessions: list[requests.Session] = []

    def one(url: str) -> FetchResult:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            sessions.append(local.session)
        gate.wait()
        if deadline is not None and time.monotonic() > deadline:
            return FetchResult(url, None, BUDGET_SPENT)
        try:
            return FetchResult(url, read_url(url, timeout_s, local.session))
        except FetchError as exc:
            return FetchResult(url, None, str(exc))

    if not urls:
        return []
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(urls))),
                                thread_name_prefix="feed") as pool:
            return list(pool.map(one, urls))
    finally:
        for session in sessions:  # one keep-alive pool per thread, closed here
            session.close()
