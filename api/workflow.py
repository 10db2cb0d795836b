"""Working a complaint: the district queue, the staff view, the moves, duplicates, the timeline."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import citizen_or_staff, current_staff, staff_required
from api.context import language, settings
from api.db import get_session
from api.if_match import if_match_versions
from api.number_fields import DecimalFloat, DecimalInteger
from api.presenters import (
    category_named,
    complaint_public,
    complaint_staff,
    event_view,
    local_time,
    queue_item,
)
from api.schemas import ApiErrorSchema, ComplaintSchema, LanguageArgsSchema, PointSchema
from dispatch import queue_view, ratings, workflow
from dispatch.citizens import check_citizen_token
from dispatch.errors import Unauthorized
from dispatch.models import ComplaintStatus
from dispatch.photos import count_evidence_photos

blp = Blueprint("workflow", __name__, url_prefix="/api/v1",
                description="Queues, moves through the lifecycle, duplicates, timelines.")

CITIZEN_HEADER = "X-Citizen-Token"
STAFF_MOVES = ("accept", "assign", "release", "on_site", "resolve", "unfounded", "refer",
               "transfer")


def etag(version: int) -> dict:
    """Headers carrying the complaint's version."""
    return {"ETag": f'"{version}"'}


class MoveSchema(Schema):
    """Details of a move (which fields matter depends on the move)."""

    outcome = fields.String(validate=validate.Length(max=32),
                            metadata={"description": "closing moves: an outcome code"})
    public_note = fields.String(validate=validate.Length(max=2000),
                                metadata={"description": "shown to the reporter"})
    internal_note = fields.String(validate=validate.Length(max=2000),
                                  metadata={"description": "staff only"})
    location = fields.Nested(PointSchema, metadata={"description": "the actor's GPS"})
    assignee_id = DecimalInteger(validate=validate.Range(min=1, max=2**63 - 1),
                                 metadata={"description": "assign: the inspector"})
    district_code = fields.String(validate=validate.Length(max=16),
                                  metadata={"description": "transfer: the new district"})


class EventSchema(Schema):
    """One entry of the public timeline: a change of status, or an event naming itself."""

    at = fields.DateTime(metadata={"description": "ISO 8601 in DASAN_TIMEZONE"})
    kind = fields.String(metadata={"description": "received, dispatched, assigned, on_site, "
                                                  "photo_added, resolved, rated, …"})
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    public_note = fields.String(allow_none=True, metadata={"description": "shown to the reporter"})


class StaffEventSchema(EventSchema):
    """One entry of the staff history: the public entry plus who did it, and where."""

    internal_note = fields.String(allow_none=True, metadata={"description": "staff only"})
    actor_kind = fields.String(metadata={"description": "citizen, staff, system or gateway"})
    actor_id = fields.Integer(allow_none=True, metadata={"description": "the staff member"})
    data = fields.Dict(metadata={"description": "details of the kind (assignee, outcome, …)"})
    location = fields.Nested(PointSchema, allow_none=True, metadata={
        "description": "the actor's GPS when the move was sent with one"})
    distance_m = fields.Float(allow_none=True, metadata={
        "description": "metres between that position and the complaint's location"})
    flags = fields.List(fields.String(), metadata={
        "description": "far_from_site: an on_site event farther than "
                       "DASAN_PHOTO_MAX_DISTANCE_M from the spot"})


class StaffComplaintSchema(ComplaintSchema):
    """The staff view of a complaint: assignment, outcome, history, photos, phone if allowed."""

    assignee_id = fields.Integer(allow_none=True)
    outcome = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    parent = fields.String(allow_none=True)
    duplicates = fields.List(fields.String())
    reporter_phone = fields.String(allow_none=True)
    language = fields.String(metadata={"description": "the reporter's language"})
    location_precision = fields.String(metadata={
        "description": "point, or dong: a report by text names only its dong, and the "
                       "location is a stand-in point inside it"})
    photos = fields.Dict()
    overdue = fields.Boolean()
    history = fields.List(fields.Nested(StaffEventSchema))
    allowed_moves = fields.List(fields.String())


