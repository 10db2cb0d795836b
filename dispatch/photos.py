"""Complaint photos: check and re-encode uploads, read their EXIF facts, store, flag and list them.

The pipeline for each upload, all before anything is stored:

1. size limit in bytes (413), then Pillow identifies the format from the bytes themselves
   (never the file name or the declared content type) among JPEG, PNG, WebP and HEIC (415);
2. the pixel count from the header is checked before decoding (decompression bombs, 422);
3. GPS position and capture time are read from the EXIF;
4. the image is fully decoded (truncated or damaged files: 422), turned upright by its
   EXIF orientation, flattened to sRGB, shrunk to ``photo_max_side`` and re-encoded as a
   fresh JPEG with no metadata at all, plus a thumbnail.

The request is all or nothing: if one file fails, nothing of the request is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from geoalchemy2.shape import from_shape, to_shape
from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError
from shapely.geometry import Point
from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from dispatch.errors import (
    ComplaintClosed,
    CorruptImage,
    EmptyFile,
    Forbidden,
    ImageTooLarge,
    NotFound,
    PhotoTooLarge,
    TooManyPhotos,
    UnsupportedMediaType,
)
from dispatch.events import Actor, record_event
from dispatch.models import (
    Complaint,
    ComplaintPhoto,
    ComplaintStatus,
    PhotoFlag,
    PhotoKind,
    Staff,
)
from dispatch.settings import Settings
from dispatch.storage import PhotoStore
from geo.errors import InvalidGeometry
from geo.points import haversine_m, validate_lonlat

try:  # HEIC (iPhone photos) through pillow-heif's bundled libheif; optional.
    import pillow_heif

    # The opener registers the HEIF format with Pillow; it keeps libheif's own security
    # limits on and applies the image's orientation while decoding.
    pillow_heif.register_heif_opener()
    HEIC_SUPPORTED = True
except ImportError:  # pragma: no cover - the lock file installs it
    HEIC_SUPPORTED = False

ALLOWED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP") + (("HEIF",) if HEIC_SUPPORTED else ())
STORED_CONTENT_TYPE = "image/jpeg"
JPEG_QUALITY = 85
THUMB_QUALITY = 80
# Statuses in which a complaint takes no more photos (the workflow owns the full list).
# A duplicate stays open to photos: its reporter may still show what they saw.
CLOSED_STATUSES = frozenset({ComplaintStatus.RESOLVED, ComplaintStatus.UNFOUNDED,
                             ComplaintStatus.REFERRED, ComplaintStatus.CANCELLED})
# Camera clocks drift and are set by hand: a few minutes early is not "before the complaint".
CLOCK_GRACE = timedelta(minutes=5)
_EXIF_TIME = "%Y:%m:%d %H:%M:%S"


@dataclass(frozen=True)
class PhotoFacts:
    """What an upload says about itself: format, size, and EXIF position, time, orientation."""

    format: str
    width: int
    height: int
    lonlat: tuple[float, float] | None = None
    taken_at: datetime | None = None
    orientation: int | None = None


@dataclass(frozen=True)
class PhotoLimits:
    """The limits an upload must meet (from the settings)."""

    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_side: int = 2048
    thumb_side: int = 320

    @classmethod
    def from_settings(cls, settings: Settings) -> PhotoLimits:
        """Build the limits from ``DASAN_PHOTO_*`` settings."""
        return cls(settings.photo_max_bytes, settings.photo_max_pixels,
                   settings.photo_max_side, settings.photo_thumb_side)


@dataclass(frozen=True)
class ProcessedPhoto:
    """A checked upload: the clean JPEG, its thumbnail, and the facts read before cleaning."""

    image: bytes
    thumb: bytes
    width: int
    height: int
    facts: PhotoFacts
    original_bytes: int

    @property
    def sha256(self) -> str:
        """Content key of the clean image."""
        return hashlib.sha256(self.image).hexdigest()


@dataclass(frozen=True)
class Upload:
    """One file of a request: its bytes (read up to the limit + 1) and the client's name for it."""

    data: bytes
    filename: str = ""


# --- reading and cleaning one image (pure functions: no database, no settings) ---------


def _open(data: bytes, max_pixels: int | None) -> Image.Image:
    """Identify ``data`` as one of the allowed formats and check its pixel count."""
    if not data:
        raise EmptyFile("the file is empty")
    try:
        image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard (its global MAX_IMAGE_PIXELS) fired before ours could.
        raise ImageTooLarge(f"the image declares too many pixels; at most {max_pixels} are "
                            "accepted", max_pixels=max_pixels) from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedMediaType(
            "not a JPEG, PNG, WebP" + (" or HEIC" if HEIC_SUPPORTED else "") + " image",
            allowed=["image/jpeg", "image/png", "image/webp"]
            + (["image/heic"] if HEIC_SUPPORTED else [])) from exc
    except Exception as exc:  # noqa: BLE001 - Pillow's plugins raise many types on bad headers
        raise CorruptImage("the image header is damaged") from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise CorruptImage("the image has no pixels")
    if max_pixels is not None and width * height > max_pixels:
        raise ImageTooLarge(f"the image is {width}x{height} pixels; at most {max_pixels} "
                            "pixels are accepted", max_pixels=max_pixels)
    return image


