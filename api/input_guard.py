"""Refusing requests we cannot read the same way everywhere, before any view sees them.

URLs and headers past our limits, compressed bodies, a body in a media type the route does not
take, text PostgreSQL cannot store, and JSON that is not UTF-8 or nests too deep: each gets one
status and one stable code on every route (Open311 renders them in its own error document).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from typing import Any

from flask import Flask, Request, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import (
    ClientDisconnected,
    RequestHeaderFieldsTooLarge,
    RequestTimeout,
    RequestURITooLarge,
    UnsupportedMediaType,
)

from api.auth import admits_citizens
from api.multipart import FilePartsFormDataParser
from dispatch.errors import InvalidJson, InvalidText

# NUL cannot be stored in PostgreSQL text; lone surrogates cannot be encoded as UTF-8.
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
MAX_JSON_DEPTH = 32
TOO_DEEP = f"the request body is nested too deeply (at most {MAX_JSON_DEPTH} levels)"
# Our own limits, answered in JSON (or Open311's document). gunicorn's limits
# (api/gunicorn_conf.py) sit above them, so its HTML error pages are only met far beyond.
MAX_URI_CHARS = 4096
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8190

JSON = "application/json"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# webargs locations -> the media types a body for them must have.
_LOCATION_TYPES = {"json": (JSON,), "form": FORM_TYPES, "files": ("multipart/form-data",)}
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class UnsafeJson(ValueError):
    """JSON that parses but holds text we refuse, or nests deeper than we accept."""


class JsonTooDeep(UnsafeJson):
    """JSON nested deeper than ``MAX_JSON_DEPTH`` levels (or too deep to parse at all)."""


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

    :raises InvalidJson: nested deeper than ``MAX_JSON_DEPTH`` levels, however deep: the
        answer a JSON body nested too deep gets.
    :raises UnsafeJson: holds text PostgreSQL cannot store.
    :raises ValueError: not JSON at all.
    """
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise InvalidJson(TOO_DEEP) from exc
    try:
        _check(value)
    except JsonTooDeep as exc:
        raise InvalidJson(TOO_DEEP) from exc
    return value


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, where nesting too deep for the parser is invalid JSON, not a crash."""

    def loads(self, s, **kwargs):
        """Parse; a RecursionError becomes a ValueError (so a 400, never a 500)."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise JsonTooDeep(TOO_DEEP) from exc


class DispatchRequest(Request):
    """Flask's request, with photo parts read as files and our invalid_json on bad JSON."""

    form_data_parser_class = FilePartsFormDataParser

    def on_json_loading_failed(self, e: ValueError | None):
        """Unparsable JSON -> 400 invalid_json (too deep says so), in our error shape."""
        if e is None:  # not a JSON request at all: werkzeug's 415
            return super().on_json_loading_failed(e)
        if isinstance(e, JsonTooDeep):
            raise InvalidJson(TOO_DEEP) from e
        raise InvalidJson("the request body is not valid JSON") from e


