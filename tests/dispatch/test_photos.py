import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import ExifTags, Image

from dispatch import photos
from dispatch.errors import (
    ComplaintClosed,
    CorruptImage,
    DispatchError,
    EmptyFile,
    ImageTooLarge,
    PhotoTooLarge,
    TooManyPhotos,
    UnsupportedMediaType,
)
from dispatch.events import Actor
from dispatch.models import ComplaintEvent, ComplaintPhoto, PhotoKind
from dispatch.photos import PhotoLimits, Upload, process_photo, read_photo_facts
from dispatch.storage import LocalPhotoStore
from tests.factories import CITY_HALL
from tests.photo_factory import bad_files, make_exif, make_image

SEOUL = ZoneInfo("Asia/Seoul")
# About 1.1 km north of City Hall, still in Seoul.
FAR_AWAY = (CITY_HALL[0], CITY_HALL[1] + 0.01)


def assert_clean(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    exif = image.getexif()
    assert len(exif) == 0
    assert exif.get_ifd(ExifTags.IFD.GPSInfo) == {}
    for key in ("exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"):
        assert key not in image.info
    assert b"Exif" not in data[:4096] and b"TestCam" not in data
    return image


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


def test_read_photo_facts_falls_back_to_gps_time_in_utc():
    exif = make_exif(lonlat=CITY_HALL, gps_extra={ExifTags.GPS.GPSDateStamp: "2026:11:28",
                                                  ExifTags.GPS.GPSTimeStamp: (1.0, 2.0, 3.0)})
    facts = read_photo_facts(make_image(exif=exif))
    assert facts.taken_at == datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_read_photo_facts_reads_exif_of_every_format(fmt):
    if fmt == "HEIF" and not photos.HEIC_SUPPORTED:
        pytest.skip("pillow-heif is not installed")
    data = make_image((320, 240), fmt, exif=make_exif(lonlat=CITY_HALL))
    assert read_photo_facts(data).lonlat == pytest.approx(CITY_HALL, abs=1e-6)


# --- process_photo ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_process_photo_strips_exif_from_every_format(fmt):
    if fmt == "HEIF" and not photos.HEIC_SUPPORTED:
        pytest.skip("pillow-heif is not installed")
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


def test_process_photo_converts_cmyk_and_grayscale():
    for mode in ("CMYK", "L"):
        result = process_photo(make_image((64, 64), mode=mode))
        assert Image.open(io.BytesIO(result.image)).mode == "RGB"


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


# --- attach_photos, flags, counts ---------------------------------------------------------


@pytest.fixture
def store(settings) -> LocalPhotoStore:
    return LocalPhotoStore(settings.photo_dir)


def blob_count(root: str) -> int:
    return sum(1 for path in Path(root).glob("??/??/*") if path.is_file())


def test_attach_photos_stores_clean_blobs_and_rows(session, settings, store, create_complaint):
    complaint = create_complaint()
    taken = datetime.now(UTC) + timedelta(minutes=1)
    data = make_image(exif=make_exif(lonlat=CITY_HALL, taken_at=taken.astimezone(SEOUL),
                                     offset="+09:00"))
    rows = photos.attach_photos(session, settings, store, complaint, [Upload(data, "a.jpg")],
                                kind=PhotoKind.REPORT, actor=Actor.citizen())
    assert len(rows) == 1
    row = rows[0]
    assert row.kind == "report" and row.uploaded_by == "citizen" and row.flags == []
    assert row.distance_m == pytest.approx(0.0, abs=1.0)
    assert row.taken_at == taken.replace(microsecond=0)
    assert_clean(store.get(row.sha256))
    assert Image.open(io.BytesIO(store.get(row.thumb_sha256))).size == (320, 240)
    event = session.query(ComplaintEvent).filter_by(complaint_id=complaint.id,
                                                    kind="photo_added").one()
    assert event.data == {"photo_ids": [row.id], "kind": "report", "flags": []}


def test_attach_photos_same_picture_twice_is_stored_once(session, settings, store,
                                                         create_complaint):
    complaint = create_complaint()
    data = make_image()
    first = photos.attach_photos(session, settings, store, complaint,
                                 [Upload(data), Upload(data)], kind=PhotoKind.REPORT,
                                 actor=Actor.citizen())
    again = photos.attach_photos(session, settings, store, complaint, [Upload(data)],
                                 kind=PhotoKind.REPORT, actor=Actor.citizen())
    assert len(first) == 1 and [row.id for row in again] == [first[0].id]
    assert session.query(ComplaintPhoto).filter_by(complaint_id=complaint.id).count() == 1


def test_evidence_photo_far_from_site_is_flagged(session, settings, store, create_complaint,
                                                 create_staff):
    complaint = create_complaint()
    inspector = create_staff()
    data = make_image(exif=make_exif(lonlat=FAR_AWAY))
    [row] = photos.attach_photos(session, settings, store, complaint, [Upload(data)],
                                 kind=PhotoKind.EVIDENCE, actor=Actor("staff", inspector.id))
    assert row.flags == ["far_from_site"]
    assert row.distance_m == pytest.approx(1112, abs=5)
    assert row.staff_id == inspector.id and row.uploaded_by == "staff"
    assert photos.complaint_photo_flags(session, complaint.id) == ["far_from_site"]


def test_evidence_photo_taken_before_complaint_is_flagged(session, settings, store,
                                                          create_complaint):
    complaint = create_complaint()
    yesterday = (complaint.created_at - timedelta(days=1)).astimezone(SEOUL)
    data = make_image(exif=make_exif(lonlat=CITY_HALL, taken_at=yesterday, offset="+09:00"))
    [row] = photos.attach_photos(session, settings, store, complaint, [Upload(data)],
                                 kind=PhotoKind.EVIDENCE, actor=Actor("staff", None))
    assert row.flags == ["taken_before_complaint"]


def test_evidence_photo_without_offset_is_read_in_service_time_zone(session, settings, store,
                                                                    create_complaint):
    complaint = create_complaint()
    # Two hours before the complaint in Seoul time; read as UTC it would be 7 hours after.
    local = (complaint.created_at - timedelta(hours=2)).astimezone(SEOUL).replace(tzinfo=None)
    [row] = photos.attach_photos(session, settings, store, complaint,
                                 [Upload(make_image(exif=make_exif(taken_at=local)))],
                                 kind=PhotoKind.EVIDENCE, actor=Actor("staff", None))
    assert row.flags == ["taken_before_complaint"]


def test_evidence_photo_on_site_and_in_time_or_without_exif_is_not_flagged(
        session, settings, store, create_complaint):
    complaint = create_complaint()
    now = datetime.now(SEOUL) + timedelta(minutes=2)
    on_site = make_image(exif=make_exif(lonlat=(CITY_HALL[0] + 0.0005, CITY_HALL[1]),
                                        taken_at=now, offset="+09:00"))
    rows = photos.attach_photos(session, settings, store, complaint,
                                [Upload(on_site), Upload(make_image(fmt="PNG"))],
                                kind=PhotoKind.EVIDENCE, actor=Actor("staff", None))
    assert [row.flags for row in rows] == [[], []]
    assert photos.complaint_photo_flags(session, complaint.id) == []


def test_report_photos_are_never_flagged(session, settings, store, create_complaint):
    complaint = create_complaint()
    data = make_image(exif=make_exif(lonlat=FAR_AWAY))
    [row] = photos.attach_photos(session, settings, store, complaint, [Upload(data)],
                                 kind=PhotoKind.REPORT, actor=Actor.citizen())
    assert row.flags == [] and row.distance_m > 1000


def test_count_evidence_photos_counts_evidence_only(session, settings, store,
                                                    create_complaint):
    complaint = create_complaint()
    assert photos.count_evidence_photos(session, complaint.id) == 0
    photos.attach_photos(session, settings, store, complaint, [Upload(make_image())],
                         kind=PhotoKind.REPORT, actor=Actor.citizen())
    assert photos.count_evidence_photos(session, complaint.id) == 0
    photos.attach_photos(session, settings, store, complaint,
                         [Upload(make_image()), Upload(make_image())],
                         kind=PhotoKind.EVIDENCE, actor=Actor("staff", None))
    assert photos.count_evidence_photos(session, complaint.id) == 2


def test_attach_photos_limit_counts_photos_already_attached(session, settings, store,
                                                            create_complaint):
    complaint = create_complaint()
    limit = settings.photo_max_per_complaint
    photos.attach_photos(session, settings, store, complaint,
                         [Upload(make_image((64, 64))) for _ in range(limit - 1)],
                         kind=PhotoKind.REPORT, actor=Actor.citizen())
    with pytest.raises(TooManyPhotos) as caught:
        photos.attach_photos(session, settings, store, complaint,
                             [Upload(make_image((64, 64))) for _ in range(2)],
                             kind=PhotoKind.REPORT, actor=Actor.citizen())
    assert caught.value.details == {"max_photos": limit, "attached": limit - 1}
    # Evidence has its own allowance.
    photos.attach_photos(session, settings, store, complaint, [Upload(make_image((64, 64)))],
                         kind=PhotoKind.EVIDENCE, actor=Actor("staff", None))


def test_attach_photos_one_bad_file_stores_nothing(session, settings, store, create_complaint):
    complaint = create_complaint()
    before = blob_count(settings.photo_dir)
    uploads = [Upload(make_image(), "good.jpg"),
               Upload(bad_files()["truncated_jpeg"][0], "broken.jpg")]
    with pytest.raises(CorruptImage) as caught:
        photos.attach_photos(session, settings, store, complaint, uploads,
                             kind=PhotoKind.REPORT, actor=Actor.citizen())
    assert caught.value.details == {"index": 1, "filename": "broken.jpg"}
    assert blob_count(settings.photo_dir) == before
    assert session.query(ComplaintPhoto).filter_by(complaint_id=complaint.id).count() == 0


def test_attach_photos_refuses_closed_complaint_and_empty_request(session, settings, store,
                                                                  create_complaint):
    complaint = create_complaint()
    with pytest.raises(EmptyFile):
        photos.attach_photos(session, settings, store, complaint, [],
                             kind=PhotoKind.REPORT, actor=Actor.citizen())
    complaint.status = "cancelled"
    session.flush()
    with pytest.raises(ComplaintClosed):
        photos.attach_photos(session, settings, store, complaint, [Upload(make_image())],
                             kind=PhotoKind.REPORT, actor=Actor.citizen())


# --- signed URLs and the sweeper ------------------------------------------------------------


def test_photo_signature_is_bound_to_photo_variant_and_time():
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    expires, signature = photos.sign_photo("k" * 20, 7, "full", 3600, now=now)
    assert expires >= now.timestamp() + 3600
    assert photos.signature_is_valid("k" * 20, 7, "full", expires, signature, now=now)
    assert not photos.signature_is_valid("k" * 20, 8, "full", expires, signature, now=now)
    assert not photos.signature_is_valid("k" * 20, 7, "thumb", expires, signature, now=now)
    assert not photos.signature_is_valid("x" * 20, 7, "full", expires, signature, now=now)
    assert not photos.signature_is_valid("k" * 20, 7, "full", expires + 60, signature, now=now)
    later = now + timedelta(hours=2)
    assert not photos.signature_is_valid("k" * 20, 7, "full", expires, signature, now=later)
    assert not photos.signature_is_valid("k" * 20, 7, "full", None, None, now=now)


def test_sweep_orphan_photos_deletes_only_unreferenced_blobs(session, settings, tmp_path,
                                                             create_complaint):
    store = LocalPhotoStore(tmp_path)
    complaint = create_complaint()
    [row] = photos.attach_photos(session, settings, store, complaint, [Upload(make_image())],
                                 kind=PhotoKind.REPORT, actor=Actor.citizen())
    orphan = store.put(b"left behind by a request that rolled back")
    assert photos.sweep_orphan_photos(session, store, older_than_seconds=3600) == 0
    assert store.exists(orphan)  # too young: its request may still commit
    assert photos.sweep_orphan_photos(session, store, older_than_seconds=0) == 1
    assert not store.exists(orphan)
    assert store.exists(row.sha256) and store.exists(row.thumb_sha256)
    assert photos.sweep_orphan_photos(session, store, older_than_seconds=0) == 0


def test_sweep_photo_store_job_removes_orphans_of_the_configured_store(session, settings,
                                                                       create_complaint):
    from dispatch.jobs_photos import sweep_photo_store

    store = LocalPhotoStore(settings.photo_dir)
    complaint = create_complaint()
    [row] = photos.attach_photos(session, settings, store, complaint, [Upload(make_image())],
                                 kind=PhotoKind.REPORT, actor=Actor.citizen())
    orphan = store.put(b"orphan of a rolled-back request")
    assert sweep_photo_store(min_age_seconds=3600) == 0
    assert sweep_photo_store(min_age_seconds=0) >= 1
    assert not store.exists(orphan) and store.exists(row.sha256)


def test_concurrent_uploads_never_exceed_the_limit(engine, settings):
    import threading

    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    from dispatch.intake import ComplaintDraft, submit_complaint
    from dispatch.models import Complaint

    assert settings.photo_max_per_complaint == 5
    store = LocalPhotoStore(settings.photo_dir)
    with Session(engine) as session:
        complaint = submit_complaint(session, settings, ComplaintDraft(
            category="garbage", lon=CITY_HALL[0], lat=CITY_HALL[1])).complaint
        session.commit()
        complaint_id = complaint.id
    batches = [photos.prepare_photos(settings, [Upload(make_image((64, 64))) for _ in range(2)])
               for _ in range(4)]
    barrier = threading.Barrier(len(batches))
    outcomes: list[str] = []

    def send(batch):
        try:
            with Session(engine) as session:
                target = session.get(Complaint, complaint_id)
                barrier.wait()
                photos.attach_photos(session, settings, store, target, batch,
                                     kind=PhotoKind.REPORT, actor=Actor.citizen())
                session.commit()
                outcomes.append("stored")
        except TooManyPhotos:
            outcomes.append("too_many")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=send, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(outcomes) == ["stored", "stored", "too_many", "too_many"]
        with Session(engine) as session:
            assert photos.count_evidence_photos(session, complaint_id) == 0
            assert len(photos.list_photos(session, complaint_id)) == 4
    finally:
        with Session(engine) as session:
            session.execute(delete(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint_id))
            session.execute(delete(ComplaintPhoto).where(
                ComplaintPhoto.complaint_id == complaint_id))
            session.execute(delete(Complaint).where(Complaint.id == complaint_id))
            session.commit()


@pytest.mark.parametrize(("key", "value"), [
    ("DASAN_PHOTO_DIR", " "), ("DASAN_PHOTO_MAX_BYTES", "0"), ("DASAN_PHOTO_THUMB_SIDE", "4096"),
    ("DASAN_PHOTO_MAX_PER_COMPLAINT", "0"), ("DASAN_PHOTO_MAX_PIXELS", "-1"),
])
def test_photo_settings_are_validated(key, value):
    from dispatch.settings import Settings, SettingsError

    env = {"DASAN_DATABASE_URL": "postgresql://x/y", "DASAN_SECRET_KEY": "k" * 20, key: value}
    with pytest.raises(SettingsError, match=key):
        Settings.from_env(env)
