"""Intake: idempotency under real concurrency, and the workflow's own checks."""

import hashlib
import json
import threading
import uuid

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dispatch.errors import (
    IdempotencyKeyReused,
    InvalidComplaint,
    InvalidPhone,
    UnknownCategory,
)
from dispatch.intake import ComplaintDraft, submit_complaint
from dispatch.models import Complaint, ComplaintEvent
from tests.factories import CITY_HALL


def draft(**overrides):
    return ComplaintDraft(**{"category": "garbage", "lon": CITY_HALL[0], "lat": CITY_HALL[1],
                             "description": "bags left for days", **overrides})


def test_same_key_sent_concurrently_makes_one_complaint(engine, settings):
    key = uuid.uuid4()
    answers, failures = [], []
    barrier = threading.Barrier(16)

    def send():
        try:
            with Session(engine) as session:
                barrier.wait()
                result = submit_complaint(session, settings, draft(), client_ref=key)
                session.commit()
                answers.append((result.complaint.public_id, result.created))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=send) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        assert len({public_id for public_id, _ in answers}) == 1
        assert sum(created for _, created in answers) == 1
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Complaint)
                                  .where(Complaint.client_ref == key)) == 1
    finally:
        with Session(engine) as session:
            ids = select(Complaint.id).where(Complaint.client_ref == key)
            session.execute(delete(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(ids)))
            session.execute(delete(Complaint).where(Complaint.client_ref == key))
            session.commit()


def test_replay_returns_original_even_if_category_rules_change(session, settings):
    key = uuid.uuid4()
    first = submit_complaint(session, settings, draft(), client_ref=key)
    again = submit_complaint(session, settings, draft(), client_ref=key)
    assert again.complaint.id == first.complaint.id and not again.created


def test_same_key_different_content_raises(session, settings):
    key = uuid.uuid4()
    submit_complaint(session, settings, draft(), client_ref=key)
    with pytest.raises(IdempotencyKeyReused):
        submit_complaint(session, settings, draft(description="other"), client_ref=key)


def legacy_hash(**overrides):
    """The request hash stored before negotiated languages left the fingerprint."""
    fields = {"category": "garbage", "lon": CITY_HALL[0], "lat": CITY_HALL[1],
              "description": "bags left for days", "address": None, "phone": None,
              "language": "ko", "channel": "pwa", "attributes": {}, **overrides}
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def test_a_negotiated_language_is_not_part_of_the_fingerprint(session, settings):
    key = uuid.uuid4()
    first = submit_complaint(session, settings, draft(language="ko", language_sent=False),
                             client_ref=key)
    again = submit_complaint(session, settings, draft(language="en", language_sent=False),
                             client_ref=key)
    assert again.complaint.id == first.complaint.id and not again.created
    assert first.complaint.reporter_language == "ko"
    with pytest.raises(IdempotencyKeyReused):  # a language the body names still counts
        submit_complaint(session, settings, draft(language="en"), client_ref=key)


@pytest.mark.parametrize("sent", [True, False])
def test_a_hash_stored_before_the_change_still_recognises_its_replay(session, settings, sent):
    # A retry arriving right after the deploy: the row holds the old hash, which had the
    # negotiated language in it.
    key = uuid.uuid4()
    first = submit_complaint(session, settings, draft(language="ja", language_sent=sent),
                             client_ref=key)
    first.complaint.request_hash = legacy_hash(language="ja")
    session.flush()
    retry_language = "ja" if sent else "vi"
    again = submit_complaint(session, settings,
                             draft(language=retry_language, language_sent=sent),
                             client_ref=key)
    assert again.complaint.id == first.complaint.id and not again.created
    with pytest.raises(IdempotencyKeyReused):
        submit_complaint(session, settings, draft(description="other", language_sent=sent),
                         client_ref=key)


def test_without_key_every_call_makes_a_complaint(session, settings):
    first = submit_complaint(session, settings, draft())
    second = submit_complaint(session, settings, draft())
    assert first.complaint.public_id != second.complaint.public_id


@pytest.mark.parametrize("overrides,error", [
    ({"category": "nope"}, UnknownCategory),
    ({"phone": "02-123-4567"}, InvalidPhone),
    ({"language": "fr"}, InvalidComplaint),
    ({"channel": "fax"}, InvalidComplaint),
    ({"attributes": {"unknown": "x"}}, InvalidComplaint),
])
def test_domain_checks_raise_named_errors(session, settings, overrides, error):
    with pytest.raises(error):
        submit_complaint(session, settings, draft(**overrides))


def test_public_id_has_local_date_and_serial(session, settings):
    complaint = submit_complaint(session, settings, draft()).complaint
    prefix, serial = complaint.public_id.split("-")
    assert len(prefix) == 6 and int(serial) == complaint.id


# --- duplicate search at intake: radius, window, category, status --------------------------

# ~20 m and ~45 m north of City Hall (garbage: radius 30 m, window 48 h).
NEAR = (CITY_HALL[0], CITY_HALL[1] + 0.00018)
FAR = (CITY_HALL[0], CITY_HALL[1] + 0.00040)


def _file(session, settings, lonlat=CITY_HALL, **fields):
    from datetime import UTC, datetime

    now = fields.pop("now", datetime.now(UTC))
    result = submit_complaint(session, settings, draft(lon=lonlat[0], lat=lonlat[1], **fields),
                              now=now)
    return result.complaint


def test_a_second_report_within_the_radius_joins_the_first(session, settings):
    first = _file(session, settings)
    second = _file(session, settings, NEAR)
    assert (second.status, second.parent_id) == ("duplicate", first.id)
    third = _file(session, settings, NEAR)
    assert third.parent_id == first.id  # never the child of a duplicate
    events = session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == second.id, ComplaintEvent.kind == "duplicate")).all()
    assert events[0].data["parent"] == first.public_id


def test_beyond_the_radius_another_category_or_other_is_a_new_complaint(session, settings):
    first = _file(session, settings)
    assert _file(session, settings, FAR).parent_id is None
    assert _file(session, settings, NEAR, category="road_damage").parent_id is None
    other = [_file(session, settings, category="other") for _ in range(2)]  # radius 0: no search
    assert [c.parent_id for c in other] == [None, None]
    assert first.status == "dispatched"


def test_a_report_across_a_district_border_is_not_a_duplicate(session, settings):
    # A neighbour a few metres away that belongs to the next district (made here by moving
    # the first report's district): the parent's inspector could not close it there.
    first = _file(session, settings)
    first.district_code = "11110"
    session.flush()
    second = _file(session, settings, NEAR)
    assert (second.parent_id, second.status, second.district_code) == (
        None, "dispatched", "11140")


def test_outside_the_window_or_after_closure_is_a_new_complaint(session, settings):
    from datetime import UTC, datetime, timedelta

    old = _file(session, settings, now=datetime.now(UTC) - timedelta(hours=49))
    assert old.status == "dispatched"
    assert _file(session, settings, NEAR).parent_id is None
    fresh = _file(session, settings, (CITY_HALL[0] + 0.01, CITY_HALL[1]))
    fresh.status = "resolved"
    session.flush()
    again = _file(session, settings, (CITY_HALL[0] + 0.01, CITY_HALL[1] + 0.00018))
    assert again.parent_id is None
