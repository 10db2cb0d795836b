"""Complaint intake and the public complaint view."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from api.context import language, settings
from api.db import get_session
from api.limits import has_no_phone, intake_per_address, intake_per_phone, limiter, phone_key
from api.presenters import complaint_public
from api.schemas import (
    ApiErrorSchema,
    ComplaintCreatedSchema,
    ComplaintCreateSchema,
    ComplaintSchema,
    IdempotencyHeaderSchema,
    LanguageArgsSchema,
)
from dispatch.citizens import citizen_token
from dispatch.errors import NotFound
from dispatch.intake import ComplaintDraft, IntakeResult, submit_complaint
from dispatch.models import Complaint

blp = Blueprint("complaints", __name__, url_prefix="/api/v1/complaints",
                description="File a complaint and follow it.")


@blp.route("")
class Complaints(MethodView):
    @limiter.limit(intake_per_address)
    @limiter.limit(intake_per_phone, key_func=phone_key, exempt_when=has_no_phone)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(ComplaintCreateSchema)
    @blp.response(201, ComplaintCreatedSchema)
    @blp.alt_response(422, schema=ApiErrorSchema, description=(
        "validation_error, outside_service_area (with the nearest district and distance), "
        "unknown_category, invalid_phone, invalid_location, idempotency_key_reused"))
    @blp.alt_response(400, schema=ApiErrorSchema, description="invalid_json")
    @blp.alt_response(429, schema=ApiErrorSchema, description="rate_limited (Retry-After)")
    def post(self, headers, data):
        """File a complaint

        The complaint is routed to the district that owns the point and returned with
        its public id and due time. Send an `Idempotency-Key` (a UUID made when the form
        opens): repeating the request returns the first answer and creates nothing.
        """
        config = settings()
        draft = draft_from(data, channel=data["channel"])
        session = get_session()
        result = submit_complaint(session, config, draft, client_ref=headers["idempotency_key"])
        session.commit()
        return created_answer(result, draft.language)


def draft_from(data: dict, *, channel: str) -> ComplaintDraft:
    """Turn a loaded ``ComplaintCreateSchema`` body into a draft (answers in its language)."""
    location = data["location"]["coordinates"]
    return ComplaintDraft(
        category=data["category"],
        lon=location[0],
        lat=location[1],
        description=data["description"],
        address=data["address"],
        phone=data["phone"],
        language=data["language"] or language(),
        # a language from the headers is negotiated, not sent: a retry may carry another
        language_sent=bool(data["language"]),
        channel=channel,
        attributes=data["attributes"],
    )


def created_answer(result: IntakeResult, reader_language: str):
    """The 201 answer to a filed complaint: public view, reporter token, replay header."""
    config = settings()
    body = complaint_public(result.complaint, reader_language, config.timezone)
    # Only the reporter learns the token: it is in this answer and nowhere else.
    body["citizen_token"] = citizen_token(config.secret_key, result.complaint.public_id)
    body["language"] = result.complaint.reporter_language  # the reporter's own answer
    return body, 201, {"Idempotent-Replayed": "false" if result.created else "true",
                       "Location": f"/api/v1/complaints/{result.complaint.public_id}"}


@blp.route("/<string:public_id>")
class ComplaintById(MethodView):
    @blp.arguments(LanguageArgsSchema, location="query")
    @blp.response(200, ComplaintSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    def get(self, _args, public_id):
        """Show a complaint (public view)"""
        complaint = get_session().scalar(
            select(Complaint).where(Complaint.public_id == public_id[:32]))
        if complaint is None:
            raise NotFound(f"no complaint {public_id[:32]!r}")
        return complaint_public(complaint, language(), settings().timezone)