def _rational(value) -> float:
    result = float(value)
    if not math.isfinite(result):
        raise ValueError("not a finite number")
    return result


def _degrees(dms, ref) -> float:
    if isinstance(dms, (tuple, list)):
        parts = [_rational(part) for part in dms] + [0.0, 0.0]
        value = parts[0] + parts[1] / 60 + parts[2] / 3600
    else:
        value = _rational(dms)
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    return -value if str(ref).strip().upper()[:1] in ("S", "W") else value


def _gps_lonlat(gps: dict) -> tuple[float, float] | None:
    try:
        lat = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef, "N"))
        lon = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef, "E"))
        lon, lat = validate_lonlat(lon, lat)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, InvalidGeometry):
        return None
    # Cameras without a fix often write 0/0; nobody reports a pothole in the Gulf of Guinea.
    if lon == 0.0 and lat == 0.0:
        return None
    return round(lon, 7), round(lat, 7)


def _exif_time(value, offset, assume_tz: str | None) -> datetime | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.strptime(value.strip("\x00 ")[:19], _EXIF_TIME)
    except ValueError:
        return None
    if isinstance(offset, bytes):
        offset = offset.decode("ascii", "ignore")
    if isinstance(offset, str) and offset.strip("\x00 "):
        try:
            return datetime.strptime(value.strip("\x00 ")[:19] + offset.strip("\x00 "),
                                     _EXIF_TIME + "%z")
        except ValueError:
            pass
    # No offset recorded: camera clocks show local time.
    return moment.replace(tzinfo=ZoneInfo(assume_tz)) if assume_tz else moment


def _gps_time(gps: dict) -> datetime | None:
    try:
        date = gps[ExifTags.GPS.GPSDateStamp]
        hours, minutes, seconds = (_rational(part) for part in gps[ExifTags.GPS.GPSTimeStamp])
        day = datetime.strptime(str(date).strip("\x00 "), "%Y:%m:%d").replace(tzinfo=UTC)
        return day + timedelta(hours=hours, minutes=minutes, seconds=int(seconds))
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def _facts_of(image: Image.Image, assume_tz: str | None) -> PhotoFacts:
    lonlat = taken_at = orientation = None
    try:
        exif = image.getexif()
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        details = exif.get_ifd(ExifTags.IFD.Exif)
        lonlat = _gps_lonlat(gps) if gps else None
        taken_at = (
            _exif_time(details.get(ExifTags.Base.DateTimeOriginal),
                       details.get(ExifTags.Base.OffsetTimeOriginal), assume_tz)
            or _exif_time(details.get(ExifTags.Base.DateTimeDigitized),
                          details.get(ExifTags.Base.OffsetTimeDigitized), assume_tz)
            or (_gps_time(gps) if gps else None))
        raw_orientation = exif.get(ExifTags.Base.Orientation)
        orientation = raw_orientation if isinstance(raw_orientation, int) else None
    except Exception:  # noqa: BLE001, S110 - damaged EXIF is no reason to refuse the picture
        pass
    width, height = image.size
    return PhotoFacts(image.format or "", width, height, lonlat, taken_at, orientation)


def read_photo_facts(data: bytes, *, assume_tz: str | None = None,
                     max_pixels: int | None = None) -> PhotoFacts:
    """Return format, size, GPS position and capture time of an image without decoding it.

    ``taken_at`` is timezone-aware when the EXIF gives an offset (or a GPS time, which is
    UTC); otherwise it is in ``assume_tz`` when given, else naive. ``lonlat`` is None when
    the EXIF has no usable fix. Intake and the PWA use it to take a position from a photo.

    :raises UnsupportedMediaType: not an allowed image format.
    :raises ImageTooLarge: more than ``max_pixels`` pixels.
    :raises EmptyFile, CorruptImage: for empty or unreadable data.
    """
    return _facts_of(_open(data, max_pixels), assume_tz)


