import io
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import ExifTags, Image

from dispatch import imaging
from dispatch.errors import (
    CorruptImage,
    DispatchError,
    EmptyFile,
    ImageTooLarge,
    PhotoDecodersBusy,
    PhotoTooLarge,
    UnsupportedMediaType,
)
from dispatch.imaging import PhotoLimits, decode_slot, process_photo, read_photo_facts
from tests.factories import CITY_HALL
from tests.photo_factory import (
    ASCII,
    RATIONAL,
    SRATIONAL,
    assert_clean,
    bad_files,
    make_exif,
    make_image,
    rationals,
    raw_exif,
)
from tests.services import unavailable

SEOUL = ZoneInfo("Asia/Seoul")


# --- read_photo_facts -------------------------------------------------------------


def test_read_photo_facts_reads_gps_and_capture_time_with_offset():
    taken = datetime(2026, 11, 28, 10, 15, 30)
    data = make_image(exif=make_exif(lonlat=CITY_HALL, taken_at=taken, offset="+09:00"))
    facts = read_photo_facts(data)
    assert facts.format == "JPEG" and (facts.width, facts.height) == (640, 480)
    assert facts.lonlat == pytest.approx(CITY_HALL, abs=1e-6)
    assert facts.taken_at == taken.replace(tzinfo=SEOUL)
    assert facts.taken_at.utcoffset() == timedelta(hours=9)


def test_read_photo_facts_southern_and_western_hemispheres_are_negative():
    data = make_image(exif=make_exif(lonlat=(-58.3816, -34.6037)))
    assert read_photo_facts(data).lonlat == pytest.approx((-58.3816, -34.6037), abs=1e-6)


def test_read_photo_facts_without_offset_uses_assumed_zone_or_stays_naive():
    taken = datetime(2026, 1, 2, 3, 4, 5)
    data = make_image(exif=make_exif(taken_at=taken))
    assert read_photo_facts(data).taken_at == taken
    assert read_photo_facts(data, assume_tz="Asia/Seoul").taken_at == taken.replace(
        tzinfo=SEOUL)


def test_read_photo_facts_without_exif_has_no_position_or_time():
    facts = read_photo_facts(make_image(fmt="PNG"))
    assert facts.format == "PNG" and facts.lonlat is None and facts.taken_at is None


def test_read_photo_facts_zero_zero_gps_means_no_fix():
    assert read_photo_facts(make_image(exif=make_exif(lonlat=(0.0, 0.0)))).lonlat is None


def test_read_photo_facts_ignores_malformed_gps_and_dates():
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N",
                                  ExifTags.GPS.GPSLatitude: (95.0, 0.0, 0.0),
                                  ExifTags.GPS.GPSLongitudeRef: "E",
                                  ExifTags.GPS.GPSLongitude: (126.0, 0.0, 0.0)}
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: "0000:00:00 00:00:00"}
    facts = read_photo_facts(make_image(exif=exif))
    assert facts.lonlat is None and facts.taken_at is None


def _gps_with_latitude(kind: int, count: int, payload: bytes, ref: bytes = b"S\x00"):
    return [(1, ASCII, 2, ref), (2, kind, count, payload), (3, ASCII, 2, b"E\x00"),
            (4, RATIONAL, 3, rationals((126, 1), (58, 1), (0, 1)))]


@pytest.mark.parametrize("ref", [b"S\x00", b"N\x00"])
def test_read_photo_facts_negative_degrees_stay_south_with_or_without_an_s_ref(ref):
    # Some writers store 37 deg 34' S as -37 deg 34' (with or without the S).
    latitude = rationals((-37, 1), (34, 1), (12, 1), signed=True)
    data = make_image(exif=raw_exif(_gps_with_latitude(SRATIONAL, 3, latitude, ref)))
    assert read_photo_facts(data).lonlat == pytest.approx((126.9666667, -37.57), abs=1e-6)


