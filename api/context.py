"""Per-request plumbing: request ids, language and settings lookup, security headers."""

from __future__ import annotations

import re
import uuid

from flask import Flask, current_app, g, request

from dispatch.i18n import is_language, negotiate
from dispatch.logs import request_id_var
from dispatch.settings import Settings

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def settings() -> Settings:
    """Return the app's settings."""
    return current_app.extensions["dispatch.settings"]


def request_id() -> str:
    """Return the id of the current request (from X-Request-ID when it is sane)."""
    return g.get("request_id", "-")


def language() -> str:
    """Return the reader's language: ``?lang=``, else Accept-Language, else the default."""
    wanted = request.args.get("lang")
    if is_language(wanted):
        return wanted
    return negotiate(request.headers.get("Accept-Language"), settings().default_language)


def _start_request() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    # Log lines and jobs enqueued by this request carry its id.
    request_id_var.set(g.request_id)


def _finish_response(response):
    if response.status_code == 204:
        # No content, so no content type (flask-smorest's empty answers say JSON otherwise).
        response.headers.pop("Content-Type", None)
    response.headers["X-Request-ID"] = request_id()
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    """Register the request-id and header hooks."""
    app.before_request(_start_request)
    app.after_request(_finish_response)