def body_media_types(*types: str, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """Declare the media types a plain Flask view takes as its body (flask-smorest views
    declare theirs with ``@blp.arguments``/``requestBody`` and need nothing more)."""

    def mark(view):
        view.body_media_types = {method: types for method in methods}
        return view

    return mark


def _smorest_media_types(view) -> tuple[str, ...] | None:
    # flask-smorest keeps what a view reads in ``_apidoc`` (it builds the OpenAPI document
    # from it): argument locations, and a requestBody given by hand (multipart uploads).
    doc = getattr(view, "_apidoc", None) or {}
    types: list[str] = []
    for parameter in doc.get("arguments", {}).get("parameters", []):
        types += _LOCATION_TYPES.get(parameter.get("in"), ())
    body = (doc.get("manual_doc") or {}).get("requestBody") or {}
    types += list(body.get("content", {}))
    return tuple(dict.fromkeys(types)) or None


def accepted_media_types(app: Flask, endpoint: str, method: str) -> tuple[str, ...] | None:
    """The media types a route's body may have; None for a route that reads no body."""
    cache = app.extensions.setdefault("dispatch.body_media_types", {})
    if (endpoint, method) not in cache:
        view = app.view_functions.get(endpoint)
        view_class = getattr(view, "view_class", None)
        handler = getattr(view_class, method.lower(), None) if view_class else view
        declared = getattr(view, "body_media_types", {}).get(method)
        cache[(endpoint, method)] = declared or (
            _smorest_media_types(handler) if handler is not None else None)
    return cache[(endpoint, method)]


def _has_body() -> bool:
    if request.content_length:
        return True
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _content_coding() -> str:
    return request.headers.get("Content-Encoding", "").strip().lower()


def _check_request_size() -> None:
    environ = request.environ
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
    if len(target) > MAX_URI_CHARS:
        raise RequestURITooLarge(f"the URL is longer than {MAX_URI_CHARS} characters; "
                                 "send fewer or shorter query parameters")
    fields = [(key, value) for key, value in environ.items()
              if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")]
    if len(fields) > MAX_HEADER_FIELDS:
        raise RequestHeaderFieldsTooLarge(
            f"the request has more than {MAX_HEADER_FIELDS} header fields")
    for key, value in fields:
        # Name, ": " and value, as on the wire (CRLF aside).
        if len(key) + 2 + len(str(value)) > MAX_HEADER_FIELD_BYTES:
            name = key.removeprefix("HTTP_").replace("_", "-").title()
            raise RequestHeaderFieldsTooLarge(
                f"the {name} header is longer than {MAX_HEADER_FIELD_BYTES} bytes")


def _check_content_coding() -> None:
    # We decode no compressed request bodies (RFC 7694: 415 with Accept-Encoding). Checked
    # before anything reads the body: its bytes are not JSON or form fields as they stand.
    if _has_body() and _content_coding() not in ("", "identity"):
        raise UnsupportedMediaType(
            f"request bodies are not accepted compressed (Content-Encoding: "
            f"{_content_coding()[:32]}); send the body uncompressed")


def check_body_type() -> None:
    """before_request, after the staff-role check: refuse a body the route cannot read (415).

    Who may call is answered first: staff views were checked just before, and a view that
    admits the reporter or staff answers 401 itself when neither credential was sent.
    """
    if not _has_body():
        return
    if (admits_citizens(request.endpoint, request.method)
            and not request.headers.get("Authorization")
            and not request.headers.get("X-Citizen-Token")):
        return
    accepted = _route_body_types()
    if not accepted:
        return
    if JSON in accepted and request.is_json:
        return
    if request.mimetype in accepted:
        return
    if accepted == (JSON,):
        wanted = "a JSON body; send Content-Type: application/json"
    elif set(accepted) == set(FORM_TYPES):
        wanted = ("form fields; send application/x-www-form-urlencoded or "
                  "multipart/form-data")
    else:
        wanted = "a body of type " + " or ".join(accepted)
    sent = request.mimetype or "no Content-Type"
    raise UnsupportedMediaType(f"this endpoint takes {wanted} (you sent {sent[:64]})")


# Kannel's callbacks clean their own text (an SMS may carry any bytes) and must not be
# refused, or the gateway would retry them: they are left to api/sms.py.
_SELF_CLEANING_PREFIXES = ("/api/v1/sms/",)


def _check_json_body() -> None:
    try:
        raw = request.get_data(cache=True)
        # Refused here, where Flask would accept them, because webargs reads the body again
        # as strict UTF-8: a BOM or UTF-16 would pass one parser and fail the other.
        if raw.startswith(codecs.BOM_UTF8):
            raise InvalidJson("the request body starts with a byte order mark (BOM); "
                              "send JSON as UTF-8 without one")
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidJson("the request body is not UTF-8; send JSON as UTF-8") from None
        # Parsed once here and refused early: webargs would parse again with the standard
        # library, where deep nesting is a RecursionError (a 500) rather than bad input.
        body = request.get_json()
    except ClientDisconnected as exc:
        # The body stopped arriving (ReadTimeout below): 408, not "invalid JSON".
        raise RequestTimeout("the request body was not received in time") from exc
    try:
        _check(body)
    except JsonTooDeep as exc:
        raise InvalidJson(str(exc)) from exc
    except UnsafeJson as exc:
        raise InvalidText(str(exc)) from exc


def _reject_unsafe_input() -> None:
    _check_request_size()
    _check_content_coding()
    if request.path.startswith(_SELF_CLEANING_PREFIXES):
        return
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype in FORM_TYPES:
        texts += [*request.form.keys(), *request.form.values(), *request.files.keys(),
                  *(upload.filename for upload in request.files.values())]
    if any(isinstance(text, str) and _UNSAFE.search(text) for text in texts):
        raise InvalidText("the request holds a NUL character or an unpaired surrogate")
    if request.is_json and request.content_length != 0 and _route_may_read_json():
        _check_json_body()


def _route_may_read_json() -> bool:
    # A route that declares its body types without JSON (a form-only intake, Open311 POST)
    # never parses this body: check_body_type answers 415 for it, as for a well-formed one.
    # Undeclared routes are parsed here, since a plain view may read JSON by hand.
    accepted = _route_body_types()
    return accepted is None or JSON in accepted


def _route_body_types() -> tuple[str, ...] | None:
    """The body types this request's route declares; None: unknown route, no body method,
    or a route that declares none."""
    if request.url_rule is None or request.method not in _BODY_METHODS:
        return None
    return accepted_media_types(current_app, request.endpoint, request.method)


def _advertise_identity(response):
    # A 415 for a compressed body says which coding we do take (RFC 7694).
    if response.status_code == 415 and _content_coding() not in ("", "identity"):
        response.headers["Accept-Encoding"] = "identity"
    return response


def init_app(app: Flask) -> None:
    """Install the request class, the JSON provider and the request checks."""
    app.request_class = DispatchRequest
    app.json = SafeJSONProvider(app)
    app.before_request(_reject_unsafe_input)
    app.after_request(_advertise_identity)


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
