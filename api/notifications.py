"""Staff views of the outbox, and staff Web Push subscriptions."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from api.auth import current_staff, staff_required
from api.context import settings
from api.db import get_session
from api.schemas import ApiErrorSchema
from api.schemas_notify import (
    NotificationSchema,
    PushSubscriptionSchema,
    PushSubscriptionStoredSchema,
    PushUnsubscribeSchema,
    VapidKeySchema,
)
from dispatch.errors import Forbidden, InvalidPushEndpoint, NotFound
from dispatch.models import Complaint, PushSubscription
from dispatch.notifications import notifications_of
from notify.phones import mask_phone
from notify.push import endpoint_allowed
from notify.sms import without_link_tokens

blp = Blueprint("notifications", __name__, url_prefix="/api/v1",
                description="What was sent to whom; staff push subscriptions.")


def _present(row) -> dict:
    recipient = row.recipient if row.channel == "push" else mask_phone(row.recipient)
    # The receipt of a report by text carries the reporter's status link and token; any
    # member of the district reads this list, and the token would let them act as the reporter.
    return {**{field: getattr(row, field) for field in NotificationSchema().fields},
            "recipient": recipient, "body": without_link_tokens(row.body)}


@blp.route("/complaints/<string:public_id>/notifications")
class ComplaintNotifications(MethodView):
    @blp.response(200, NotificationSchema(many=True))
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden (other district)")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    @staff_required()
    def get(self, public_id):
        """List the texts and pushes of a complaint, with their delivery state"""
        session = get_session()
        complaint = session.scalar(select(Complaint).where(
            Complaint.public_id == public_id[:32]))
        if complaint is None:
            raise NotFound(f"no complaint {public_id[:32]!r}")
        member = current_staff()
        if not member.is_city_wide and member.district_code != complaint.district_code:
            raise Forbidden("this complaint belongs to another district")
        return [_present(row) for row in notifications_of(session, complaint)]


@blp.route("/push-subscriptions")
class PushSubscriptions(MethodView):
    @blp.arguments(PushSubscriptionSchema)
    @blp.response(201, PushSubscriptionStoredSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(422, schema=ApiErrorSchema, description=(
        "validation_error (also keys that are not a P-256 point and a 16-byte secret), "
        "invalid_push_endpoint"))
    @staff_required()
    def post(self, data):
        """Subscribe this browser to web push for the logged-in member of staff"""
        if not endpoint_allowed(data["endpoint"], settings().push_hosts):
            raise InvalidPushEndpoint("this browser's push service is not one this server "
                                      "sends to (DASAN_PUSH_HOSTS)", field="endpoint")
        session = get_session()
        values = dict(staff_id=current_staff().id, endpoint=data["endpoint"],
                      p256dh=data["keys"]["p256dh"], auth=data["keys"]["auth"],
                      user_agent=(request.headers.get("User-Agent") or "")[:300] or None)
        # A browser re-subscribing (or changing hands) keeps one row per endpoint.
        stored = session.execute(insert(PushSubscription).values(**values).on_conflict_do_update(
            index_elements=[PushSubscription.endpoint],
            set_={k: values[k] for k in ("staff_id", "p256dh", "auth", "user_agent")})
            .returning(PushSubscription.id, PushSubscription.endpoint,
                       PushSubscription.created_at)).one()
        session.commit()
        return stored._asdict()

    @blp.arguments(PushUnsubscribeSchema)
    @blp.response(204)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @staff_required()
    def delete(self, data):
        """Remove this browser's subscription"""
        session = get_session()
        session.execute(delete(PushSubscription).where(
            PushSubscription.endpoint == data["endpoint"],
            PushSubscription.staff_id == current_staff().id))
        session.commit()


@blp.route("/push-subscriptions/vapid-public-key")
class VapidPublicKey(MethodView):
    @blp.response(200, VapidKeySchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found (push disabled)")
    def get(self):
        """Show the VAPID public key (the PWA's applicationServerKey)"""
        key = settings().vapid_public_key
        if not key:
            raise NotFound("web push is not configured on this server")
        return {"public_key": key}
