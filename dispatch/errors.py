"""Domain errors: each has a stable machine ``code``, a user-safe message and optional details."""

from __future__ import annotations

from typing import Any


class DispatchError(Exception):
    """Base for failures a caller can act on; ``code`` is stable and machine-readable."""

    code = "dispatch_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DispatchError):
    """The thing asked for does not exist (or must not be revealed)."""

    code = "not_found"


class OutsideServiceArea(DispatchError):
    """A point lies farther from every area than the routing tolerance."""

    code = "outside_service_area"


class InvalidLocation(DispatchError):
    """Coordinates that are not a valid WGS84 point."""

    code = "invalid_location"


class UnknownCategory(DispatchError):
    """A category code that is not offered (or no longer active)."""

    code = "unknown_category"


class InvalidComplaint(DispatchError):
    """A complaint field the schema cannot check (language, channel, category attributes)."""

    code = "invalid_complaint"


class InvalidPhone(DispatchError):
    """A phone number that is neither a Korean number nor E.164."""

    code = "invalid_phone"


class IdempotencyKeyReused(DispatchError):
    """The same Idempotency-Key was sent with a different request body."""

    code = "idempotency_key_reused"


class InvalidTransition(DispatchError):
    """A status change the workflow does not allow from the current status."""

    code = "invalid_transition"


class AreasNotLoaded(DispatchError):
    """Routing was asked before any area layer was imported."""

    code = "areas_not_loaded"


class ImportFailed(DispatchError):
    """An area or data import could not be carried out; nothing was written."""

    code = "import_failed"


class Unauthorized(DispatchError):
    """No valid credentials: missing, unknown, expired or revoked token, or a wrong password."""

    code = "unauthorized"


class Forbidden(DispatchError):
    """Valid credentials, but this role or district may not do this."""

    code = "forbidden"


class InvalidStaff(DispatchError):
    """A staff record that breaks a rule (unknown role, missing district, weak password)."""

    code = "invalid_staff"


class PhoneBlocked(DispatchError):
    """The reporter's number was blocked by staff for abuse."""

    code = "phone_blocked"


class InvalidInboundSms(InvalidComplaint):
    """An incoming-text or delivery-report request without the fields Kannel always sends."""

    code = "invalid_inbound_sms"
