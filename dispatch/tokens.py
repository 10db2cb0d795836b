"""Comparing secrets that arrive from outside (tokens, signatures) in constant time."""

from __future__ import annotations

import hmac


def same_secret(expected: str, given: str | None) -> bool:
    """Say whether ``given`` equals ``expected``, in time independent of where they differ.

    ``hmac.compare_digest`` refuses str with non-ASCII characters (TypeError: a 500 for a
    crafted header), so both sides are compared as UTF-8 bytes; lone surrogates, which
    no real token has, pass through ``surrogatepass`` and simply do not match.
    """
    if not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"),
                               given.encode("utf-8", "surrogatepass"))
