"""The reporter's secret: a token returned at intake to follow and act on the complaint."""

from __future__ import annotations

import hashlib
import hmac

from dispatch.errors import NotFound
from dispatch.tokens import same_secret


def citizen_token(secret_key: str, public_id: str) -> str:
    """Return the reporter's token for a complaint (an HMAC, so nothing needs storing).

    Replays of the intake request get the same token back.
    """
    digest = hmac.new(secret_key.encode(), f"citizen:{public_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def check_citizen_token(secret_key: str, public_id: str, token: str | None) -> None:
    """Accept the token of ``public_id`` or refuse as if the complaint did not exist.

    :raises NotFound: for a missing or wrong token (so a guess reveals nothing).
    """
    expected = citizen_token(secret_key, public_id)
    if not same_secret(expected, token):
        raise NotFound(f"no complaint {public_id!r} for this token")
