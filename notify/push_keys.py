"""Checking a browser's Web Push keys (RFC 8291) before they are stored."""

from __future__ import annotations

import base64
import binascii
import re

from cryptography.hazmat.primitives.asymmetric import ec

P256DH_BYTES = 65  # an uncompressed P-256 point: 0x04, then x and y of 32 bytes each
AUTH_BYTES = 16
# base64url as PushSubscription.toJSON() gives it; padding and the standard alphabet are
# taken too (pywebpush decodes both), anything else is not a key.
_BASE64 = re.compile(r"[A-Za-z0-9_\-+/]*={0,2}")


def _decoded(text: str, name: str, limit: int) -> bytes:
    if len(text) > limit or not _BASE64.fullmatch(text):
        raise ValueError(f"{name} is not base64url")
    bare = text.rstrip("=").replace("+", "-").replace("/", "_")
    try:
        return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except (binascii.Error, ValueError):
        raise ValueError(f"{name} is not base64url") from None


def check_p256dh(text: str) -> bytes:
    """Decode ``keys.p256dh``: an uncompressed point on P-256, else ValueError."""
    data = _decoded(text, "p256dh", 100)
    if len(data) != P256DH_BYTES or data[0] != 0x04:
        raise ValueError(f"p256dh must be an uncompressed P-256 point ({P256DH_BYTES} bytes "
                         "starting 0x04, base64url)")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data)
    except ValueError:
        raise ValueError("p256dh is not a point on the P-256 curve") from None
    return data


def check_auth(text: str) -> bytes:
    """Decode ``keys.auth``: a 16-byte secret, else ValueError."""
    data = _decoded(text, "auth", 40)
    if len(data) != AUTH_BYTES:
        raise ValueError(f"auth must be {AUTH_BYTES} bytes (base64url)")
    return data


def as_base64url(data: bytes) -> str:
    """Encode a key as browsers do: base64url without padding (how it is stored)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
