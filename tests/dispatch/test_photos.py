import io
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from dispatch import photos
from dispatch.errors import (
    ComplaintClosed,
    CorruptImage,
    EmptyFile,
    PhotoOfOtherKind,
    TooManyPhotos,
)
from dispatch.events import Actor
from dispatch.models import ComplaintEvent, ComplaintPhoto, PhotoKind
from dispatch.photos import Upload
from dispatch.storage import LocalPhotoStore
from tests.factories import CITY_HALL
from tests.photo_factory import assert_clean, bad_files, make_exif, make_image

SEOUL = ZoneInfo("Asia/Seoul")
# About 1.1 km north of City Hall, still in Seoul.
FAR_AWAY = (CITY_HALL[0], CITY_HALL[1] + 0.01)


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


def test_evidence_with_the_pixels_of_a_report_photo_is_refused(session, settings, store,
                                                               create_complaint, create_staff):
    complaint = create_complaint()
    inspector = create_staff()
    photos.attach_photos(session, settings, store, complaint, [Upload(make_image(split=True))],
                         kind=PhotoKind.REPORT, actor=Actor.citizen())
    again = make_image(split=True, exif=make_exif(lonlat=FAR_AWAY))
    with pytest.raises(PhotoOfOtherKind) as refused:
        photos.attach_photos(session, settings, store, complaint,
                             [Upload(make_image((300, 400))), Upload(again, "b.jpg")],
                             kind=PhotoKind.EVIDENCE, actor=Actor("staff", inspector.id))
    assert refused.value.code == "evidence_is_report_photo"
    assert refused.value.details["index"] == 1
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
    assert photos.count_evidence_photos(session, complaint) == 0
    photos.attach_photos(session, settings, store, complaint, [Upload(make_image())],
                         kind=PhotoKind.REPORT, actor=Actor.citizen())
    assert photos.count_evidence_photos(session, complaint) == 0
    photos.attach_photos(session, settings, store, complaint,
                         [Upload(make_image()), Upload(make_image())],
                         kind=PhotoKind.EVIDENCE, actor=Actor("staff", None))
    assert photos.count_evidence_photos(session, complaint) == 2


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


class StoreWithAReplayDuringTheSweep:
    """A store whose first deletion lets a replayed upload in, as another worker would."""

    def __init__(self, store: LocalPhotoStore, keys: list[str], replay) -> None:
        self.store, self.fixed_keys, self.replay = store, keys, replay

    def keys(self, older_than_seconds: float = 0.0):
        return iter(self.fixed_keys)  # the orphan that goes first, then the replayed ones

    def delete(self, key: str, older_than_seconds: float = 0.0) -> bool:
        if key == self.fixed_keys[0]:
            self.replay()
        return self.store.delete(key, older_than_seconds)


def _age(store: LocalPhotoStore, *keys: str) -> None:
    for key in keys:
        os.utime(store.path(key), (time.time() - 7200, time.time() - 7200))


@pytest.mark.parametrize("replay_commits_a_row", [False, True])
def test_sweep_spares_an_old_orphan_uploaded_again_during_the_sweep(
        session, settings, tmp_path, create_complaint, replay_commits_a_row):
    store = LocalPhotoStore(tmp_path)
    complaint = create_complaint()
    photo = photos.process_photo(make_image())
    orphan = store.put(b"a true orphan")
    image, thumb = store.put(photo.image), store.put(photo.thumb)
    _age(store, orphan, image, thumb)

    def replay():
        if replay_commits_a_row:
            photos.attach_photos(session, settings, store, complaint, [photo],
                                 kind=PhotoKind.REPORT, actor=Actor.citizen())
            _age(store, image, thumb)  # so only the row can save them (a store without mtimes)
        else:
            store.put(photo.image)  # the request has refreshed them, its rows not yet committed
            store.put(photo.thumb)

    swept = StoreWithAReplayDuringTheSweep(store, [orphan, image, thumb], replay)
    assert photos.sweep_orphan_photos(session, swept, older_than_seconds=3600) == 1
    assert not store.exists(orphan)
    assert store.get(image) == photo.image and store.get(thumb) == photo.thumb


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
            complaint = session.get(Complaint, complaint_id)
            assert photos.count_evidence_photos(session, complaint) == 0
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


def test_photo_summary_counts_kinds_and_lists_evidence_flags(session, settings,
                                                             create_complaint):
    store = LocalPhotoStore(settings.photo_dir)
    complaint = create_complaint()
    assert photos.photo_summary(session, complaint) == {
        "report": 0, "evidence": 0, "evidence_this_visit": 0, "flags": []}
    photos.attach_photos(session, settings, store, complaint,
                         [Upload(make_image(exif=make_exif(lonlat=FAR_AWAY)))],
                         kind=PhotoKind.REPORT, actor=Actor.citizen())
    photos.attach_photos(session, settings, store, complaint,
                         [Upload(make_image(exif=make_exif(lonlat=FAR_AWAY)))],
                         kind=PhotoKind.EVIDENCE, actor=Actor("staff", None))
    assert photos.photo_summary(session, complaint) == {
        "report": 1, "evidence": 1, "evidence_this_visit": 1, "flags": ["far_from_site"]}
    # Assigned again (a reopen, a hand-over): the earlier photo is not this visit's.
    complaint.assigned_at = datetime.now(UTC) + timedelta(seconds=1)
    assert photos.photo_summary(session, complaint)["evidence_this_visit"] == 0


def test_a_complaint_closed_while_a_photo_was_on_its_way_takes_no_photo(engine, settings,
                                                                        store):
    import uuid

    from sqlalchemy import delete, update
    from sqlalchemy.orm import Session

    from dispatch.intake import ComplaintDraft, submit_complaint
    from dispatch.models import Complaint, Notification

    with Session(engine) as session:
        complaint = submit_complaint(session, settings, ComplaintDraft(
            category="other", lon=CITY_HALL[0], lat=CITY_HALL[1],
            description=f"photo race {uuid.uuid4().hex[:8]}")).complaint
        session.commit()
        complaint_id = complaint.id
    uploader = Session(engine)
    try:
        seen = uploader.get(Complaint, complaint_id)  # read while still open
        assert seen.status == "dispatched"
        with Session(engine) as other:  # an inspector closes it meanwhile
            other.execute(update(Complaint).where(Complaint.id == complaint_id)
                          .values(status="unfounded", version=Complaint.version + 1))
            other.commit()
        with pytest.raises(ComplaintClosed):
            photos.attach_photos(uploader, settings, store, seen, [Upload(make_image())],
                                 kind=PhotoKind.EVIDENCE, actor=Actor("staff", None))
        uploader.rollback()
    finally:
        uploader.close()
        with Session(engine) as session:
            for model in (ComplaintPhoto, ComplaintEvent, Notification):
                session.execute(delete(model).where(model.complaint_id == complaint_id))
            session.execute(delete(Complaint).where(Complaint.id == complaint_id))
            session.commit()
