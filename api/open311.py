"""Open311 GeoReport v2 under /open311/v2/: discovery, services, requests, tokens.

Plain Flask views (not flask-smorest): the spec fixes the paths, the ``.xml``/``.json``
suffix, the form-encoded POST and its own error document, none of which fit our JSON API.
Errors keep the project's one status table (``api.errors.HTTP_STATUS``) but are rendered
in the spec's shape; 422 becomes the spec's 400.
"""

from __future__ import annotations

import hashlib
import logging
from http import HTTPStatus

import sqlalchemy.exc
from flask import Blueprint, request
from werkzeug.exceptions import HTTPException

from api.context import language, request_id, settings
from api.db import get_session
from api.errors import HTTP_CODES, HTTP_STATUS, OUT_OF_RANGE_MESSAGE, out_of_range_reason
from api.input_guard import FORM_TYPES, body_media_types
from api.limits import limiter, retry_after_seconds
from api.open311_render import render, render_errors
from dispatch import open311, photos
from dispatch.errors import DispatchError, NotFound
from dispatch.events import Actor
from dispatch.intake import submit_complaint
from dispatch.models import PhotoKind
from dispatch.storage import photo_store

log = logging.getLogger(__name__)

blp = Blueprint("open311", __name__, url_prefix="/open311/v2")
FORMATS = ("xml", "json")
SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-29T00:00:00+09:00"  # bump when the services or fields change


def _fmt() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in FORMATS:
        return fmt
    # A path that matched no route has no view args: its suffix is all there is.
    return "json" if request.path.endswith(".json") else "xml"


@blp.before_request
def _check_format_and_jurisdiction() -> None:
    if (request.view_args or {}).get("fmt") not in FORMATS:
        raise NotFound("unknown format; use .xml or .json")
    # The spec: a parameter sent empty is as if it were not sent.
    wanted = request.values.get("jurisdiction_id", "").strip()
    if wanted and wanted != settings().open311_jurisdiction:
        raise NotFound(f"unknown jurisdiction_id {wanted[:64]!r}; "
                       f"this server answers for {settings().open311_jurisdiction}")


def _spec_status(status: int) -> int:
    # The spec knows 400 for every bad request; our validation errors are 422 elsewhere.
    return 400 if status == 422 else status


def handle_dispatch_error(err: DispatchError):
    """Domain error -> the spec's error document, status from the one table."""
    status = next((s for cls, s in HTTP_STATUS if isinstance(err, cls)), 422)
    status = _spec_status(status)
    return render_errors(_fmt(), status, f"{err.code}: {err.message}")


def handle_http_exception(err: HTTPException):
    """Werkzeug, routing and flask-limiter errors -> the spec's error document."""
    status = _spec_status(err.code or 500)
    code = HTTP_CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
    response = render_errors(_fmt(), status, f"{code}: {err.description}")
    if status == 429:
        response.headers["Retry-After"] = str(retry_after_seconds())
    if status == 405 and getattr(err, "valid_methods", None):
        response.headers["Allow"] = ", ".join(err.valid_methods)
    return response


def handle_unexpected(err: Exception):
    """Anything else -> 500 in the spec's shape; the traceback goes to the log."""
    log.exception("unhandled error in Open311 request %s", request_id(), exc_info=err)
    return render_errors(_fmt(), 500, "internal_error: something went wrong on our side")


def handle_statement_error(err: sqlalchemy.exc.StatementError):
    """A date PostgreSQL refuses -> 400 ``invalid_value`` (logged loudly); else a 500."""
    if out_of_range_reason(err):
        return render_errors(_fmt(), 400, f"invalid_value: {OUT_OF_RANGE_MESSAGE}")
    return handle_unexpected(err)


blp.register_error_handler(DispatchError, handle_dispatch_error)
blp.register_error_handler(HTTPException, handle_http_exception)
blp.register_error_handler(sqlalchemy.exc.StatementError, handle_statement_error)
blp.register_error_handler(Exception, handle_unexpected)


def _extensions() -> bool:
    return request.args.get("extensions", "").lower() == "true"


