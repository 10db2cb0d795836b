"""Complaint photos: attach checked uploads, flag evidence, list, sign URLs, sweep orphans.

Each upload goes through ``dispatch.imaging`` (checked by decoding, EXIF read, re-encoded
without metadata) before anything is stored; a request is all or nothing. Blobs live in a
content-addressed ``PhotoStore``; rows in ``complaint_photos``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from dispatch.errors import (
    ComplaintClosed,
    CorruptImage,
    EmptyFile,
    EvidenceIsReportPhoto,
    Forbidden,
    ImageTooLarge,
    NotFound,
    PhotoTooLarge,
    ReportIsEvidencePhoto,
    TooManyPhotos,
    UnsupportedMediaType,
)
from dispatch.events import Actor, record_event
from dispatch.imaging import (
    HEIC_SUPPORTED,
    STORED_CONTENT_TYPE,
    PhotoFacts,
    PhotoLimits,
    ProcessedPhoto,
    process_photo,
    read_photo_facts,
)
from dispatch.models import (
    Complaint,
    ComplaintPhoto,
    ComplaintStatus,
    PhotoFlag,
    PhotoKind,
    Staff,
)
from dispatch.settings import Settings
from dispatch.site import distance_from_site, known_site
from dispatch.storage import PhotoStore
from dispatch.tokens import same_secret

# Re-exported: intake and the PWA read a photo's position and time from here.
__all__ = ["HEIC_SUPPORTED", "PhotoFacts", "PhotoLimits", "ProcessedPhoto", "Upload",
           "attach_photos", "check_may_add_evidence", "count_evidence_photos", "lock_complaint",
           "process_photo", "read_photo_facts"]

# Statuses in which a complaint takes no more photos (the workflow owns the full list).
# A duplicate stays open to photos: its reporter may still show what they saw.
CLOSED_STATUSES = frozenset({ComplaintStatus.RESOLVED, ComplaintStatus.UNFOUNDED,
                             ComplaintStatus.REFERRED, ComplaintStatus.CANCELLED})
# Camera clocks drift and are set by hand: a few minutes early is not "before the complaint".
CLOCK_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Upload:
    """One file of a request: its bytes (read up to the limit + 1) and the client's name for it."""

    data: bytes
    filename: str = ""


# --- attaching photos to complaints --------------------------------------------------------


def flags_for(complaint: Complaint, facts: PhotoFacts, max_distance_m: float
              ) -> tuple[list[str], float | None]:
    """Return the flags of an evidence photo and its distance (m) from the complaint.

    Photos without GPS or capture time are not flagged: browsers often strip both. Nor is
    the distance of a complaint that knows only its dong (a report by text): its point is a
    stand-in inside the dong, not the spot.
    """
    flags: list[str] = []
    distance = None
    if facts.lonlat is not None:
        distance, far = distance_from_site(known_site(complaint), facts.lonlat, max_distance_m)
        if far:
            flags.append(PhotoFlag.FAR_FROM_SITE.value)
    taken_at = facts.taken_at
    if taken_at is not None and taken_at.tzinfo is not None and complaint.created_at:
        if taken_at < complaint.created_at - CLOCK_GRACE:
            flags.append(PhotoFlag.TAKEN_BEFORE_COMPLAINT.value)
    return flags, distance


def prepare_photos(settings: Settings, uploads: Sequence[Upload]) -> list[ProcessedPhoto]:
    """Check and clean every upload of a request before anything is stored.

    :raises EmptyFile: no upload, or an empty one.
    :raises TooManyPhotos: more uploads than ``photo_max_per_complaint``.
    :raises PhotoTooLarge, UnsupportedMediaType, ImageTooLarge, CorruptImage: a bad file
        (``details`` name its ``index`` and ``filename``).
    """
    limit = settings.photo_max_per_complaint
    if not uploads:
        raise EmptyFile("send at least one photo (multipart field 'photos')")
    if len(uploads) > limit:
        raise TooManyPhotos(f"at most {limit} photos per complaint", max_photos=limit)
    limits = PhotoLimits.from_settings(settings)
    prepared = []
    for index, upload in enumerate(uploads):
        try:
            prepared.append(process_photo(upload.data, limits, assume_tz=settings.timezone))
        except (EmptyFile, PhotoTooLarge, UnsupportedMediaType, ImageTooLarge,
                CorruptImage) as exc:
            # Say which file of the request was refused.
            exc.details.update(index=index, filename=upload.filename[:200] or None)
            raise
    return prepared


