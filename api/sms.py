"""Kannel's callbacks: incoming texts (MO) and delivery reports (DLR)."""

from __future__ import annotations

import hmac

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from api.context import settings
from api.db import get_session
from api.schemas import ApiErrorSchema
from api.schemas_notify import DeliveryReportArgsSchema, IncomingSmsArgsSchema
from dispatch.errors import Forbidden
from dispatch.notifications import apply_delivery_report
from dispatch.queue import redis_connection
from dispatch.sms_inbound import receive_text
from notify.mo_text import incoming_text

blp = Blueprint("sms", __name__, url_prefix="/api/v1/sms",
                description="Callbacks of the SMS gateway (Kannel); not for browsers.")


def _require_gateway() -> None:
    """Only the allow-listed gateway addresses may call."""
    if request.remote_addr not in settings().sms_gateway_ips:
        raise Forbidden("this address may not call the SMS gateway callbacks")


@blp.route("/incoming")
class IncomingSms(MethodView):
    @blp.arguments(IncomingSmsArgsSchema, location="query")
    @blp.response(204)
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden (secret or address)")
    @blp.alt_response(422, schema=ApiErrorSchema, description="invalid_inbound_sms")
    def get(self, args):
        """Take an incoming text from Kannel (sms-service get-url)"""
        _require_gateway()
        config = settings()
        if not hmac.compare_digest(args["secret"].encode(),
                                   config.sms_mo_secret_value.encode()):
            raise Forbidden("wrong gateway secret")
        # The query's text read as UTF-8 is right only when Kannel says UTF-8: read its bytes
        # in the charset it names (a UCS-2 text it could not recode comes as UTF-16BE).
        text = args["text"]
        if args["charset"] is not None:
            text = incoming_text(request.query_string, args["charset"]) or ""
        session = get_session()
        receive_text(session, config, gateway_id=args["id"], sender=args["sender"],
                     receiver=args["receiver"], text=text,
                     redis=redis_connection(config.redis_url))
        session.commit()
        # Empty answer: with omit-empty Kannel sends nothing back to the citizen.
        return None


@blp.route("/reports/<int:notification_id>/<string:token>")
class DeliveryReport(MethodView):
    @blp.arguments(DeliveryReportArgsSchema, location="query")
    @blp.response(204)
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden (token or address)")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found (unknown id)")
    def get(self, args, notification_id, token):
        """Take a delivery report from Kannel (dlr-url)"""
        _require_gateway()
        session = get_session()
        apply_delivery_report(session, settings(), notification_id, token[:64], args["type"],
                              args["smsc_id"])
        session.commit()
        return None