def test_read_photo_facts_refuses_minutes_or_seconds_of_60_or_more():
    for latitude in (rationals((37, 1), (75, 1), (0, 1)), rationals((37, 1), (0, 1), (60, 1))):
        data = make_image(exif=raw_exif(_gps_with_latitude(RATIONAL, 3, latitude),
                                        "2026:11:28 10:00:00", 6))
        facts = read_photo_facts(data)
        assert facts.lonlat is None
        assert facts.taken_at == datetime(2026, 11, 28, 10, 0) and facts.orientation == 6


@pytest.mark.parametrize("latitude", [(), (10**400, 0, 0), (float("nan"),), (1, 2, 3, 4)])
def test_gps_that_cannot_be_read_gives_no_position(latitude):
    gps = {ExifTags.GPS.GPSLatitude: latitude, ExifTags.GPS.GPSLatitudeRef: "N",
           ExifTags.GPS.GPSLongitude: (126.0, 58.0, 0.0), ExifTags.GPS.GPSLongitudeRef: "E"}
    assert imaging._gps_lonlat(gps) is None


def test_read_photo_facts_keeps_time_and_orientation_when_gps_breaks(monkeypatch):
    def broken_gps(_gps):
        raise IndexError("a GPS value the parser did not expect")

    monkeypatch.setattr(imaging, "_gps_lonlat", broken_gps)
    exif = make_exif(lonlat=CITY_HALL, taken_at=datetime(2026, 11, 28, 10, 15), orientation=6)
    facts = read_photo_facts(make_image(exif=exif))
    assert facts.lonlat is None
    assert facts.taken_at == datetime(2026, 11, 28, 10, 15) and facts.orientation == 6


def test_read_photo_facts_falls_back_to_gps_time_in_utc():
    exif = make_exif(lonlat=CITY_HALL, gps_extra={ExifTags.GPS.GPSDateStamp: "2026:11:28",
                                                  ExifTags.GPS.GPSTimeStamp: (1.0, 2.0, 3.0)})
    facts = read_photo_facts(make_image(exif=exif))
    assert facts.taken_at == datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_read_photo_facts_reads_exif_of_every_format(fmt):
    if fmt == "HEIF" and not imaging.HEIC_SUPPORTED:
        unavailable("pillow-heif (requirements.lock) is not installed")
    data = make_image((320, 240), fmt, exif=make_exif(lonlat=CITY_HALL))
    assert read_photo_facts(data).lonlat == pytest.approx(CITY_HALL, abs=1e-6)


# --- process_photo ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_process_photo_strips_exif_from_every_format(fmt):
    if fmt == "HEIF" and not imaging.HEIC_SUPPORTED:
        unavailable("pillow-heif (requirements.lock) is not installed")
    exif = make_exif(lonlat=CITY_HALL, taken_at=datetime(2026, 11, 28, 9, 0), offset="+09:00")
    result = process_photo(make_image((640, 480), fmt, exif=exif))
    assert result.facts.lonlat == pytest.approx(CITY_HALL, abs=1e-6)
    assert result.facts.taken_at is not None
    image = assert_clean(result.image)
    assert image.size == (640, 480) == (result.width, result.height)
    assert_clean(result.thumb)


def test_process_photo_accepts_multi_picture_jpeg_from_phones():
    first, second = Image.new("RGB", (400, 300), "red"), Image.new("RGB", (400, 300), "blue")
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second],
               exif=make_exif(lonlat=CITY_HALL).tobytes())
    result = process_photo(buffer.getvalue())
    assert result.facts.format == "MPO"
    assert result.facts.lonlat == pytest.approx(CITY_HALL, abs=1e-6)
    image = assert_clean(result.image)
    assert getattr(image, "n_frames", 1) == 1 and image.size == (400, 300)


def test_process_photo_shrinks_to_max_side_and_makes_thumbnail():
    result = process_photo(make_image((3000, 1000)), PhotoLimits(max_side=2048, thumb_side=320))
    assert (result.width, result.height) == (2048, 683)
    assert Image.open(io.BytesIO(result.image)).size == (2048, 683)
    assert Image.open(io.BytesIO(result.thumb)).size == (320, 107)


def test_process_photo_never_enlarges_small_images():
    result = process_photo(make_image((200, 100)))
    assert (result.width, result.height) == (200, 100)
    assert Image.open(io.BytesIO(result.thumb)).size == (200, 100)


