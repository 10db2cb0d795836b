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


class OutsideYourDistrict(DispatchError):
    """District staff filed for a spot in another district, which they could not follow up."""

    code = "outside_your_district"


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


class StreamsFull(DispatchError):
    """Every live-map stream this web process may hold is open; try again shortly."""

    code = "streams_full"


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


class WrongPassword(Forbidden):
    """A logged-in member of staff gave a wrong current password."""

    code = "wrong_password"


class LastAdmin(DispatchError):
    """The change would leave the service without an active admin."""

    code = "last_admin"


class InvalidPushEndpoint(DispatchError):
    """A push subscription naming an address that is not an allowed push service."""

    code = "invalid_push_endpoint"


class PhoneBlocked(DispatchError):
    """The reporter's number was blocked by staff for abuse."""

    code = "phone_blocked"


class InvalidIncident(DispatchError):
    """An incident that breaks a rule (geometry, detour, validity window, descriptions)."""

    code = "invalid_incident"


class TooManyVertices(InvalidIncident):
    """An incident area or detour with more vertices than a map needs (a huge echo)."""

    code = "too_many_vertices"


class StaleVersion(DispatchError):
    """The complaint changed since the caller read it (optimistic concurrency)."""

    code = "stale_version"


class VersionRequired(DispatchError):
    """A state change was sent without the version it was based on (If-Match)."""

    code = "version_required"


class EvidenceRequired(DispatchError):
    """Closing as resolved needs at least one evidence photo."""

    code = "evidence_required"


class InvalidOutcome(DispatchError):
    """An outcome code or note that does not fit the move."""

    code = "invalid_outcome"


class InvalidMoveTarget(DispatchError):
    """A move's target that is not one: whom to assign, where to transfer."""

    code = "invalid_move_target"


class InvalidAssignee(InvalidMoveTarget):
    """No such staff, or not an active inspector of the complaint's district."""

    code = "invalid_assignee"


class UnknownDistrict(InvalidMoveTarget):
    """A district code that names no district."""

    code = "unknown_district"


class AlreadyInDistrict(InvalidMoveTarget):
    """A transfer to the district the complaint is already in."""

    code = "already_in_district"


class PhotoRejected(DispatchError):
    """Base for an upload refused as a whole; nothing of the request is stored."""

    code = "photo_rejected"


class PhotoTooLarge(PhotoRejected):
    """A photo file larger than the configured byte limit."""

    code = "payload_too_large"


class UnsupportedMediaType(PhotoRejected):
    """Not a multipart upload, or a file that is no JPEG, PNG, WebP or HEIC image."""

    code = "unsupported_media_type"


class CorruptImage(PhotoRejected):
    """A file that claims an image format but does not decode (truncated or damaged)."""

    code = "corrupt_image"


class ImageTooLarge(PhotoRejected):
    """An image whose pixel count exceeds the limit (a decompression bomb, or just huge)."""

    code = "image_too_large"


class EmptyFile(PhotoRejected):
    """A file part with no bytes, or a request with no file at all."""

    code = "empty_file"


class TooManyPhotos(PhotoRejected):
    """More photos than one party may attach to one complaint."""

    code = "too_many_photos"


class PhotoOfOtherKind(PhotoRejected):
    """A photo whose pixels are already on the complaint as the other kind (report/evidence)."""

    code = "photo_of_other_kind"


class EvidenceIsReportPhoto(PhotoOfOtherKind):
    """Staff sent the reporter's own picture as evidence: it proves no visit."""

    code = "evidence_is_report_photo"


class ReportIsEvidencePhoto(PhotoOfOtherKind):
    """The reporter sent staff's evidence picture as their own report photo."""

    code = "report_is_evidence_photo"


class PhotoDecodersBusy(DispatchError):
    """Every photo decoding slot of this process stayed busy; the client should retry."""

    code = "photo_decoders_busy"


class ComplaintClosed(DispatchError):
    """The complaint is closed and takes no more photos."""

    code = "complaint_closed"


class InvalidText(DispatchError):
    """Text that cannot be stored: NUL characters or unpaired surrogates."""

    code = "invalid_text"


class InvalidJson(DispatchError):
    """A body that claims to be JSON but does not parse."""

    code = "invalid_json"


class InvalidInboundSms(InvalidComplaint):
    """An incoming-text or delivery-report request without the fields Kannel always sends."""

    code = "invalid_inbound_sms"


class InvalidApiKey(Forbidden):
    """An Open311 POST without an API key, or with an unknown or revoked one."""

    code = "invalid_api_key"


class AlreadyRated(DispatchError):
    """A second satisfaction rating for the same complaint."""

    code = "already_rated"


class InvalidQuery(DispatchError):
    """A query parameter that does not parse or breaks a limit (dates, window, paging)."""

    code = "invalid_query"