class QueueArgsSchema(LanguageArgsSchema):
    """Filters and order of a queue."""

    status = fields.List(fields.String(validate=validate.OneOf([s.value for s in
                                                                 ComplaintStatus])))
    category = fields.String(validate=validate.Length(max=64))
    dong = fields.String(validate=validate.Length(max=16))
    district = fields.String(validate=validate.Length(max=16))
    overdue = fields.Boolean()
    mine = fields.Boolean(load_default=False)
    sort = fields.String(load_default="due", validate=validate.OneOf(["due", "distance"]))
    lon = DecimalFloat(allow_nan=False, validate=validate.Range(min=-180, max=180))
    lat = DecimalFloat(allow_nan=False, validate=validate.Range(min=-90, max=90))
    limit = DecimalInteger(load_default=50, validate=validate.Range(min=1, max=200))
    offset = DecimalInteger(load_default=0, validate=validate.Range(min=0, max=100_000))


class QueueItemSchema(Schema):
    """One line of a queue."""

    public_id = fields.String()
    status = fields.String()
    category = fields.Dict()
    dong = fields.Dict()
    district_code = fields.String()
    address = fields.String()
    description = fields.String(allow_none=True, metadata={"description": "the reporter's words"})
    attributes = fields.Dict(metadata={
        "description": "the category's extra attributes, private ones (a vehicle plate) too: "
                       "a queue is for staff only"})
    location = fields.Dict()
    location_precision = fields.String(metadata={
        "description": "dong: only the dong is known (a report by text)"})
    due_at = fields.DateTime()
    overdue = fields.Boolean()
    priority = fields.Integer()
    assignee_id = fields.Integer(allow_none=True)
    distance_m = fields.Float(allow_none=True)
    version = fields.Integer()
    report_photos = fields.Integer(metadata={"description": "how many photos the reporter sent"})
    reporter_phone = fields.String(allow_none=True, metadata={
        "description": "only for the assignee and the district's supervisor (to call back)"})


class QueuePageSchema(Schema):
    """A page of a queue."""

    items = fields.List(fields.Nested(QueueItemSchema))
    total = fields.Integer()