def test_process_photo_applies_exif_orientation_before_stripping():
    # Stored landscape, red left and blue right; orientation 6 means "turn 90° clockwise".
    data = make_image((300, 200), exif=make_exif(orientation=6), split=True)
    result = process_photo(data)
    image = assert_clean(result.image).convert("RGB")
    assert image.size == (200, 300)
    red, green, blue = image.getpixel((100, 20))
    assert red > 200 and blue < 80  # the left (red) half is now on top
    red, green, blue = image.getpixel((100, 280))
    assert blue > 200 and red < 80


def test_process_photo_flattens_transparency_on_white():
    image = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    result = process_photo(buffer.getvalue())
    assert Image.open(io.BytesIO(result.image)).convert("RGB").getpixel((25, 25)) == (
        pytest.approx(255, abs=2),) * 3


@pytest.mark.parametrize(("mode", "key"), [("RGB", (255, 0, 0)), ("L", 0)])
def test_process_photo_flattens_a_transparent_key_colour_on_white(mode, key):
    # A PNG tRNS chunk in an RGB or greyscale image: pixels of the key colour are transparent.
    image = Image.new(mode, (50, 50), key)
    image.paste(Image.new(mode, (25, 50), (0, 0, 255) if mode == "RGB" else 128), (0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=key)
    stored = Image.open(io.BytesIO(process_photo(buffer.getvalue()).image)).convert("RGB")
    assert stored.getpixel((45, 25)) == (pytest.approx(255, abs=2),) * 3
    assert stored.getpixel((5, 25)) != stored.getpixel((45, 25))


def test_process_photo_converts_cmyk_and_grayscale():
    for mode in ("CMYK", "L"):
        result = process_photo(make_image((64, 64), mode=mode))
        assert Image.open(io.BytesIO(result.image)).mode == "RGB"


def test_process_photo_keeps_the_grey_levels_of_a_16_bit_png():
    gradient = Image.new("I;16", (256, 16))
    gradient.putdata([x * 257 for _y in range(16) for x in range(256)])
    buffer = io.BytesIO()
    gradient.save(buffer, "PNG")
    stored = Image.open(io.BytesIO(process_photo(buffer.getvalue()).image)).convert("L")
    for x in (0, 64, 128, 192, 255):
        assert stored.getpixel((x, 8)) == pytest.approx(x, abs=4)


def test_process_photo_is_deterministic_so_keys_dedupe():
    data = make_image()
    assert process_photo(data).sha256 == process_photo(data).sha256


def test_process_photo_refuses_more_bytes_than_the_limit():
    data = make_image((800, 600))
    with pytest.raises(PhotoTooLarge):
        process_photo(data, PhotoLimits(max_bytes=len(data) - 1))
    assert process_photo(data, PhotoLimits(max_bytes=len(data))).width == 800


def test_process_photo_refuses_more_pixels_than_the_limit():
    with pytest.raises(ImageTooLarge) as caught:
        process_photo(make_image((400, 300)), PhotoLimits(max_pixels=400 * 300 - 1))
    assert caught.value.details["max_pixels"] == 119_999


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_process_photo_has_a_lower_pixel_limit_for_lossless_formats(fmt):
    limits = PhotoLimits(max_lossless_pixels=200 * 100 - 1)
    with pytest.raises(ImageTooLarge) as caught:
        process_photo(make_image((200, 100), fmt, lossless=True) if fmt == "WEBP"
                      else make_image((200, 100), fmt), limits)
    assert caught.value.details["max_pixels"] == 19_999
    assert process_photo(make_image((200, 100)), limits).width == 200  # JPEG: general limit


# Peak memory of a fresh process (VmHWM; ru_maxrss would include the parent's at fork).
_PEAK_RSS_SCRIPT = """
import re, sys
from dispatch.imaging import process_photo
def peak():
    return int(re.search(r"VmHWM:\\s*(\\d+) kB", open("/proc/self/status").read())[1]) * 1024
data = open(sys.argv[1], "rb").read()
before = peak()
process_photo(data)
print(peak() - before)
"""


def test_process_photo_shrinks_a_large_png_before_copying_it(tmp_path):
    width = height = 4000
    path = tmp_path / "large.png"
    Image.new("RGBA", (width, height), (10, 20, 30, 128)).save(path)
    result = subprocess.run([sys.executable, "-c", _PEAK_RSS_SCRIPT, str(path)],
                            capture_output=True, text=True, check=True)
    # Decoded once it is 64 MB; flattening at full size before shrinking took 368 MB.
    assert int(result.stdout) < 4 * width * height * 4


def test_process_photo_waits_for_a_decoding_slot_then_gives_up():
    limits = PhotoLimits(max_decodes=1, decode_wait_seconds=0.05)
    with decode_slot(1, 0), pytest.raises(PhotoDecodersBusy) as caught:
        process_photo(make_image((64, 64)), limits)
    assert caught.value.code == "photo_decoders_busy"
    assert process_photo(make_image((64, 64)), limits).width == 64


def test_decode_slots_let_at_most_n_decodes_run_at_once():
    running, most = 0, 0
    lock = threading.Lock()
    # Two inside at once, for certain (not by a sleep's luck); a third would raise `most`.
    pair = threading.Barrier(2, timeout=5)

    def decode():
        nonlocal running, most
        with decode_slot(2, 5.0):
            with lock:
                running += 1
                most = max(most, running)
            pair.wait()
            time.sleep(0.02)  # a third thread let in would be counted meanwhile
            with lock:
                running -= 1

    threads = [threading.Thread(target=decode) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2


@pytest.mark.parametrize("name", sorted(bad_files()))
def test_process_photo_refuses_bad_file(name):
    data, _status, code = bad_files()[name]
    with pytest.raises(DispatchError) as caught:
        process_photo(data)
    assert caught.value.code == code


def test_process_photo_error_classes():
    corpus = bad_files()
    with pytest.raises(UnsupportedMediaType):
        process_photo(corpus["svg_with_script"][0])
    with pytest.raises(CorruptImage):
        process_photo(corpus["truncated_jpeg"][0])
    with pytest.raises(ImageTooLarge):
        process_photo(corpus["bomb_png"][0])
    with pytest.raises(EmptyFile):
        process_photo(b"")


@pytest.mark.parametrize(("original", "offset"), [
    ("0001:01:01 00:00:00", None), ("9999:12:31 23:59:59", "-14:00"),
    ("2026:11:28 10:00:00", "+23:59"), ("2026:11:28 10:00:00", "-16:00"),
    ("1970:01:01 00:00:00", "+00:00"),
])
def test_an_impossible_capture_time_gives_way_to_the_digitized_one(original, offset):
    exif = make_exif()
    details = {ExifTags.Base.DateTimeOriginal: original,
               ExifTags.Base.DateTimeDigitized: "2026:11:28 10:05:00",
               ExifTags.Base.OffsetTimeDigitized: "+09:00"}
    if offset:
        details[ExifTags.Base.OffsetTimeOriginal] = offset
    exif[ExifTags.IFD.Exif] = details
    facts = read_photo_facts(make_image(exif=exif), assume_tz="Asia/Seoul")
    assert facts.taken_at == datetime(2026, 11, 28, 1, 5, tzinfo=UTC)


@pytest.mark.parametrize("day", ["0001:01:01", "9999:12:31", "1989:12:31"])
def test_an_impossible_gps_time_is_dropped(day):
    exif = make_exif(lonlat=CITY_HALL, gps_extra={ExifTags.GPS.GPSDateStamp: day,
                                                  ExifTags.GPS.GPSTimeStamp: (23.0, 59.0, 59.0)})
    facts = read_photo_facts(make_image(exif=exif))
    assert facts.taken_at is None and facts.lonlat is not None


def test_a_capture_time_more_than_a_day_ahead_is_dropped_one_a_few_hours_ahead_kept():
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=20)
    for moment, kept in ((soon, True), (soon + timedelta(days=1), False)):
        exif = make_exif(taken_at=moment, offset="+00:00")
        taken_at = read_photo_facts(make_image(exif=exif)).taken_at
        assert (taken_at == moment) if kept else taken_at is None
