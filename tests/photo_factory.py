"""Images made in the test with Pillow (with or without EXIF), and a corpus of bad files."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime
from functools import cache

from PIL import ExifTags, Image


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (float(degrees), float(minutes), seconds)


def make_exif(lonlat: tuple[float, float] | None = None, taken_at: datetime | None = None,
              offset: str | None = None, orientation: int | None = None,
              gps_extra: dict | None = None) -> Image.Exif:
    """EXIF with a GPS IFD, DateTimeOriginal (+ OffsetTimeOriginal) and Orientation as given."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if lonlat is not None:
        lon, lat = lonlat
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
            ExifTags.GPS.GPSLatitude: _dms(lat),
            ExifTags.GPS.GPSLongitudeRef: "E" if lon >= 0 else "W",
            ExifTags.GPS.GPSLongitude: _dms(lon),
            **(gps_extra or {}),
        }
    if taken_at is not None:
        details = {ExifTags.Base.DateTimeOriginal: taken_at.strftime("%Y:%m:%d %H:%M:%S")}
        if offset:
            details[ExifTags.Base.OffsetTimeOriginal] = offset
        exif[ExifTags.IFD.Exif] = details
    return exif


# TIFF field types of raw EXIF entries.
ASCII, SHORT, LONG, RATIONAL, SRATIONAL = 2, 3, 4, 5, 10


def _ifd_bytes(entries: list[tuple[int, int, int, bytes]], start: int) -> bytes:
    """One little-endian IFD at offset ``start``, its long values right after it."""
    table, data = [], b""
    data_start = start + 2 + 12 * len(entries) + 4
    for tag, kind, count, payload in sorted(entries):
        if len(payload) <= 4:
            value = payload.ljust(4, b"\x00")
        else:
            value = struct.pack("<I", data_start + len(data))
            data += payload + b"\x00" * (len(payload) % 2)
        table.append(struct.pack("<HHI", tag, kind, count) + value)
    return struct.pack("<H", len(entries)) + b"".join(table) + b"\x00" * 4 + data


def raw_exif(gps: list[tuple[int, int, int, bytes]], taken_at: str | None = None,
             orientation: int | None = None) -> bytes:
    """EXIF bytes written by hand, so a test can send what Pillow's writer refuses to make.

    ``gps`` holds raw ``(tag, type, count, payload)`` entries of the GPS IFD, e.g. a signed
    latitude or one with no values at all.
    """
    details = ([(0x9003, ASCII, 20, taken_at.encode("ascii") + b"\x00")] if taken_at else [])
    base = [(0x0112, SHORT, 1, struct.pack("<H", orientation))] if orientation else []
    pointers = [(0x8769, LONG, 1, b"\x00" * 4)] if details else []
    pointers.append((0x8825, LONG, 1, b"\x00" * 4))
    ifd0_size = len(_ifd_bytes(base + pointers, 8))
    exif_at = 8 + ifd0_size
    exif_ifd = _ifd_bytes(details, exif_at) if details else b""
    gps_at = exif_at + len(exif_ifd)
    pointers = ([(0x8769, LONG, 1, struct.pack("<I", exif_at))] if details else []) + [
        (0x8825, LONG, 1, struct.pack("<I", gps_at))]
    # A JPEG APP1 segment needs the "Exif" marker before the TIFF header.
    return (b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + _ifd_bytes(base + pointers, 8)
            + exif_ifd + _ifd_bytes(gps, gps_at))


def rationals(*parts: tuple[int, int], signed: bool = False) -> bytes:
    """Payload of (S)RATIONAL values given as (numerator, denominator) pairs."""
    return b"".join(struct.pack("<ii" if signed else "<II", *part) for part in parts)


def make_image(size: tuple[int, int] = (640, 480), fmt: str = "JPEG", *,
               exif: Image.Exif | bytes | None = None, mode: str = "RGB", split: bool = False,
               **save) -> bytes:
    """Encode a test picture: noise (so sizes are realistic) or red/blue halves (``split``)."""
    if split:
        image = Image.new(mode, size, "blue")
        image.paste(Image.new(mode, (size[0] // 2, size[1]), "red"), (0, 0))
    else:
        image = Image.effect_noise(size, 40).convert(mode)
    buffer = io.BytesIO()
    if isinstance(exif, bytes):
        save["exif"] = exif
    elif exif is not None:
        save["exif"] = exif.tobytes()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def assert_clean(data: bytes) -> Image.Image:
    """Open stored bytes and check they are a JPEG without any metadata of the upload."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    exif = image.getexif()
    assert len(exif) == 0
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    for key in ("exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"):
        assert key not in image.info
    assert b"Exif" not in data[:4096] and b"TestCam" not in data
    return image


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b""))


@cache
def webp_of_one_colour(width: int, height: int) -> bytes:
    """A lossless WebP of one colour: a few dozen bytes that decode to width x height pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="WEBP", lossless=True,
                                                     quality=0, method=0)
    return buffer.getvalue()


def png_with_bad_crc() -> bytes:
    """A PNG whose image data chunk fails its CRC."""
    data = bytearray(make_image((64, 64), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF
    return bytes(data)


# name -> (bytes, expected HTTP status, expected error code)
def bad_files() -> dict[str, tuple[bytes, int, str]]:
    """The corpus of uploads that must be refused, with the answer each must get."""
    jpeg = make_image((800, 600))
    return {
        "text": (b"just some text, not a picture\n" * 10, 415, "unsupported_media_type"),
        "pdf": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
                415, "unsupported_media_type"),
        "html": (b"<!doctype html><html><body><script>alert(1)</script></body></html>",
                 415, "unsupported_media_type"),
        "svg_with_script": (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                            b"<script>alert(document.cookie)</script></svg>",
                            415, "unsupported_media_type"),
        "gif": (make_image((32, 32), "GIF"), 415, "unsupported_media_type"),
        "bmp": (make_image((32, 32), "BMP"), 415, "unsupported_media_type"),
        "jpeg_header_only": (jpeg[:4], 415, "unsupported_media_type"),
        "truncated_jpeg": (jpeg[: len(jpeg) // 2], 422, "corrupt_image"),
        "png_bad_crc": (png_with_bad_crc(), 422, "corrupt_image"),
        "truncated_png": (make_image((256, 256), "PNG")[:600], 422, "corrupt_image"),
        "bomb_png": (png_declaring(100_000, 100_000), 422, "image_too_large"),
        "large_png_header": (png_declaring(9000, 9000), 422, "image_too_large"),
        # 25 MP: under the general limit, over the one for lossless formats.
        "webp_of_one_colour": (webp_of_one_colour(5000, 5000), 422, "image_too_large"),
        "empty": (b"", 422, "empty_file"),
    }