@blp.get("/discovery.<fmt>")
def discovery(fmt: str):
    """Discovery: where the endpoints are and what they speak."""
    config = settings()
    base = config.public_url.rstrip("/") + "/open311/v2/"
    return render(fmt, "discovery", {
        "changeset": CHANGESET,
        "contact": "Dasan Field Dispatch, Seoul (see the service's support page)",
        "key_service": "API keys are issued per client application by the operators",
        "endpoints": [{
            "specification": SPEC_URL,
            "url": base,
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    })


@blp.get("/services.<fmt>")
def services(fmt: str):
    """Service list: every active category."""
    return render(fmt, "services", open311.list_services(get_session(), language()))


@blp.get("/services/<code>.<fmt>")
def service_definition(code: str, fmt: str):
    """Service definition: a category's attributes."""
    definition = open311.service_definition(get_session(), code, language())
    return render(fmt, "service_definition", definition)


def _api_key_bucket() -> str:
    raw = request.form.get("api_key", "") if request.method == "POST" else ""
    return "open311:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def _no_key() -> bool:
    return request.method != "POST" or not request.form.get("api_key")


def _key_limit() -> str:
    return settings().rate_limit_open311_key


def _attributes() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for name in request.form:
        if name.startswith("attribute[") and name.endswith("]"):
            code = name[len("attribute["):-1]
            if code.endswith("]["):  # attribute[CODE][] (multivaluelist)
                code = code[:-2]
            values.setdefault(code[:64], []).extend(request.form.getlist(name))
    return values


def _uploads() -> list[photos.Upload]:
    limit = settings().photo_max_bytes
    uploads = []
    for storage in request.files.getlist("media"):
        data = storage.stream.read(limit + 1)
        if data or storage.filename:
            uploads.append(photos.Upload(data, storage.filename or ""))
    return uploads


def _service_notice(view: dict, duplicate: bool, phone_unusable: bool) -> str:
    """What a filed request's answer tells the client about it."""
    if duplicate:
        notice = "The same problem is already reported; this request follows that one"
    else:
        notice = (f"Sent to {view['agency_responsible']}; "
                  f"expected by {view['expected_datetime']}")
    if phone_unusable:
        notice += ". The phone number is not one we can text: no SMS updates will be sent"
    return notice


@blp.route("/requests.<fmt>", methods=["GET", "POST"])
@body_media_types(*FORM_TYPES)  # the spec's POST is form-encoded (multipart with media)
@limiter.limit(_key_limit, key_func=_api_key_bucket, exempt_when=_no_key)
def requests_(fmt: str):
    """Service requests: list them (GET) or file one (POST, with an api_key)."""
    config = settings()
    session = get_session()
    if request.method == "GET":
        query = open311.parse_query(request.args.to_dict(flat=False), config.timezone)
        complaints = open311.list_requests(session, query)
        views = open311.request_views(
            session, config, complaints, language(), extensions=_extensions(),
            photo_urls=open311.photo_urls(session, config, complaints))
        return render(fmt, "service_requests", views)
    app_key = open311.check_key(session, request.form.get("api_key"))
    client_ref = open311.replay_key(app_key, request.headers.get("Idempotency-Key"))
    draft = open311.submission_draft(session, config, request.form, _attributes(), language())
    uploads = _uploads()
    # Photos are checked before the complaint exists: a bad file files nothing.
    prepared = photos.prepare_photos(config, uploads) if uploads else []
    result = submit_complaint(session, config, draft, client_ref=client_ref)
    if prepared and result.created:  # a replay attaches nothing twice
        photos.attach_photos(session, config, photo_store(config.photo_dir), result.complaint,
                             prepared, kind=PhotoKind.REPORT, actor=Actor.citizen())
    session.commit()
    public_id = result.complaint.public_id
    view = open311.request_views(session, config, [result.complaint], language())[0]
    phone_unusable = bool(request.form.get("phone", "").strip()) and draft.phone is None
    notice = _service_notice(view, result.complaint.parent_id is not None, phone_unusable)
    # Services are realtime: the id is known at once, and the spec says a token is then
    # not returned (tokens/{token} still resolves the ids earlier answers gave as tokens).
    response = render(fmt, "service_requests", [{
        "service_request_id": public_id,
        "service_notice": notice,
    }], 201)
    if client_ref is not None:
        response.headers["Idempotent-Replayed"] = "false" if result.created else "true"
    return response


@blp.get("/requests/<request_id>.<fmt>")
def request_by_id(request_id: str, fmt: str):
    """One service request."""
    config = settings()
    session = get_session()
    complaint = open311.get_request(session, request_id)
    views = open311.request_views(session, config, [complaint], language(),
                                  extensions=_extensions(),
                                  photo_urls=open311.photo_urls(session, config, [complaint]))
    return render(fmt, "service_requests", views)


@blp.get("/tokens/<token>.<fmt>")
def token(token: str, fmt: str):
    """Service request id from a token."""
    complaint = open311.get_request(get_session(), token)
    return render(fmt, "service_requests", [{"service_request_id": complaint.public_id,
                                              "token": token}])
