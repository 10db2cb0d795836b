"""Turning every failure into one JSON error shape, in one place."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus

import redis.exceptions
import sqlalchemy.exc
import sqlalchemy.orm.exc
from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from api.context import request_id
from api.input_guard import FORM_TYPES
from dispatch import errors as domain

log = logging.getLogger(__name__)

# One table from domain error to HTTP status; the first matching class wins.
HTTP_STATUS: list[tuple[type[domain.DispatchError], int]] = [
    (domain.NotFound, 404),
    (domain.Unauthorized, 401),
    (domain.Forbidden, 403),
    (domain.PhoneBlocked, 403),
    (domain.InvalidStaff, 422),
    (domain.LastAdmin, 409),
    (domain.InvalidPushEndpoint, 422),
    (domain.InvalidTransition, 409),
    (domain.StaleVersion, 412),
    (domain.VersionRequired, 428),
    (domain.EvidenceRequired, 422),
    (domain.InvalidOutcome, 422),
    (domain.InvalidMoveTarget, 422),
    (domain.OutsideServiceArea, 422),
    (domain.OutsideYourDistrict, 422),
    (domain.InvalidLocation, 422),
    (domain.UnknownCategory, 422),
    (domain.InvalidPhone, 422),
    (domain.InvalidComplaint, 422),
    (domain.InvalidText, 422),
    (domain.InvalidJson, 400),
    (domain.InvalidQuery, 400),
    (domain.InvalidIncident, 422),
    (domain.IdempotencyKeyReused, 422),
    (domain.AreasNotLoaded, 503),
    (domain.StreamsFull, 503),
    (domain.PhotoDecodersBusy, 503),
    (domain.PhotoTooLarge, 413),
    (domain.UnsupportedMediaType, 415),
    (domain.CorruptImage, 422),
    (domain.ImageTooLarge, 422),
    (domain.EmptyFile, 422),
    (domain.TooManyPhotos, 422),
    (domain.PhotoOfOtherKind, 422),
    (domain.ComplaintClosed, 409),
    (domain.AlreadyRated, 409),
]

# Stable codes for plain HTTP errors (routing, methods, sizes, validation).
HTTP_CODES = {
    400: "malformed_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "rate_limited",
    431: "request_header_fields_too_large",
    503: "service_unavailable",
}


def error_body(status: int, error: str, message: str | None = None, **extra) -> dict:
    """Build the error payload every endpoint uses."""
    body = {"code": status, "status": HTTPStatus(status).phrase, "error": error,
            "request_id": request_id()}
    if message:
        body["message"] = message
    body.update({key: value for key, value in extra.items() if value})
    return body


def handle_dispatch_error(err: domain.DispatchError):
    """Domain error -> JSON with its stable code; field errors also under ``errors``."""
    status = next((s for cls, s in HTTP_STATUS if isinstance(err, cls)), 422)
    details = dict(err.details)
    field = details.pop("field", None)
    # Under the location the request really used, as the schema errors of that route are.
    location = "form" if request.mimetype in FORM_TYPES else "json"
    errors = {location: {field: [err.message]}} if field else None
    response = jsonify(error_body(status, err.code, err.message, details=details, errors=errors))
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = "30"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="dasan"'
    return response


_DELEGATES = "dispatch.http_error_delegates"


def delegate_http_errors(app: Flask, path_prefix: str,
                         handler: Callable[[HTTPException], object]) -> None:
    """Let ``handler`` answer HTTP errors under ``path_prefix`` that reach the app.

    Routing errors (no such path, a method a path lacks) happen before any blueprint is
    chosen, so a blueprint's own handlers never see them: an API with its own error
    document (Open311) takes them here.
    """
    app.extensions.setdefault(_DELEGATES, []).append((path_prefix, handler))


def handle_http_exception(err: HTTPException):
    """Werkzeug/webargs HTTP errors -> the same JSON shape (or a delegate's, by path)."""
    for path_prefix, handler in current_app.extensions.get(_DELEGATES, []):
        if request.path.startswith(path_prefix):
            return handler(err)
    status = err.code or 500
    data = getattr(err, "data", None) or {}
    messages = data.get("messages")
    error = HTTP_CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
    message = data.get("message") or err.description
    if status == 400 and messages and "Invalid JSON body." in str(messages):
        error, message = "invalid_json", "the request body is not valid JSON"
    elif status == 422:
        message = "some fields are missing or invalid; see errors"
    response = jsonify(error_body(status, error, message, errors=messages))
    response.status_code = status
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    if status == 429 and "Retry-After" not in response.headers:
        from api.limits import retry_after_seconds

        response.headers["Retry-After"] = str(retry_after_seconds())
    if status == 405 and hasattr(err, "valid_methods") and err.valid_methods:
        response.headers["Allow"] = ", ".join(err.valid_methods)
    return response


# Two requests that changed the same rows at once: one lost (a deadlock, a serialization
# failure, a row lock it could not get). Nothing is wrong with the request; it may be sent
# again at once. Told apart from an outage, which answers 503.
RACE_PGCODES = {"40P01": "deadlock", "40001": "serialization_failure",
                "55P03": "lock_not_available"}


def conflict_retry(reason: str):
    """A request that lost a race with another change of the same record -> 409, send again."""
    log.warning("request %s lost a race (%s); answered 409", request_id(), reason)
    response = jsonify(error_body(409, "conflict_retry",
                                  "someone changed the same record at the same moment; "
                                  "reload it and try again"))
    response.status_code = 409
    response.headers["Retry-After"] = "1"
    return response


def handle_unavailable(err: Exception):
    """PostgreSQL or Redis unreachable -> 503 with Retry-After, never a 500 or a hang."""
    pgcode = getattr(getattr(err, "orig", None), "pgcode", None)
    if pgcode in RACE_PGCODES:
        return conflict_retry(RACE_PGCODES[pgcode])
    log.warning("dependency unavailable (request %s): %s %s", request_id(),
                err.__class__.__name__, pgcode or "")
    response = jsonify(error_body(503, "service_unavailable",
                                  "the service is briefly unavailable; try again shortly"))
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response


# Date/time values PostgreSQL refuses: 22007 invalid_datetime_format, 22008
# datetime_field_overflow, 22009 invalid_time_zone_displacement_value. Every parser checks
# for them first (dispatch/moments.py), so reaching one here means a check is missing.
# Only these are taken as bad input: other data errors of class 22 (division by zero, a
# numeric overflow, a string too long) come from our own arithmetic and casts as often
# as from a request, and stay 500s.
OUT_OF_RANGE_PGCODES = {"22007": "invalid_datetime_format", "22008": "datetime_field_overflow",
                        "22009": "invalid_time_zone_displacement_value"}


OUT_OF_RANGE_MESSAGE = "a date or time is outside the range that can be stored"


def out_of_range_reason(err: Exception) -> str | None:
    """Why PostgreSQL refused a date or time in ``err`` (logged at ERROR), or None.

    The client did send something wrong, but a validator should have said so with the
    field's name: the caller answers 4xx so the request is not a 500, and the traceback is
    logged as an error of ours so the missing check is found and fixed, not hidden.
    """
    reason = OUT_OF_RANGE_PGCODES.get(getattr(getattr(err, "orig", None), "pgcode", None))
    if reason:
        log.error("request %s reached PostgreSQL with a date it refuses (%s); answered "
                  "invalid_value, but a validator should have caught it", request_id(), reason,
                  exc_info=err)
    return reason


def handle_statement_error(err: sqlalchemy.exc.StatementError):
    """A value the database refuses -> 4xx: unstorable text 422, a far date 422, a lost
    race 409."""
    pgcode = getattr(err.orig, "pgcode", None)
    # 22P05 untranslatable_character (a \u0000 in JSONB), 22021 character_not_in_repertoire.
    if isinstance(err.orig, ValueError) or pgcode in ("22P05", "22021"):
        response = jsonify(error_body(422, "invalid_text",
                                      "a value holds characters that cannot be stored"))
        response.status_code = 422
        return response
    if out_of_range_reason(err):
        response = jsonify(error_body(422, "invalid_value", OUT_OF_RANGE_MESSAGE))
        response.status_code = 422
        return response
    # 23505 unique: a check passed, then a concurrent request made the same row (a username,
    # a key) before this one committed; sent again, the check sees it. Other integrity
    # errors are our bugs and stay 500s in the log.
    if pgcode == "23505":
        return conflict_retry("unique violation")
    return handle_unexpected(err)


def handle_stale_data(err: sqlalchemy.orm.exc.StaleDataError):
    """A versioned row changed by another request between our read and our write -> 409."""
    return conflict_retry(f"stale row: {err.__class__.__name__}")


def handle_client_timeout(err: TimeoutError):
    """A client stalled while sending its request -> 408, and the connection is closed."""
    response = jsonify(error_body(408, "request_timeout",
                                  "the request was not received in time; send it again"))
    response.status_code = 408
    response.headers["Connection"] = "close"
    return response


def handle_unexpected(err: Exception):
    """Anything else -> 500 without internals; the traceback goes to the log."""
    log.exception("unhandled error in request %s", request_id(), exc_info=err)
    response = jsonify(error_body(500, "internal_error",
                                  "something went wrong on our side; it has been logged"))
    response.status_code = 500
    return response


def init_app(app: Flask) -> None:
    """Register the handlers (after flask-smorest's, which they replace)."""
    app.register_error_handler(domain.DispatchError, handle_dispatch_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(sqlalchemy.exc.OperationalError, handle_unavailable)
    app.register_error_handler(sqlalchemy.exc.InterfaceError, handle_unavailable)
    app.register_error_handler(redis.exceptions.ConnectionError, handle_unavailable)
    app.register_error_handler(redis.exceptions.TimeoutError, handle_unavailable)
    app.register_error_handler(sqlalchemy.exc.StatementError, handle_statement_error)
    app.register_error_handler(sqlalchemy.orm.exc.StaleDataError, handle_stale_data)
    app.register_error_handler(TimeoutError, handle_client_timeout)
    app.register_error_handler(Exception, handle_unexpected)