class NearbyArgsSchema(LanguageArgsSchema):
    """Where to look for existing reports."""

    lon = DecimalFloat(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180))
    lat = DecimalFloat(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    category = fields.String(validate=validate.Length(max=64))
    radius = DecimalInteger(load_default=100, validate=validate.Range(min=1, max=1000))


class NearbySchema(Schema):
    """An open complaint near a point (public: no personal data)."""

    public_id = fields.String()
    status = fields.String()
    category = fields.Dict()
    distance_m = fields.Float()
    created_at = fields.DateTime()
    location = fields.Dict()


class LinkSchema(Schema):
    """The parent of a duplicate."""

    parent = fields.String(required=True, validate=validate.Length(min=1, max=32))


class PositionSchema(Schema):
    """Where an inspector is, and whether on duty."""

    location = fields.Nested(PointSchema, required=True)
    on_duty = fields.Boolean(load_default=True)


class SuggestionSchema(Schema):
    """A suggested inspector."""

    staff_id = fields.Integer()
    display_name = fields.String()
    open_assignments = fields.Integer()
    distance_m = fields.Float(allow_none=True, metadata={
        "description": "metres from the spot; null when not on duty (no recent position)"})
    on_duty = fields.Boolean(metadata={
        "description": "on duty with a position reported within DASAN_DUTY_FRESH_MINUTES"})
    suggested = fields.Boolean(metadata={
        "description": "one of the first on-duty inspectors of the ranking"})


class TimelineSchema(Schema):
    """The reporter's public timeline."""

    public_id = fields.String()
    status = fields.String()
    version = fields.Integer()
    events = fields.List(fields.Nested(EventSchema))
    rating = fields.Integer(allow_none=True, metadata={"description": "the reporter's 1-5 score"})
    ratable = fields.Boolean(metadata={"description": "whether the reporter may rate it now"})
    reopen_until = fields.DateTime(allow_none=True, metadata={
        "description": "until when the reporter may reopen it (null: not reopenable)"})


def _staff_answer(complaint, code: int = 200):
    config = settings()
    body = complaint_staff(complaint, current_staff(), language(), config.timezone,
                           max_distance_m=config.photo_max_distance_m)
    return body, code, etag(complaint.version)


def _lonlat(data: dict) -> tuple[float, float] | None:
    point = data.get("location")
    return tuple(point["coordinates"][:2]) if point else None


def _move(public_id: str, move: str, data: dict):
    session, staff = get_session(), current_staff()
    if move in ("accept", "assign"):
        workflow.lock_staff(session, [staff.id, data.get("assignee_id")])
        if not staff.active:  # disabled between the token check and the lock
            raise Unauthorized("this account is disabled", reason="disabled")
    complaint = workflow.load_for_staff(session, staff, public_id, lock=True)
    evidence = count_evidence_photos(session, complaint) if move == "resolve" else None
    workflow.apply_move(session, settings(), complaint, workflow.MoveRequest(
        move=move, version=if_match_versions(), outcome=data.get("outcome"),
        public_note=data.get("public_note"), internal_note=data.get("internal_note"),
        lonlat=_lonlat(data), assignee_id=data.get("assignee_id"),
        district_code=data.get("district_code")), staff, evidence_photos=evidence)
    session.commit()
    return _staff_answer(complaint)


# What a move's 422 may say besides validation_error (a bad field of the body).
_REFUSALS = {
    "assign": "invalid_assignee (not an active inspector of the complaint's district)",
    "transfer": "unknown_district, already_in_district, invalid_outcome (no reason given)",
    "resolve": "invalid_outcome (outcome or public note), evidence_required",
    "unfounded": "invalid_outcome (outcome or public note)",
    "refer": "invalid_outcome (outcome or public note)",
}


def _register_staff_move(move_name: str) -> None:
    roles = workflow.MOVES[move_name].roles
    path = move_name.replace("_", "-")
    refusals = ", ".join(["validation_error", *filter(None, [_REFUSALS.get(move_name)])])

    class StaffMove(MethodView):
        @blp.arguments(MoveSchema)
        @blp.response(200, StaffComplaintSchema)
        @blp.alt_response(400, schema=ApiErrorSchema,
                          description="malformed_request (an If-Match that cannot be read)")
        @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
        @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden")
        @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
        @blp.alt_response(409, schema=ApiErrorSchema, description="invalid_transition")
        @blp.alt_response(412, schema=ApiErrorSchema, description="stale_version")
        @blp.alt_response(422, schema=ApiErrorSchema, description=refusals)
        @blp.alt_response(428, schema=ApiErrorSchema, description="version_required")
        @staff_required(*roles)
        def post(self, data, public_id):
            return _move(public_id, move_name, data)

    StaffMove.post.__doc__ = f"Move a complaint: {move_name.replace('_', ' ')}\n\n" \
        f"Allowed for: {', '.join(roles)}. Send `If-Match` with the version you saw."
    StaffMove.__name__ = f"Complaint{path.title().replace('-', '')}"
    blp.route(f"/complaints/<string:public_id>/{path}", endpoint=f"move_{move_name}")(StaffMove)


for _move_name in STAFF_MOVES:
    _register_staff_move(_move_name)


def _citizen_move(public_id: str, move: str, data: dict):
    session = get_session()
    check_citizen_token(settings().secret_key, public_id[:32],
                        request.headers.get(CITIZEN_HEADER))
    complaint = workflow.load_for_citizen(session, public_id, lock=True)
    workflow.apply_move(session, settings(), complaint, workflow.MoveRequest(
        move=move, version=if_match_versions(), public_note=data.get("public_note")), None)
    session.commit()
    return complaint_public(complaint, language(), settings().timezone), 200, \
        etag(complaint.version)


class CitizenMoveSchema(Schema):
    """A reporter's reason (optional)."""

    public_note = fields.String(validate=validate.Length(max=2000))


@blp.route("/complaints/<string:public_id>/cancel")
class ComplaintCancel(MethodView):
    @blp.arguments(CitizenMoveSchema)
    @blp.response(200, ComplaintSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found (or wrong token)")
    @blp.alt_response(409, schema=ApiErrorSchema, description="invalid_transition")
    @blp.alt_response(412, schema=ApiErrorSchema, description="stale_version")
    def post(self, data, public_id):
        """Cancel my complaint (reporter, before an inspector takes it)

        Send the `X-Citizen-Token` returned at intake.
        """
        return _citizen_move(public_id, "cancel", data)


@blp.route("/complaints/<string:public_id>/reopen")
class ComplaintReopen(MethodView):
    @blp.arguments(CitizenMoveSchema)
    @blp.response(200, ComplaintSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found (or wrong token)")
    @blp.alt_response(409, schema=ApiErrorSchema, description="invalid_transition")
    @blp.alt_response(412, schema=ApiErrorSchema, description="stale_version")
    def post(self, data, public_id):
        """Reopen my complaint (reporter, within the reopen window after closure)"""
        return _citizen_move(public_id, "reopen", data)


@blp.route("/complaints/<string:public_id>/timeline")
class ComplaintTimeline(MethodView):
    @blp.arguments(LanguageArgsSchema, location="query")
    @blp.response(200, TimelineSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    @citizen_or_staff
    def get(self, _args, public_id):
        """The public timeline of a complaint (reporter with X-Citizen-Token, or staff)"""
        session = get_session()
        token = request.headers.get(CITIZEN_HEADER)
        if token:
            check_citizen_token(settings().secret_key, public_id[:32], token)
            complaint = workflow.load_for_citizen(session, public_id)
        else:
            staff = current_staff(optional=True)
            if staff is None:
                raise Unauthorized(f"send {CITIZEN_HEADER} (reporter) or a staff bearer token")
            complaint = workflow.load_for_staff(session, staff, public_id)
        timezone = settings().timezone
        rating = ratings.rating_of(session, complaint.id)
        return {"public_id": complaint.public_id, "status": complaint.status,
                "version": complaint.version,
                "events": [event_view(event, timezone, internal=False)
                           for event in complaint.events],
                "rating": rating,
                "ratable": rating is None and ratings.is_ratable(complaint),
                "reopen_until": local_time(workflow.reopen_deadline(settings(), complaint),
                                           timezone)}


class RatingSchema(Schema):
    """A satisfaction score from 1 (poor) to 5 (excellent)."""

    score = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))


class RatingAnswerSchema(Schema):
    """The stored rating."""

    public_id = fields.String()
    score = fields.Integer()


@blp.route("/complaints/<string:public_id>/rating")
class ComplaintRating(MethodView):
    @blp.arguments(RatingSchema)
    @blp.response(201, RatingAnswerSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found (or wrong token)")
    @blp.alt_response(409, schema=ApiErrorSchema,
                      description="already_rated, or invalid_transition when not closed")
    def post(self, data, public_id):
        """Rate how my complaint was handled (reporter, once, after it was closed)

        Send the `X-Citizen-Token` returned at intake.
        """
        session = get_session()
        check_citizen_token(settings().secret_key, public_id[:32],
                            request.headers.get(CITIZEN_HEADER))
        complaint = workflow.load_for_citizen(session, public_id, lock=True)
        ratings.record_rating(session, complaint, data["score"], at=datetime.now(UTC),
                              channel="web")
        session.commit()
        return {"public_id": complaint.public_id, "score": data["score"]}


@blp.route("/staff/complaints/<string:public_id>")
class StaffComplaintById(MethodView):
    @blp.arguments(LanguageArgsSchema, location="query")
    @blp.response(200, StaffComplaintSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found (or other district)")
    @staff_required()
    def get(self, _args, public_id):
        """Show a complaint to staff: history, assignment, photos; ETag is its version"""
        complaint = workflow.load_for_staff(get_session(), current_staff(), public_id)
        return _staff_answer(complaint)


@blp.route("/queue")
class Queue(MethodView):
    @blp.arguments(QueueArgsSchema, location="query")
    @blp.response(200, QueuePageSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden (other district)")
    @staff_required()
    def get(self, args):
        """The district queue (filters; sort by due time or by distance from lon/lat)"""
        staff = current_staff()
        filters = queue_view.QueueFilter.for_staff(staff, args)
        items, total = queue_view.list_queue(get_session(), filters)
        reader, timezone = language(), settings().timezone
        return {"total": total,
                "items": [queue_item(item, reader, timezone, staff) for item in items]}


@blp.route("/complaints/nearby")
class ComplaintsNearby(MethodView):
    @blp.arguments(NearbyArgsSchema, location="query")
    @blp.response(200, NearbySchema(many=True))
    def get(self, args):
        """Open complaints near a point ("is it this one?" before filing)"""
        rows = queue_view.nearby_open(get_session(), args["lon"], args["lat"],
                                      args.get("category"), args["radius"])
        reader, timezone = language(), settings().timezone
        return [{"public_id": row.public_id, "status": row.status,
                 "category": category_named(get_session(), row.category_code, reader),
                 "distance_m": round(row.distance_m, 1),
                 "created_at": local_time(row.created_at, timezone),
                 "location": {"type": "Point", "coordinates": [row.lon, row.lat]}}
                for row in rows]


@blp.route("/complaints/<string:public_id>/link-duplicate")
class ComplaintLinkDuplicate(MethodView):
    @blp.arguments(LinkSchema)
    @blp.response(200, StaffComplaintSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    @blp.alt_response(409, schema=ApiErrorSchema, description="invalid_transition")
    @blp.alt_response(412, schema=ApiErrorSchema, description="stale_version")
    @staff_required()
    def post(self, data, public_id):
        """Mark this complaint as a duplicate of another (send If-Match)"""
        session, staff = get_session(), current_staff()
        child = workflow.load_for_staff(session, staff, public_id, lock=True)
        parent = workflow.load_for_staff(session, staff, data["parent"], lock=True)
        workflow.link_duplicate(session, child, parent, staff, if_match_versions())
        session.commit()
        return _staff_answer(child)


@blp.route("/complaints/<string:public_id>/unlink-duplicate")
class ComplaintUnlinkDuplicate(MethodView):
    @blp.response(200, StaffComplaintSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    @blp.alt_response(409, schema=ApiErrorSchema, description="invalid_transition")
    @blp.alt_response(412, schema=ApiErrorSchema, description="stale_version")
    @staff_required()
    def post(self, public_id):
        """Undo a duplicate link: back to the district's queue (send If-Match)"""
        session, staff = get_session(), current_staff()
        child = workflow.load_for_staff(session, staff, public_id, lock=True)
        workflow.unlink_duplicate(session, child, staff, if_match_versions())
        session.commit()
        return _staff_answer(child)


@blp.route("/complaints/<string:public_id>/suggested-assignees")
class SuggestedAssignees(MethodView):
    @blp.response(200, SuggestionSchema(many=True))
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    @staff_required("supervisor", "dispatcher", "admin")
    def get(self, public_id):
        """Every active inspector of the district, those on duty first

        On duty: a position reported within `DASAN_DUTY_FRESH_MINUTES`; they are ranked by
        open assignments, then distance, and the first five are `suggested`. The others
        follow by open assignments, without a distance.
        """
        session = get_session()
        complaint = workflow.load_for_staff(session, current_staff(), public_id)
        return queue_view.suggest_assignees(session, complaint,
                                            fresh_minutes=settings().duty_fresh_minutes)


@blp.route("/staff/me/position")
class MyPosition(MethodView):
    @blp.arguments(PositionSchema)
    @blp.response(204)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @staff_required()
    def post(self, data):
        """Report my position and whether I am on duty (for assignment suggestions)"""
        session = get_session()
        queue_view.record_position(session, current_staff(),
                                   tuple(data["location"]["coordinates"][:2]), data["on_duty"])
        session.commit()
