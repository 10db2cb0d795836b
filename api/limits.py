"""Rate limits (flask-limiter, counters in Redis): intake per address and per phone, login."""

from __future__ import annotations

import time

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from api.context import settings
from notify.phones import InvalidPhoneNumber, normalise_phone

# Counters live in Redis, so every gunicorn worker and host shares them. If Redis is
# down, swallow_errors lets requests through: filing a complaint matters more than
# limiting it for the few seconds Redis is away.
#
# No X-RateLimit-* headers on every answer: each costs a Redis round trip per limit per request
# (a quarter of intake's time under load). A refused request still gets Retry-After.
limiter = Limiter(key_func=get_remote_address, headers_enabled=False, swallow_errors=True,
                  key_prefix="dasan-limits", strategy="fixed-window")


def retry_after_seconds(default: int = 60) -> int:
    """Seconds until the limit that refused this request opens again (one Redis read)."""
    try:
        current = limiter.current_limit
        reset_at = current.reset_at if current is not None else None
    except Exception:  # noqa: BLE001 - Redis gone: any sensible wait will do
        return default
    return default if reset_at is None else max(1, int(reset_at - time.time()))


def intake_per_address() -> str:
    """The configured limit of complaints per client address."""
    return settings().rate_limit_intake_ip


def intake_per_phone() -> str:
    """The configured limit of complaints per reporter phone."""
    return settings().rate_limit_intake_phone


def login_limit() -> str:
    """The configured limit of login attempts."""
    return settings().rate_limit_login


def _json_field(name: str) -> str:
    # Intake with photos sends form fields: the phone limit must hold there too.
    if request.mimetype == "multipart/form-data":
        body = request.form
    else:
        body = request.get_json(silent=True)
    value = body.get(name) if hasattr(body, "get") else None
    return value if isinstance(value, str) else ""


def phone_key() -> str:
    """Rate-limit key of the reporter's phone: the number as stored (E.164).

    The number is normalised as intake will store it, so neither spacing nor digits of
    another script (full-width ０１０, Arabic-Indic ٠١٠: intake accepts them) make a new
    key; a number intake would refuse keys on its digits as given.
    """
    raw = _json_field("phone")
    try:
        return f"phone:{normalise_phone(raw)}"
    except InvalidPhoneNumber:
        return "phone:" + "".join(ch for ch in raw if ch.isdigit())[:32]


def has_no_phone() -> bool:
    """Exempt complaints without a phone from the per-phone limit."""
    return not any(ch.isdigit() for ch in _json_field("phone"))


def username_key() -> str:
    """Rate-limit key of a login's username."""
    return f"user:{_json_field('username').lower()[:64]}"