def attach_photos(
    session: Session,
    settings: Settings,
    store: PhotoStore,
    complaint: Complaint,
    uploads: Sequence[Upload | ProcessedPhoto],
    *,
    kind: PhotoKind,
    actor: Actor,
    now: datetime | None = None,
) -> list[ComplaintPhoto]:
    """Check, clean, store and record ``uploads`` on ``complaint``; return their rows.

    All or nothing: every upload is checked before any is stored (``uploads`` may also be
    the result of ``prepare_photos``). Sending a picture the complaint already has returns
    the stored row (offline replays are safe). Blobs are written before the rows are
    flushed; if the transaction then rolls back, the blobs are orphans that
    ``sweep_orphan_photos`` removes. Writes a ``photo_added`` event. Flushes; the caller
    commits.

    :raises ComplaintClosed: the complaint is closed.
    :raises EmptyFile: no upload, or an empty one.
    :raises TooManyPhotos: more than ``photo_max_per_complaint`` of this kind.
    :raises PhotoTooLarge, UnsupportedMediaType, ImageTooLarge, CorruptImage: a bad file
        (``details`` name its ``index`` and ``filename``).
    """
    limit = settings.photo_max_per_complaint
    if complaint.status in CLOSED_STATUSES:
        raise ComplaintClosed(f"complaint {complaint.public_id} is {complaint.status} and "
                              "takes no more photos", status=complaint.status)
    if all(isinstance(item, ProcessedPhoto) for item in uploads) and uploads:
        ready = list(uploads)
    else:
        ready = prepare_photos(settings, uploads)
    processed: dict[str, ProcessedPhoto] = {}
    order: list[str] = []
    for photo in ready:
        processed.setdefault(photo.sha256, photo)
        order.append(photo.sha256)

    # Serialise uploads to one complaint so two requests cannot both pass the count.
    lock_complaint(session, complaint)
    if complaint.status in CLOSED_STATUSES:  # closed since it was read
        raise ComplaintClosed(f"complaint {complaint.public_id} is {complaint.status} and "
                              "takes no more photos", status=complaint.status)
    existing = {row.sha256: row for row in session.scalars(
        select(ComplaintPhoto).where(ComplaintPhoto.complaint_id == complaint.id))}
    _refuse_other_kind(existing, order, kind)
    same_kind = sum(1 for row in existing.values() if row.kind == kind.value)
    new_keys = [key for key in processed if key not in existing]
    if same_kind + len(new_keys) > limit:
        raise TooManyPhotos(f"at most {limit} {kind.value} photos per complaint; "
                            f"{same_kind} already attached", max_photos=limit,
                            attached=same_kind)

    now = now or datetime.now(UTC)
    rows = dict(existing)
    for key in new_keys:
        photo = processed[key]
        store.put(photo.image)
        thumb_key = store.put(photo.thumb)
        flags, distance = flags_for(complaint, photo.facts, settings.photo_max_distance_m)
        row = ComplaintPhoto(
            complaint_id=complaint.id, kind=kind.value, sha256=key, thumb_sha256=thumb_key,
            content_type=STORED_CONTENT_TYPE, width=photo.width, height=photo.height,
            size_bytes=len(photo.image), original_format=photo.facts.format,
            original_bytes=photo.original_bytes, taken_at=photo.facts.taken_at,
            location=from_shape(Point(*photo.facts.lonlat), srid=4326)
            if photo.facts.lonlat else None,
            distance_m=distance,
            # Only evidence is judged against the site; a reporter's photo may be older.
            flags=flags if kind is PhotoKind.EVIDENCE else [],
            uploaded_by="staff" if actor.kind == "staff" else "citizen",
            staff_id=actor.id if actor.kind == "staff" else None, created_at=now)
        session.add(row)
        rows[key] = row
    session.flush()
    added = [rows[key] for key in new_keys]
    if added:
        flagged = sorted({flag for row in added for flag in row.flags})
        record_event(session, complaint, kind="photo_added", actor=actor, at=now,
                     data={"photo_ids": [row.id for row in added], "kind": kind.value,
                           "flags": flagged})
        session.flush()
    return [rows[key] for key in dict.fromkeys(order)]