def _flatten_to_srgb(image: Image.Image) -> Image.Image:
    """Return an RGB image: alpha composed on white, colour converted from its ICC profile."""
    icc = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba).convert("RGB")
    elif image.mode not in ("RGB", "CMYK"):
        image = image.convert("RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            image = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                              outputMode="RGB")
        except Exception:  # noqa: BLE001, S110 - a broken or mismatched profile: keep the pixels
            pass
    return image.convert("RGB") if image.mode != "RGB" else image


def _encode(image: Image.Image, quality: int) -> bytes:
    # A fresh image carries no info dict: no EXIF, XMP, comments or ICC can leak through.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    buffer = io.BytesIO()
    clean.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def process_photo(data: bytes, limits: PhotoLimits = PhotoLimits(), *,
                  assume_tz: str | None = None) -> ProcessedPhoto:
    """Check one upload and return its clean re-encoded JPEG, thumbnail and EXIF facts.

    :raises EmptyFile: no bytes.
    :raises PhotoTooLarge: more than ``limits.max_bytes`` bytes.
    :raises UnsupportedMediaType: not JPEG, PNG, WebP (or HEIC).
    :raises ImageTooLarge: more than ``limits.max_pixels`` pixels (decompression bombs).
    :raises CorruptImage: truncated or damaged image data.
    """
    if len(data) > limits.max_bytes:
        raise PhotoTooLarge(f"a photo may have at most {limits.max_bytes} bytes",
                            max_bytes=limits.max_bytes)
    image = _open(data, limits.max_pixels)
    facts = _facts_of(image, assume_tz)
    try:
        if image.format == "PNG":
            # PNG decoding skips chunk CRCs; verify() checks them, on a second reader.
            Image.open(io.BytesIO(data), formats=("PNG",)).verify()
        if image.format in ("JPEG", "MPO"):  # MPO: phones' multi-picture JPEG
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still covers the
            # target: less memory and time for very large photos.
            scale = limits.max_side / max(image.size)
            if scale < 1:
                image.draft(None, (math.ceil(image.width * scale),
                                   math.ceil(image.height * scale)))
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge("the image has too many pixels",
                            max_pixels=limits.max_pixels) from exc
    except Exception as exc:  # noqa: BLE001 - decoders raise OSError, SyntaxError, ValueError…
        raise CorruptImage("the image is truncated or damaged and cannot be decoded") from exc
    try:
        try:
            upright = ImageOps.exif_transpose(image)
        except Exception:  # noqa: BLE001 - damaged orientation tag: keep it as stored
            upright = image
        picture = _flatten_to_srgb(upright)
        picture.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS,
                          reducing_gap=3.0)
        thumb = picture.copy()
        thumb.thumbnail((limits.thumb_side, limits.thumb_side), Image.Resampling.LANCZOS)
        encoded, encoded_thumb = _encode(picture, JPEG_QUALITY), _encode(thumb, THUMB_QUALITY)
    except (OSError, ValueError) as exc:
        raise CorruptImage("the image cannot be converted") from exc
    return ProcessedPhoto(encoded, encoded_thumb, picture.width, picture.height, facts,
                          len(data))


# --- attaching photos to complaints --------------------------------------------------------


def flags_for(complaint: Complaint, facts: PhotoFacts, max_distance_m: float
              ) -> tuple[list[str], float | None]:
    """Return the flags of an evidence photo and its distance (m) from the complaint.

    Photos without GPS or capture time are not flagged: browsers often strip both.
    """
    flags: list[str] = []
    distance = None
    if facts.lonlat is not None:
        site = to_shape(complaint.location)
        distance = round(haversine_m(site.x, site.y, *facts.lonlat), 1)
        if distance > max_distance_m:
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
    # NO KEY UPDATE leaves the foreign-key share locks of inserts elsewhere unblocked.
    session.execute(select(Complaint.id).where(Complaint.id == complaint.id)
                    .with_for_update(key_share=True))
    existing = {row.sha256: row for row in session.scalars(
        select(ComplaintPhoto).where(ComplaintPhoto.complaint_id == complaint.id))}
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


# --- reading ----------------------------------------------------------------------------------


def count_evidence_photos(session: Session, complaint_id: int) -> int:
    """Return how many evidence photos a complaint has (``resolved`` needs at least one)."""
    return session.scalar(
        select(func.count()).select_from(ComplaintPhoto)
        .where(ComplaintPhoto.complaint_id == complaint_id,
               ComplaintPhoto.kind == PhotoKind.EVIDENCE.value)) or 0


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
    if not staff.is_city_wide and staff.district_code != complaint.district_code:
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
    return hmac.compare_digest(_signature(secret_key, photo_id, variant, expires), signature)


# --- housekeeping ---------------------------------------------------------------------------


def sweep_orphan_photos(session: Session, store: PhotoStore,
                        older_than_seconds: float = 3600.0, batch: int = 500) -> int:
    """Delete stored blobs no photo row refers to; return how many were deleted.

    Only blobs older than ``older_than_seconds`` are considered, so a request that has
    written its blobs but not yet committed its rows is never robbed. Safe to run twice.
    """
    removed = 0
    keys = list(store.keys(older_than_seconds))
    for start in range(0, len(keys), batch):
        chunk = keys[start:start + batch]
        used = set(session.scalars(union(
            select(ComplaintPhoto.sha256).where(ComplaintPhoto.sha256.in_(chunk)),
            select(ComplaintPhoto.thumb_sha256).where(ComplaintPhoto.thumb_sha256.in_(chunk)))))
        for key in chunk:
            if key not in used:
                store.delete(key)
                removed += 1
    cleaner = getattr(store, "remove_stale_temp_files", None)
    if cleaner is not None:
        cleaner(older_than_seconds)
    return removed
