"""Refusing text PostgreSQL cannot store, and JSON nested too deep to parse safely."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, ClientDisconnected, RequestTimeout

from dispatch.errors import InvalidJson, InvalidText

# NUL cannot be stored in PostgreSQL text; lone surrogates cannot be encoded as UTF-8.
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
MAX_JSON_DEPTH = 32


class UnsafeJson(ValueError):
    """JSON that parses but holds text we refuse, or nests deeper than we accept."""


class JsonTooDeep(UnsafeJson):
    """JSON nested deeper than ``MAX_JSON_DEPTH`` levels (or too deep to parse at all)."""


TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"


def _check(value: Any, depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        raise JsonTooDeep(TOO_DEEP)
    if isinstance(value, str):
        if _UNSAFE.search(value):
            raise UnsafeJson("text contains a NUL character or an unpaired surrogate")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)


def parse_json_text(text: str) -> Any:
    """Parse JSON carried inside a form field under the rules of the JSON body guard.

    Its escapes (``\\u0000``) hide from the guard that reads the raw request, and the
    standard parser meets deep nesting with a RecursionError (a 500), so it is parsed here.

    :raises InvalidText: nested deeper than ``MAX_JSON_DEPTH`` levels, however deep: the
        answer a JSON body nested too deep gets.
    :raises UnsafeJson: holds text PostgreSQL cannot store.
    :raises ValueError: not JSON at all.
    """
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise InvalidText(TOO_DEEP) from exc
    try:
        _check(value)
    except JsonTooDeep as exc:
        raise InvalidText(str(exc)) from exc
    return value


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, where nesting too deep for the parser is invalid JSON, not a crash."""

    def loads(self, s, **kwargs):
        """Parse; a RecursionError becomes a ValueError (so a 400, never a 500)."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise UnsafeJson("JSON nested too deeply") from exc


# Kannel's callbacks clean their own text (an SMS may carry any bytes) and must not be
# refused, or the gateway would retry them: they are left to api/sms.py.
_SELF_CLEANING_PREFIXES = ("/api/v1/sms/",)


def _reject_unsafe_input() -> None:
    if request.path.startswith(_SELF_CLEANING_PREFIXES):
        return
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        texts += [*request.form.keys(), *request.form.values(), *request.files.keys(),
                  *(upload.filename for upload in request.files.values())]
    if any(isinstance(text, str) and _UNSAFE.search(text) for text in texts):
        raise InvalidText("the request holds a NUL character or an unpaired surrogate")
    if request.is_json and request.content_length != 0:
        # Parsed once here and refused early: webargs would parse again with the standard
        # library, where deep nesting is a RecursionError (a 500) rather than bad input.
        try:
            body = request.get_json()
        except ClientDisconnected as exc:
            # The body stopped arriving (ReadTimeout below): 408, not "invalid JSON".
            raise RequestTimeout("the request body was not received in time") from exc
        except BadRequest as exc:
            raise InvalidJson("the request body is not valid JSON (or is nested too deeply)") \
                from exc
        try:
            _check(body)
        except UnsafeJson as exc:
            raise InvalidText(str(exc)) from exc


def init_app(app: Flask) -> None:
    """Install the JSON provider and the URL/form check."""
    app.json = SafeJSONProvider(app)
    app.before_request(_reject_unsafe_input)


class ReadTimeout:
    """WSGI middleware: a client that stalls while sending its request times out.

    gunicorn's gthread workers read the body in a worker thread with no timeout, so a few
    stalled uploads could hold every thread. The socket gets a timeout per request; a stall
    then raises TimeoutError, which the error handlers turn into 408.
    """

    def __init__(self, app, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    def __call__(self, environ, start_response):
        """Set the timeout on gunicorn's socket (absent under other servers) and go on."""
        sock = environ.get("gunicorn.socket")
        if sock is not None and self.seconds > 0:
            sock.settimeout(self.seconds)
        return self.app(environ, start_response)