def _refuse_other_kind(existing: dict[str, ComplaintPhoto], order: list[str],
                       kind: PhotoKind) -> None:
    """Refuse a picture the complaint already has as the other kind of photo.

    Sending a picture again returns its row only within one kind (an offline replay). Across
    kinds that would answer 201 while storing nothing: staff's "evidence" would be the
    reporter's own picture (proof of no visit, its new GPS and time dropped), or a reporter's
    "report photo" staff's evidence. Pixels decide, as for the replay: EXIF is not stored.

    :raises EvidenceIsReportPhoto, ReportIsEvidencePhoto: naming the upload's ``index``.
    """
    for index, key in enumerate(order):
        row = existing.get(key)
        if row is None or row.kind == kind.value:
            continue
        if kind is PhotoKind.EVIDENCE:
            raise EvidenceIsReportPhoto(
                "this picture is the reporter's own photo of the complaint; evidence must be "
                "a photo you took at the site", index=index, photo_id=row.id)
        raise ReportIsEvidencePhoto(
            "this picture is already attached to the complaint by staff", index=index)


# --- reading ----------------------------------------------------------------------------------


def lock_complaint(session: Session, complaint: Complaint) -> None:
    """Lock ``complaint`` (FOR NO KEY UPDATE) and re-read it, for checks that must hold.

    NO KEY UPDATE leaves the foreign-key share locks of inserts elsewhere unblocked.
    """
    session.scalars(select(Complaint).where(Complaint.id == complaint.id)
                    .with_for_update(key_share=True)
                    .execution_options(populate_existing=True)).all()


def count_evidence_photos(session: Session, complaint: Complaint) -> int:
    """Return the evidence photos of the current assignment (``resolved`` needs one).

    Only photos added since the complaint was last assigned count: after a reopen (or a
    hand-over) the photo of the earlier visit proves nothing about this one.
    """
    query = (select(func.count()).select_from(ComplaintPhoto)
             .where(ComplaintPhoto.complaint_id == complaint.id,
                    ComplaintPhoto.kind == PhotoKind.EVIDENCE.value))
    if complaint.assigned_at is not None:
        query = query.where(ComplaintPhoto.created_at >= complaint.assigned_at)
    return session.scalar(query) or 0


def check_may_add_evidence(staff: Staff, complaint: Complaint) -> None:
    """Let an inspector add evidence to their own assignment only; managers to any they see.

    :raises Forbidden: an inspector who is not the complaint's assignee (their photo would
        stand as proof of a visit they were not sent on).
    """
    check_staff_may_see(staff, complaint)
    if staff.role == "inspector" and complaint.assignee_id != staff.id:
        raise Forbidden("only the inspector assigned to this complaint may add evidence")


def list_photos(session: Session, complaint_id: int,
                kinds: Iterable[PhotoKind] | None = None) -> list[ComplaintPhoto]:
    """Return a complaint's photos, oldest first, optionally of some kinds only."""
    query = select(ComplaintPhoto).where(ComplaintPhoto.complaint_id == complaint_id)
    if kinds is not None:
        query = query.where(ComplaintPhoto.kind.in_([kind.value for kind in kinds]))
    return list(session.scalars(query.order_by(ComplaintPhoto.id)))


def complaint_photo_flags(session: Session, complaint_id: int) -> list[str]:
    """Return the distinct flags of a complaint's evidence photos (for the staff view)."""
    return sorted({flag for photo in list_photos(session, complaint_id, [PhotoKind.EVIDENCE])
                   for flag in photo.flags})


