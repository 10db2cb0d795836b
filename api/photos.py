"""Photos of a complaint: the reporter's and staff's evidence; uploading, listing, serving."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from geoalchemy2.shape import to_shape
from marshmallow import ValidationError
from sqlalchemy import select

from api.auth import bearer_token, citizen_or_staff, current_staff
from api.context import language, settings
from api.db import get_session
from api.limits import has_no_phone, intake_per_address, intake_per_phone, limiter, phone_key
from api.presenters import complaint_public, local_time
from api.schemas import ApiErrorSchema, IdempotencyHeaderSchema
from api.schemas_photos import (
    COMPLAINT_FORM_BODY,
    UPLOAD_REQUEST_BODY,
    CitizenTokenHeaderSchema,
    ComplaintFormSchema,
    ComplaintWithPhotosSchema,
    PhotoArgsSchema,
    PhotoListSchema,
)
from dispatch import photos
from dispatch.citizens import check_citizen_token, citizen_token
from dispatch.errors import InvalidLocation, NotFound, Unauthorized, UnsupportedMediaType
from dispatch.events import Actor
from dispatch.intake import ComplaintDraft, submit_complaint
from dispatch.models import Complaint, ComplaintPhoto, PhotoKind, Staff
from dispatch.storage import photo_store

blp = Blueprint("photos", __name__, url_prefix="/api/v1/complaints",
                description="Photos of a complaint: the reporter's, and staff's evidence. "
                "Served without EXIF, only to the reporter (X-Citizen-Token) and to staff "
                "who may see the complaint.")

UPLOAD_FIELDS = ("photos", "photo")


def _is_staff_request() -> bool:
    # Staff share office addresses; their uploads are bounded by login, not by address.
    return bearer_token() is not None


@dataclass(frozen=True)
class Viewer:
    """Who is asking: the reporter (token) or a member of staff."""

    staff: Staff | None

    @property
    def actor(self) -> Actor:
        """The actor recorded on events."""
        return Actor("staff", self.staff.id) if self.staff else Actor.citizen()


def find_complaint(public_id: str) -> Complaint:
    """Return the complaint with ``public_id`` or raise NotFound."""
    complaint = get_session().scalar(
        select(Complaint).where(Complaint.public_id == public_id[:32]))
    if complaint is None:
        raise NotFound(f"no complaint {public_id[:32]!r}")
    return complaint


def authorise(complaint: Complaint, citizen_token: str | None) -> Viewer:
    """Let in staff who may see the complaint, or its reporter with the token.

    :raises Unauthorized: neither a bearer token nor a citizen token.
    :raises Forbidden: staff of another district.
    :raises NotFound: a wrong citizen token (as if the complaint did not exist).
    """
    if bearer_token() is not None:
        staff = current_staff()
        photos.check_staff_may_see(staff, complaint)
        return Viewer(staff)
    if citizen_token:
        check_citizen_token(settings().secret_key, complaint.public_id, citizen_token)
        return Viewer(None)
    raise Unauthorized("send Authorization: Bearer <token> (staff) or "
                       "X-Citizen-Token: <token from intake> (reporter)")


def read_uploads() -> list[photos.Upload]:
    """Read the files of a multipart request, each up to the byte limit plus one byte.

    :raises UnsupportedMediaType: the request is not multipart/form-data.
    """
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("send the photos as multipart/form-data in the field "
                                   "'photos'")
    limit = settings().photo_max_bytes
    uploads = []
    for name in UPLOAD_FIELDS:
        for storage in request.files.getlist(name):
            # One byte more than allowed is enough to know a file is too large.
            data = storage.stream.read(limit + 1)
            if not data and not storage.filename:
                continue  # a browser's empty file input
            uploads.append(photos.Upload(data, storage.filename or ""))
    return uploads


def photo_view(photo: ComplaintPhoto, public_id: str, for_staff: bool) -> dict:
    """One photo as the API shows it, with signed URLs for <img src>."""
    config = settings()
    base = f"/api/v1/complaints/{public_id}/photos/{photo.id}"
    urls = {}
    for variant, key in (("full", "url"), ("thumb", "thumb_url")):
        expires, signature = photos.sign_photo(config.secret_key, photo.id, variant,
                                               config.photo_url_ttl_seconds)
        size = "size=thumb&" if variant == "thumb" else ""
        urls[key] = f"{base}?{size}expires={expires}&sig={signature}"
    view = {
        "id": photo.id, "kind": photo.kind, **urls, "content_type": photo.content_type,
        "width": photo.width, "height": photo.height, "size_bytes": photo.size_bytes,
        "uploaded_by": photo.uploaded_by,
        "created_at": local_time(photo.created_at, config.timezone),
    }
    if for_staff:
        point = to_shape(photo.location) if photo.location is not None else None
        view.update(
            taken_at=local_time(photo.taken_at, config.timezone),
            location={"type": "Point", "coordinates": [point.x, point.y]} if point else None,
            distance_m=photo.distance_m, flags=list(photo.flags or []))
    return view


def photo_list(rows: list[ComplaintPhoto], public_id: str, for_staff: bool) -> dict:
    """Photos plus the union of the evidence flags (staff only)."""
    flags = sorted({flag for row in rows if row.kind == PhotoKind.EVIDENCE.value
                    for flag in row.flags or []}) if for_staff else []
    return {"photos": [photo_view(row, public_id, for_staff) for row in rows], "flags": flags}


@blp.route("/<string:public_id>/photos")
class ComplaintPhotos(MethodView):
    @citizen_or_staff
    @blp.arguments(CitizenTokenHeaderSchema, location="headers")
    @blp.response(200, PhotoListSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden (another district)")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found (or wrong token)")
    def get(self, headers, public_id):
        """List the photos of a complaint

        For the reporter (`X-Citizen-Token`) and staff who may see the complaint. Staff
        also get each photo's EXIF position and time, its distance from the site, and
        flags.
        """
        complaint = find_complaint(public_id)
        viewer = authorise(complaint, headers["citizen_token"])
        rows = photos.list_photos(get_session(), complaint.id)
        return photo_list(rows, complaint.public_id, viewer.staff is not None)

    @citizen_or_staff
    @limiter.limit(intake_per_address, exempt_when=_is_staff_request)
    @blp.arguments(CitizenTokenHeaderSchema, location="headers")
    @blp.doc(requestBody=UPLOAD_REQUEST_BODY)
    @blp.response(201, PhotoListSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden (another district)")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found (or wrong token)")
    @blp.alt_response(409, schema=ApiErrorSchema, description="complaint_closed")
    @blp.alt_response(413, schema=ApiErrorSchema, description="payload_too_large")
    @blp.alt_response(415, schema=ApiErrorSchema, description=(
        "unsupported_media_type: not multipart, or a file that is no JPEG/PNG/WebP/HEIC"))
    @blp.alt_response(422, schema=ApiErrorSchema, description=(
        "corrupt_image, image_too_large (pixels), empty_file, too_many_photos, "
        "evidence_is_report_photo, report_is_evidence_photo; "
        "details.index names the refused file"))
    @blp.alt_response(429, schema=ApiErrorSchema, description=(
        "rate_limited: reporters' uploads share the intake limit per address"))
    def post(self, headers, public_id):
        """Attach photos to a complaint

        The reporter (`X-Citizen-Token`) attaches report photos; staff attach evidence
        photos. Multipart field `photos`, repeated. Each file is checked by decoding it,
        turned upright, shrunk, and stored as a JPEG without EXIF. All or nothing.
        """
        complaint = find_complaint(public_id)
        viewer = authorise(complaint, headers["citizen_token"])
        uploads = read_uploads()
        session = get_session()
        config = settings()
        kind = PhotoKind.EVIDENCE if viewer.staff else PhotoKind.REPORT
        # Decode and re-encode before taking any lock: it is the slow part, and workflow
        # moves on this complaint would wait for it.
        ready = photos.prepare_photos(config, uploads)
        # Lock and re-read before the checks: a close or a reassignment committed since the
        # complaint was read must be seen (the photo went onto a closed ticket otherwise).
        photos.lock_complaint(session, complaint)
        if viewer.staff:
            photos.check_may_add_evidence(viewer.staff, complaint)
        rows = photos.attach_photos(session, config, photo_store(config.photo_dir), complaint,
                                    ready, kind=kind, actor=viewer.actor)
        session.commit()
        return photo_list(rows, complaint.public_id, viewer.staff is not None), 201


@blp.route("/<string:public_id>/photos/<int:photo_id>")
class ComplaintPhotoById(MethodView):
    @citizen_or_staff
    @blp.arguments(PhotoArgsSchema, location="query")
    @blp.arguments(CitizenTokenHeaderSchema, location="headers")
    @blp.response(200, description="the image (JPEG, no EXIF)", content_type="image/jpeg")
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden (another district)")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    def get(self, args, headers, public_id, photo_id):
        """Show one photo (or its thumbnail)

        Allowed with a bearer token, the reporter's `X-Citizen-Token`, or the `expires` and
        `sig` of a signed URL from the photo list.
        """
        complaint = find_complaint(public_id)
        photo = photos.get_photo(get_session(), complaint.id, photo_id)
        config = settings()
        if not photos.signature_is_valid(config.secret_key, photo.id, args["size"],
                                         args["expires"], args["sig"]):
            authorise(complaint, headers["citizen_token"])
        key = photo.thumb_sha256 if args["size"] == "thumb" else photo.sha256
        data = photo_store(config.photo_dir).get(key)
        response = Response(data, mimetype=photo.content_type)
        response.headers["Cache-Control"] = "private, max-age=3600"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["Content-Disposition"] = (
            f'inline; filename="photo-{photo.id}{"-thumb" if args["size"] == "thumb" else ""}'
            '.jpg"')
        response.set_etag(key)
        return response.make_conditional(request)


@blp.route("/with-photos")
class ComplaintsWithPhotos(MethodView):
    @limiter.limit(intake_per_address)
    @limiter.limit(intake_per_phone, key_func=phone_key, exempt_when=has_no_phone)
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.doc(requestBody=COMPLAINT_FORM_BODY)
    @blp.response(201, ComplaintWithPhotosSchema)
    @blp.alt_response(413, schema=ApiErrorSchema, description="payload_too_large")
    @blp.alt_response(415, schema=ApiErrorSchema, description="unsupported_media_type")
    @blp.alt_response(422, schema=ApiErrorSchema, description=(
        "validation_error, invalid_location (no lon/lat and no photo with GPS), "
        "outside_service_area, unknown_category, invalid_phone, corrupt_image, "
        "image_too_large, empty_file, too_many_photos, idempotency_key_reused"))
    @blp.alt_response(429, schema=ApiErrorSchema, description="rate_limited (Retry-After)")
    def post(self, headers):
        """File a complaint with photos (multipart)

        The same complaint as `POST /api/v1/complaints`, as form fields plus 1 to 5
        photos in one request. Without `lon`/`lat` the position is taken from the first
        photo whose EXIF has GPS. Replays with the same `Idempotency-Key` create nothing.
        """
        uploads = read_uploads()
        try:
            form = ComplaintFormSchema().load(request.form.to_dict(flat=True))
        except ValidationError as exc:
            abort(422, messages={"form": exc.messages})
        config = settings()
        prepared = photos.prepare_photos(config, uploads)
        source = "form"
        lonlat = (form["lon"], form["lat"])
        if form["lon"] is None:
            source = "photo"
            lonlat = next((item.facts.lonlat for item in prepared if item.facts.lonlat), None)
            if lonlat is None:
                raise InvalidLocation("give lon and lat, or a photo whose EXIF has a GPS "
                                      "position", field="lon")
        reader_language = form["language"] or language()
        draft = ComplaintDraft(
            category=form["category"], lon=lonlat[0], lat=lonlat[1],
            description=form["description"], address=form["address"], phone=form["phone"],
            language=reader_language, language_sent=bool(form["language"]),
            channel=form["channel"], attributes=form["attributes"])
        session = get_session()
        result = submit_complaint(session, config, draft, client_ref=headers["idempotency_key"])
        if result.created:
            rows = photos.attach_photos(session, config, photo_store(config.photo_dir),
                                        result.complaint, prepared, kind=PhotoKind.REPORT,
                                        actor=Actor.citizen())
        else:
            # A replay: the first request stored complaint and photos in one transaction,
            # so answer with those and attach nothing (like the JSON intake's replay).
            rows = photos.list_photos(session, result.complaint.id, [PhotoKind.REPORT])
        session.commit()
        public_id = result.complaint.public_id
        body = complaint_public(result.complaint, reader_language, config.timezone)
        body["citizen_token"] = citizen_token(config.secret_key, public_id)
        body["language"] = result.complaint.reporter_language  # the reporter's own answer
        body["photos"] = [photo_view(row, public_id, for_staff=False) for row in rows]
        body["location_source"] = source
        return body, 201, {"Idempotent-Replayed": "false" if result.created else "true",
                           "Location": f"/api/v1/complaints/{public_id}"}
