"""Schemas of the notification endpoints: outbox rows, push subscriptions, Kannel callbacks."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from api.number_fields import DecimalInteger
from notify.push_keys import as_base64url, check_auth, check_p256dh


class NotificationSchema(Schema):
    """One outbox row as staff see it (the phone number masked)."""

    id = fields.Integer()
    channel = fields.String(metadata={"description": "sms or push"})
    template = fields.String()
    language = fields.String()
    recipient = fields.String(metadata={"description": "masked phone, or staff:<id>"})
    body = fields.String()
    state = fields.String(metadata={
        "description": "pending, sending, sent, delivered, failed, gone"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    provider_id = fields.String(allow_none=True)
    parts = fields.Integer(allow_none=True)
    dlr_status = fields.Integer(allow_none=True)
    hold_until = fields.DateTime(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


def _key_check(check):
    """A marshmallow validator from a ``notify.push_keys`` check (ValueError -> message)."""
    def validator(value: str) -> None:
        try:
            check(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    return validator


class PushKeysSchema(Schema):
    """The browser's keys from ``PushSubscription.toJSON()``."""

    # Keys that cannot work would be stored and then fail in the worker, on every push.
    p256dh = fields.String(required=True, validate=_key_check(check_p256dh), metadata={
        "description": "base64url of the uncompressed P-256 point (65 bytes, 0x04 first)"})
    auth = fields.String(required=True, validate=_key_check(check_auth), metadata={
        "description": "base64url of the 16-byte auth secret"})

    @post_load
    def _canonical(self, data: dict, **_kwargs) -> dict:
        # Stored as browsers send them (unpadded base64url), whichever form came in.
        return {"p256dh": as_base64url(check_p256dh(data["p256dh"])),
                "auth": as_base64url(check_auth(data["auth"]))}


class PushSubscriptionSchema(Schema):
    """``PushSubscription.toJSON()`` as the browser makes it."""

    class Meta:
        unknown = EXCLUDE

    endpoint = fields.String(required=True, validate=validate.Length(min=10, max=2000))
    keys = fields.Nested(PushKeysSchema, required=True)


class PushSubscriptionStoredSchema(Schema):
    """The subscription as stored (its keys are not echoed)."""

    id = fields.Integer()
    endpoint = fields.String()
    created_at = fields.DateTime()


class PushUnsubscribeSchema(Schema):
    """Which subscription to remove."""

    class Meta:
        unknown = EXCLUDE

    endpoint = fields.String(required=True, validate=validate.Length(min=10, max=2000))


class VapidKeySchema(Schema):
    """The key the PWA passes as ``applicationServerKey``."""

    public_key = fields.String()


class IncomingSmsArgsSchema(Schema):
    """What Kannel's sms-service get-url sends (``%p %P %a %I %C %c``), plus our secret."""

    class Meta:
        unknown = EXCLUDE

    secret = fields.String(load_default="", validate=validate.Length(max=200))
    # The id's and sender's lengths are checked once, by dispatch.sms_inbound (one code).
    sender = fields.String(data_key="from", load_default="")
    receiver = fields.String(data_key="to", load_default="", validate=validate.Length(max=64))
    text = fields.String(load_default="")
    id = fields.String(load_default="")
    # The text's charset and coding (``%C``, ``%c``): the text is read in that charset.
    charset = fields.String(load_default=None, validate=validate.Length(max=32))
    coding = fields.String(load_default=None, validate=validate.Length(max=8))


class DeliveryReportArgsSchema(Schema):
    """What Kannel's dlr-url carries: ``%d`` (type) and ``%F`` (the SMSC's message id)."""

    class Meta:
        unknown = EXCLUDE

    type = DecimalInteger(load_default=None, allow_none=True,
                          validate=validate.Range(min=0, max=255))
    smsc_id = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=200))