def photo_summary(session: Session, complaint: Complaint) -> dict:
    """Return ``{"report", "evidence", "evidence_this_visit", "flags"}`` for a staff view.

    ``evidence_this_visit`` counts what ``resolve`` accepts (added since the last
    assignment), so an app knows whether it must still ask for a photo.
    """
    rows = list_photos(session, complaint.id)
    evidence = [row for row in rows if row.kind == PhotoKind.EVIDENCE.value]
    since = complaint.assigned_at
    return {
        "report": sum(1 for row in rows if row.kind == PhotoKind.REPORT.value),
        "evidence": len(evidence),
        "evidence_this_visit": sum(1 for row in evidence
                                   if since is None or row.created_at >= since),
        "flags": sorted({flag for row in evidence for flag in row.flags or []}),
    }


def get_photo(session: Session, complaint_id: int, photo_id: int) -> ComplaintPhoto:
    """Return one photo of a complaint.

    :raises NotFound: no such photo on that complaint.
    """
    if not 0 < photo_id < 2**63:  # beyond BIGINT the database would fail, not answer
        raise NotFound(f"no photo {photo_id} on this complaint")
    photo = session.scalar(select(ComplaintPhoto).where(
        ComplaintPhoto.id == photo_id, ComplaintPhoto.complaint_id == complaint_id))
    if photo is None:
        raise NotFound(f"no photo {photo_id} on this complaint")
    return photo


def check_staff_may_see(staff: Staff, complaint: Complaint) -> None:
    """Let dispatchers and admins see every complaint, others only their district's.

    :raises Forbidden: an inspector or supervisor of another district.
    """
    from dispatch.workflow import may_see  # the one district rule

    if not may_see(staff, complaint):
        raise Forbidden("this complaint belongs to another district")


# --- signed URLs, for <img src> where no header can be sent ----------------------------


def _signature(secret_key: str, photo_id: int, variant: str, expires: int) -> str:
    message = f"photo:{photo_id}:{variant}:{expires}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def sign_photo(secret_key: str, photo_id: int, variant: str, ttl_seconds: int,
               now: datetime | None = None) -> tuple[int, str]:
    """Return ``(expires, signature)`` granting read access to one photo variant for a while."""
    now = now or datetime.now(UTC)
    # Round the expiry up to the minute so repeated listings give cacheable, equal URLs.
    expires = (int(now.timestamp()) + ttl_seconds + 59) // 60 * 60
    return expires, _signature(secret_key, photo_id, variant, expires)


def signature_is_valid(secret_key: str, photo_id: int, variant: str, expires: int | None,
                       signature: str | None, now: datetime | None = None) -> bool:
    """Say whether a signed URL's ``expires`` and ``signature`` grant this photo variant now."""
    if expires is None or not signature:
        return False
    now = now or datetime.now(UTC)
    if expires < now.timestamp():
        return False
    return same_secret(_signature(secret_key, photo_id, variant, expires), signature)


# --- housekeeping ---------------------------------------------------------------------------


def _keys_in_use(session: Session, keys: list[str]) -> set[str]:
    """Return those of ``keys`` that a committed photo row refers to (image or thumbnail)."""
    return set(session.scalars(union(
        select(ComplaintPhoto.sha256).where(ComplaintPhoto.sha256.in_(keys)),
        select(ComplaintPhoto.thumb_sha256).where(ComplaintPhoto.thumb_sha256.in_(keys)))))


def sweep_orphan_photos(session: Session, store: PhotoStore,
                        older_than_seconds: float = 3600.0, batch: int = 500) -> int:
    """Delete stored blobs no photo row refers to; return how many were deleted.

    Only blobs older than ``older_than_seconds`` are considered, so a request that has
    written its blobs but not yet committed its rows is never robbed; the age and the rows
    are checked again right before each deletion. Safe to run twice.
    """
    removed = 0
    keys = list(store.keys(older_than_seconds))
    for start in range(0, len(keys), batch):
        chunk = keys[start:start + batch]
        used = _keys_in_use(session, chunk)
        for key in chunk:
            # Checked again right before deleting: an old orphan uploaded again (an
            # offline replay hours later) may have been refreshed and committed since.
            if (key not in used and not _keys_in_use(session, [key])
                    and store.delete(key, older_than_seconds)):
                removed += 1
    cleaner = getattr(store, "remove_stale_temp_files", None)
    if cleaner is not None:
        cleaner(older_than_seconds)
    return removed
