"""Checking and cleaning one uploaded image: identify, guard, read EXIF, decode, re-encode.

Pure functions (no database, no settings); ``dispatch.photos`` runs them on every upload:

1. size limit in bytes (413), then Pillow identifies the format from the bytes themselves
   (never the file name or the declared content type) among JPEG, PNG, WebP and HEIC (415);
2. the pixel count from the header is checked before decoding (decompression bombs, 422),
   with a lower limit for PNG and WebP, whose flat areas compress a thousandfold;
3. GPS position and capture time are read from the EXIF;
4. the image is fully decoded (truncated or damaged files: 422) while holding one of a few
   decoding slots per process (503 when none frees up), shrunk to the maximum side first
   (every later step then works on the small image), turned upright by its EXIF
   orientation, flattened to sRGB and re-encoded as a fresh JPEG with no metadata at all,
   plus a thumbnail.
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError

from dispatch.errors import (
    CorruptImage,
    EmptyFile,
    ImageTooLarge,
    PhotoDecodersBusy,
    PhotoTooLarge,
    UnsupportedMediaType,
)
from dispatch.moments import CAPTURE_START, moment_problem
from dispatch.settings import Settings
from geo.errors import InvalidGeometry
from geo.points import validate_lonlat

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
_EXIF_TIME = "%Y:%m:%d %H:%M:%S"
# Formats whose flat areas compress so well that a tiny file can declare many megapixels.
LOSSLESS_FORMATS = frozenset({"PNG", "WEBP"})


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
    max_lossless_pixels: int = 24_000_000
    max_decodes: int = 2
    decode_wait_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> PhotoLimits:
        """Build the limits from ``DASAN_PHOTO_*`` settings."""
        return cls(settings.photo_max_bytes, settings.photo_max_pixels,
                   settings.photo_max_side, settings.photo_thumb_side,
                   settings.photo_max_lossless_pixels, settings.photo_max_decodes)


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


def _check_lossless_pixels(image: Image.Image, max_lossless_pixels: int) -> None:
    """Refuse a PNG or WebP above its own, lower pixel limit (decoded whole, never in draft)."""
    width, height = image.size
    if image.format in LOSSLESS_FORMATS and width * height > max_lossless_pixels:
        raise ImageTooLarge(f"the {image.format} image is {width}x{height} pixels; at most "
                            f"{max_lossless_pixels} pixels are accepted for PNG and WebP",
                            max_pixels=max_lossless_pixels)


_decode_gates: dict[int, threading.BoundedSemaphore] = {}
_decode_gates_lock = threading.Lock()


@contextmanager
def decode_slot(max_decodes: int, wait_seconds: float) -> Iterator[None]:
    """Hold one of ``max_decodes`` decoding slots of this process while the block runs.

    Decoding is where memory peaks (about 4 bytes per pixel, several times over), so the
    number of decodes at once, not of requests, bounds a worker's memory.

    :raises PhotoDecodersBusy: no slot freed up within ``wait_seconds``.
    """
    with _decode_gates_lock:
        gate = _decode_gates.setdefault(max_decodes, threading.BoundedSemaphore(max_decodes))
    if not gate.acquire(timeout=wait_seconds):
        raise PhotoDecodersBusy("too many photos are being processed; try again shortly")
    try:
        yield
    finally:
        gate.release()


def _rational(value) -> float:
    result = float(value)
    if not math.isfinite(result):
        raise ValueError("not a finite number")
    return result


def _degrees(dms, ref) -> float:
    """Return signed decimal degrees from EXIF (degrees, minutes, seconds) and a N/S/E/W ref.

    Some writers store a negative degree value as well as an S or W ref; either makes the
    result negative, never both (which would flip it back north).
    """
    parts = [_rational(part) for part in (dms if isinstance(dms, (tuple, list)) else [dms])]
    if not 1 <= len(parts) <= 3:
        raise ValueError("degrees need one to three values")
    degrees, minutes, seconds = [*parts, 0.0, 0.0][:3]
    if abs(minutes) >= 60 or abs(seconds) >= 60:
        raise ValueError("minutes and seconds must be below 60")
    value = abs(degrees) + abs(minutes) / 60 + abs(seconds) / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    southern_or_western = str(ref).strip().upper()[:1] in ("S", "W")
    return -value if southern_or_western or degrees < 0 else value


def _gps_lonlat(gps: dict) -> tuple[float, float] | None:
    try:
        lat = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef, "N"))
        lon = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef, "E"))
        lon, lat = validate_lonlat(lon, lat)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError,
            InvalidGeometry):
        return None
    # Cameras without a fix often write 0/0; nobody reports a pothole in the Gulf of Guinea.
    if lon == 0.0 and lat == 0.0:
        return None
    return round(lon, 7), round(lat, 7)


# A capture time outside CAPTURE_START (1990) .. now + 1 day is a camera clock never set
# (1970, 0001), a typo or a forgery, and is dropped. Worse than useless: PostgreSQL stores
# some of them (0001 BC, year 10000) where psycopg2 cannot read them back, and offsets beyond
# ±15:59 it refuses outright, so one such photo broke every read of its complaint, or lost
# the report.
CAPTURE_CLOCK_AHEAD = timedelta(days=1)  # a phone clock running fast, or a zone mix-up


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


def _or_none(read, *args):
    """Return ``read(*args)``, or None when damaged EXIF makes it fail in any way."""
    try:
        return read(*args)
    except Exception:  # noqa: BLE001 - damaged EXIF is no reason to refuse the picture
        return None


def _plausible(moment: datetime | None) -> datetime | None:
    """``moment`` when a camera could have taken a photo then, else None."""
    if moment is None:
        return None
    latest = datetime.now(UTC) + CAPTURE_CLOCK_AHEAD
    return None if moment_problem(moment, CAPTURE_START, latest) else moment


def _taken_at(details: dict, gps: dict, assume_tz: str | None) -> datetime | None:
    return (
        _plausible(_exif_time(details.get(ExifTags.Base.DateTimeOriginal),
                              details.get(ExifTags.Base.OffsetTimeOriginal), assume_tz))
        or _plausible(_exif_time(details.get(ExifTags.Base.DateTimeDigitized),
                                 details.get(ExifTags.Base.OffsetTimeDigitized), assume_tz))
        or (_plausible(_gps_time(gps)) if gps else None))


def _facts_of(image: Image.Image, assume_tz: str | None) -> PhotoFacts:
    # Each fact is read on its own: a broken GPS block must not cost the capture time.
    exif = _or_none(image.getexif) or Image.Exif()
    gps = _or_none(exif.get_ifd, ExifTags.IFD.GPSInfo) or {}
    details = _or_none(exif.get_ifd, ExifTags.IFD.Exif) or {}
    lonlat = _or_none(_gps_lonlat, gps) if gps else None
    taken_at = _or_none(_taken_at, details, gps, assume_tz)
    raw_orientation = _or_none(exif.get, ExifTags.Base.Orientation)
    orientation = raw_orientation if isinstance(raw_orientation, int) else None
    width, height = image.size
    return PhotoFacts(image.format or "", width, height, lonlat, taken_at, orientation)


def read_photo_facts(data: bytes, *, assume_tz: str | None = None,
                     max_pixels: int | None = None) -> PhotoFacts:
    """Return format, size, GPS position and capture time of an image without decoding it.

    ``taken_at`` is timezone-aware when the EXIF gives an offset (or a GPS time, which is
    UTC); otherwise it is in ``assume_tz`` when given, else naive; None outside 1990-01-01 ..
    now + 1 day or with an offset PostgreSQL refuses. ``lonlat`` is None when
    the EXIF has no usable fix. Intake and the PWA use it to take a position from a photo.

    :raises UnsupportedMediaType: not an allowed image format.
    :raises ImageTooLarge: more than ``max_pixels`` pixels.
    :raises EmptyFile, CorruptImage: for empty or unreadable data.
    """
    return _facts_of(_open(data, max_pixels), assume_tz)


def _resamplable(image: Image.Image) -> Image.Image:
    """Return ``image`` in a mode that shrinks smoothly: 8-bit grey, RGB, RGBA or CMYK."""
    # A tRNS chunk makes one key colour (palette entries, a grey level or an RGB value)
    # transparent; as RGBA it is flattened on white like any other alpha.
    transparent_key = image.mode in ("P", "L", "RGB") and "transparency" in image.info
    if transparent_key or image.mode == "PA":
        return image.convert("RGBA")
    if image.mode == "P":
        return image.convert("RGB")
    if image.mode == "1":
        return image.convert("L")
    if image.mode == "I" or image.mode.startswith("I;16"):
        # 16-bit greyscale PNG: convert("L") would clip every value above 255 to white.
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image


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


def _decode(image: Image.Image, data: bytes, limits: PhotoLimits) -> Image.Image:
    """Decode ``image`` fully (JPEG at a reduced scale when that still covers the target).

    :raises ImageTooLarge: Pillow's own pixel guard fired.
    :raises CorruptImage: truncated or damaged image data.
    """
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
    return image


def _clean(image: Image.Image, limits: PhotoLimits) -> tuple[Image.Image, Image.Image]:
    """Return the upright sRGB picture shrunk to the maximum side, and its thumbnail.

    Shrinking comes first: turning, flattening and colour conversion each copy the image,
    and on the full-size decode of a large PNG those copies took over a gigabyte.

    :raises CorruptImage: the decoded image cannot be converted.
    """
    try:
        small = _resamplable(image)
        # In place, so the full-size pixels can be freed; info (EXIF, ICC) stays.
        small.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS,
                        reducing_gap=3.0)
        try:
            upright = ImageOps.exif_transpose(small)
        except Exception:  # noqa: BLE001 - damaged orientation tag: keep it as stored
            upright = small
        picture = _flatten_to_srgb(upright)
        thumb = picture.copy()
        thumb.thumbnail((limits.thumb_side, limits.thumb_side), Image.Resampling.LANCZOS)
    except (OSError, ValueError) as exc:
        raise CorruptImage("the image cannot be converted") from exc
    return picture, thumb


def process_photo(data: bytes, limits: PhotoLimits = PhotoLimits(), *,
                  assume_tz: str | None = None) -> ProcessedPhoto:
    """Check one upload and return its clean re-encoded JPEG, thumbnail and EXIF facts.

    :raises EmptyFile: no bytes.
    :raises PhotoTooLarge: more than ``limits.max_bytes`` bytes.
    :raises UnsupportedMediaType: not JPEG, PNG, WebP (or HEIC).
    :raises ImageTooLarge: more than ``limits.max_pixels`` pixels (decompression bombs), or
        than ``limits.max_lossless_pixels`` for PNG and WebP.
    :raises CorruptImage: truncated or damaged image data.
    :raises PhotoDecodersBusy: ``limits.max_decodes`` decodes ran for the whole wait.
    """
    if len(data) > limits.max_bytes:
        raise PhotoTooLarge(f"a photo may have at most {limits.max_bytes} bytes",
                            max_bytes=limits.max_bytes)
    image = _open(data, limits.max_pixels)
    _check_lossless_pixels(image, limits.max_lossless_pixels)
    facts = _facts_of(image, assume_tz)
    with decode_slot(limits.max_decodes, limits.decode_wait_seconds):
        picture, thumb = _clean(_decode(image, data, limits), limits)
        encoded, encoded_thumb = _encode(picture, JPEG_QUALITY), _encode(thumb, THUMB_QUALITY)
    return ProcessedPhoto(encoded, encoded_thumb, picture.width, picture.height, facts,
                          len(data))
