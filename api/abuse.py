"""Staff manage the list of blocked phone numbers."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import current_staff, staff_required
from api.context import settings
from api.db import get_session
from api.presenters import local_time
from api.schemas import ApiErrorSchema
from dispatch import abuse

blp = Blueprint("blocked-phones", __name__, url_prefix="/api/v1/blocked-phones",
                description="Phone numbers blocked from filing complaints (abuse).")

MANAGERS = ("supervisor", "dispatcher", "admin")


class BlockSchema(Schema):
    """A number to block and why."""

    phone = fields.String(required=True, validate=validate.Length(min=1, max=32))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class BlockedPhoneSchema(Schema):
    """A blocked number."""

    phone = fields.String()
    reason = fields.String()
    blocked_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


def _view(row) -> dict:
    return {"phone": row.phone, "reason": row.reason, "blocked_by": row.blocked_by,
            "created_at": local_time(row.created_at, settings().timezone)}


@blp.route("")
class BlockedPhones(MethodView):
    @blp.response(200, BlockedPhoneSchema(many=True))
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden")
    @staff_required(*MANAGERS)
    def get(self):
        """List blocked phone numbers (a supervisor: those their district's office blocked)"""
        return [_view(row) for row in abuse.list_blocked(get_session(), current_staff())]

    @blp.arguments(BlockSchema)
    @blp.response(201, BlockedPhoneSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden")
    @blp.alt_response(422, schema=ApiErrorSchema, description="invalid_phone")
    @staff_required(*MANAGERS)
    def post(self, data):
        """Block a phone number"""
        session = get_session()
        row = abuse.block_phone(session, data["phone"], data["reason"], current_staff())
        session.commit()
        return _view(row)


@blp.route("/<string:phone>")
class BlockedPhoneByNumber(MethodView):
    @blp.response(204)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    @staff_required(*MANAGERS)
    def delete(self, phone):
        """Unblock a phone number"""
        session = get_session()
        abuse.unblock_phone(session, phone[:32], current_staff())
        session.commit()
