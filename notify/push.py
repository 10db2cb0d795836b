"""Web Push (RFC 8030 + VAPID) to one browser subscription, via pywebpush.

Leaf library: the caller passes the subscription, the payload and the keys, and decides
what to do with the ``PushResult`` (retry, remove the subscription).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from pywebpush import WebPushException, webpush


@dataclass(frozen=True)
class PushResult:
    """``ok``; or ``gone`` (404/410: drop the subscription); or ``temporary`` (retry)."""

    ok: bool
    gone: bool = False
    temporary: bool = False
    status: int | None = None
    error: str | None = None


def payload(title: str, body: str, url: str, tag: str) -> dict:
    """Return the one payload shape the service worker understands: {title, body, url, tag}."""
    return {"title": title, "body": body, "url": url, "tag": tag}


def generate_vapid_keys() -> tuple[str, str]:
    """Return a new VAPID key pair as (private, public), both base64url without padding."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid

    vapid = Vapid()
    vapid.generate_keys()
    private_number = vapid.private_key.private_numbers().private_value
    private = base64.urlsafe_b64encode(private_number.to_bytes(32, "big")).rstrip(b"=")
    public = vapid.public_key.public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    return private.decode(), base64.urlsafe_b64encode(public).rstrip(b"=").decode()


def endpoint_allowed(endpoint: str, hosts: tuple[str, ...]) -> bool:
    """Whether a subscription's endpoint names an allowed push service (``*.host`` patterns).

    The worker posts to whatever a subscription names; without this, any member of staff
    could make it send requests to internal addresses. Plain http is allowed only to a
    loopback host that is itself listed (a local stand-in push service in tests).
    """
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    listed = any(host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
                 for pattern in (item.lower() for item in hosts))
    if parts.scheme == "https":
        return listed
    return parts.scheme == "http" and listed and host in ("127.0.0.1", "localhost", "::1")


def send_push(subscription: dict, message: dict, *, vapid_private_key: str,
              vapid_subject: str, timeout: float = 10.0, ttl: int = 3600) -> PushResult:
    """Encrypt ``message`` (aes128gcm) and post it to the subscription's push service."""
    endpoint = subscription.get("endpoint", "")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(endpoint))
    try:
        response = webpush(
            subscription_info=subscription,
            data=json.dumps(message, ensure_ascii=False),
            vapid_private_key=vapid_private_key,
            vapid_claims={"sub": vapid_subject, "aud": origin},
            ttl=ttl, timeout=timeout,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            return PushResult(ok=False, gone=True, status=status, error="subscription expired")
        temporary = status is None or status >= 500 or status == 429
        return PushResult(ok=False, temporary=temporary, status=status,
                          error=f"push service answered {status}")
    except (requests.RequestException, OSError) as exc:
        return PushResult(ok=False, temporary=True, error=f"push service unreachable: "
                          f"{exc.__class__.__name__}")
    except ValueError as exc:  # malformed keys in the subscription: it will never work
        return PushResult(ok=False, gone=True, error=f"bad subscription: {exc}")
    return PushResult(ok=True, status=getattr(response, "status_code", 201))
