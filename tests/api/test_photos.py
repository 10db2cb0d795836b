import io
import os
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from dispatch import imaging
from dispatch.citizens import citizen_token
from dispatch.models import ComplaintPhoto
from tests.factories import CITY_HALL, PLACES
from tests.photo_factory import assert_clean, bad_files, make_exif, make_image

SEOUL = ZoneInfo("Asia/Seoul")
FAR_AWAY = (CITY_HALL[0], CITY_HALL[1] + 0.01)


def files(*blobs: bytes, field: str = "photos") -> dict:
    return {field: [(io.BytesIO(blob), f"photo{number}.jpg")
                    for number, blob in enumerate(blobs)]}


def url(complaint, suffix: str = "") -> str:
    return f"/api/v1/complaints/{complaint.public_id}/photos{suffix}"


def post_multipart(client, path, data, headers):
    # Encoded in memory: the test client would spool large bodies to a temp file that
    # it does not close, which filterwarnings=error turns into a failure.
    fields = MultiDict()
    for name, values in data.items():
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, tuple):
                stream, filename, *content_type = value
                value = FileStorage(stream, filename=filename,
                                    content_type=(content_type or ["image/jpeg"])[0])
            fields.add(name, value)
    boundary, body = encode_multipart(fields)
    return client.post(path, data=body, headers=headers,
                       content_type=f"multipart/form-data; boundary={boundary}")


def upload(client, complaint, headers, *blobs, **kwargs):
    return post_multipart(client, url(complaint), files(*blobs, **kwargs), headers)


def blob_count(settings) -> int:
    return sum(1 for path in Path(settings.photo_dir).glob("??/??/*") if path.is_file())


def row_count(session, complaint) -> int:
    return session.query(ComplaintPhoto).filter_by(complaint_id=complaint.id).count()


# --- the reporter ---------------------------------------------------------------------------


def test_reporter_uploads_photos_and_gets_them_back_without_exif(client, complaint, reporter):
    exif = make_exif(lonlat=CITY_HALL, taken_at=datetime(2026, 11, 28, 9, 0), offset="+09:00")
    response = upload(client, complaint, reporter, make_image((3000, 2000), exif=exif),
                      make_image((400, 300), "PNG"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [photo["kind"] for photo in body["photos"]] == ["report", "report"]
    first = body["photos"][0]
    assert (first["width"], first["height"]) == (2048, 1365)
    # The reporter does not see positions, times or flags.
    assert "location" not in first and "flags" not in first and body["flags"] == []

    image = client.get(url(complaint, f"/{first['id']}"), headers=reporter)
    assert image.status_code == 200
    assert image.mimetype == "image/jpeg"
    assert image.headers["Cache-Control"] == "private, max-age=3600"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in image.headers["Content-Security-Policy"]
    assert assert_clean(image.data).size == (2048, 1365)

    thumb = client.get(url(complaint, f"/{first['id']}?size=thumb"), headers=reporter)
    assert thumb.status_code == 200
    assert assert_clean(thumb.data).size == (320, 213)

    listing = client.get(url(complaint), headers=reporter)
    assert listing.status_code == 200
    assert [photo["id"] for photo in listing.get_json()["photos"]] == [
        photo["id"] for photo in body["photos"]]


def test_photo_answers_304_for_matching_etag(client, complaint, reporter):
    [photo] = upload(client, complaint, reporter, make_image()).get_json()["photos"]
    first = client.get(url(complaint, f"/{photo['id']}"), headers=reporter)
    again = client.get(url(complaint, f"/{photo['id']}"),
                       headers={**reporter, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_signed_url_serves_photo_without_headers(client, complaint, reporter):
    [photo] = upload(client, complaint, reporter, make_image()).get_json()["photos"]
    assert client.get(photo["url"]).status_code == 200
    assert client.get(photo["thumb_url"]).status_code == 200


@pytest.mark.parametrize("tamper", ["signature", "non_ascii", "photo", "variant", "expired"])
def test_tampered_or_expired_signed_url_is_refused(client, complaint, reporter, settings,
                                                   tamper):
    [photo] = upload(client, complaint, reporter, make_image(), make_image()
                     ).get_json()["photos"][:1]
    parts = urlsplit(photo["url"])
    query = {key: value[0] for key, value in parse_qs(parts.query).items()}
    path = parts.path
    if tamper == "signature":
        query["sig"] = "0" * 32
    elif tamper == "non_ascii":  # compare_digest refuses such str: it was a 500
        query["sig"] = "é" * 32
    elif tamper == "photo":
        path = url(complaint, f"/{photo['id'] + 1}")
    elif tamper == "variant":
        query["size"] = "thumb"
    else:
        query["expires"] = str(int(query["expires"]) - settings.photo_url_ttl_seconds - 120)
    response = client.get(path, query_string=query)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_photos_need_a_token(client, complaint, reporter):
    [photo] = upload(client, complaint, reporter, make_image()).get_json()["photos"]
    for response in (client.get(url(complaint)), client.get(url(complaint, f"/{photo['id']}")),
                     upload(client, complaint, {}, make_image())):
        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthorized"


def test_wrong_citizen_token_is_not_found(client, complaint, create_complaint, settings):
    other = create_complaint(lonlat=PLACES["coex"][0])
    wrong = {"X-Citizen-Token": citizen_token(settings.secret_key, other.public_id)}
    assert upload(client, complaint, wrong, make_image()).status_code == 404
    assert client.get(url(complaint), headers=wrong).status_code == 404


def test_public_complaint_view_shows_no_photos(client, complaint, reporter):
    upload(client, complaint, reporter, make_image())
    body = client.get(f"/api/v1/complaints/{complaint.public_id}").get_json()
    assert "photos" not in body


def test_photo_of_another_complaint_is_not_found(client, complaint, reporter, create_complaint,
                                                 settings):
    other = create_complaint(lonlat=PLACES["coex"][0])
    other_reporter = {"X-Citizen-Token": citizen_token(settings.secret_key, other.public_id)}
    [photo] = upload(client, other, other_reporter, make_image()).get_json()["photos"]
    response = client.get(url(complaint, f"/{photo['id']}"), headers=reporter)
    assert response.status_code == 404


def test_reporter_cannot_add_photos_to_a_closed_complaint(client, session, complaint,
                                                          reporter):
    complaint.status = "resolved"
    session.flush()
    response = upload(client, complaint, reporter, make_image())
    assert response.status_code == 409
    assert response.get_json()["error"] == "complaint_closed"


# --- staff ----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "district", "allowed"), [
    ("inspector", "11140", True),
    ("supervisor", "11140", True),
    ("dispatcher", None, True),
    ("admin", None, True),
    ("inspector", "11680", False),
    ("supervisor", "11680", False),
])
def test_staff_access_follows_role_and_district(client, session, complaint, reporter,
                                                create_staff, login, role, district, allowed):
    [report_photo] = upload(client, complaint, reporter, make_image()).get_json()["photos"]
    member = create_staff(role, district)
    if role == "inspector":  # evidence comes from the inspector sent there
        complaint.assignee_id = member.id
        session.flush()
    headers = login(member)
    uploaded = upload(client, complaint, headers, make_image())
    listed = client.get(url(complaint), headers=headers)
    shown = client.get(url(complaint, f"/{report_photo['id']}"), headers=headers)
    if allowed:
        assert uploaded.status_code == 201
        assert uploaded.get_json()["photos"][0]["kind"] == "evidence"
        assert listed.status_code == 200 and len(listed.get_json()["photos"]) == 2
        assert shown.status_code == 200
    else:
        for response in (uploaded, listed, shown):
            assert response.status_code == 403
            assert response.get_json()["error"] == "forbidden"


def test_staff_with_expired_or_forged_token_gets_401(client, complaint):
    headers = {"Authorization": "Bearer not-a-real-token"}
    assert upload(client, complaint, headers, make_image()).status_code == 401
    assert client.get(url(complaint), headers=headers).status_code == 401


def test_evidence_flags_are_shown_to_staff_only(client, session, complaint, reporter,
                                                create_staff, login):
    member = create_staff("inspector", "11140")
    complaint.assignee_id = member.id
    session.flush()
    inspector = login(member)
    yesterday = (complaint.created_at - timedelta(days=1)).astimezone(SEOUL)
    far = make_image(exif=make_exif(lonlat=FAR_AWAY))
    old = make_image(exif=make_exif(lonlat=CITY_HALL, taken_at=yesterday, offset="+09:00"))
    response = upload(client, complaint, inspector, far, old)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [photo["flags"] for photo in body["photos"]] == [
        ["far_from_site"], ["taken_before_complaint"]]
    assert body["flags"] == ["far_from_site", "taken_before_complaint"]
    far_photo = body["photos"][0]
    assert far_photo["location"]["coordinates"] == pytest.approx(list(FAR_AWAY), abs=1e-6)
    assert far_photo["distance_m"] == pytest.approx(1112, abs=5)

    listing = client.get(url(complaint), headers=inspector).get_json()
    assert listing["flags"] == ["far_from_site", "taken_before_complaint"]
    as_reporter = client.get(url(complaint), headers=reporter).get_json()
    assert as_reporter["flags"] == []
    assert all("flags" not in photo for photo in as_reporter["photos"])


def test_evidence_on_a_report_by_text_is_not_judged_by_its_stand_in_point(
        client, session, complaint, create_staff, login):
    # A report by text is placed inside its dong, not at the spot: an inspector's photo a
    # kilometre from that stand-in point may well be at the spot.
    member = create_staff("inspector", "11140")
    complaint.assignee_id = member.id
    complaint.location_precision = "dong"
    session.flush()
    body = upload(client, complaint, login(member),
                  make_image(exif=make_exif(lonlat=FAR_AWAY))).get_json()
    assert body["photos"][0]["flags"] == [] and body["flags"] == []
    assert body["photos"][0]["distance_m"] is None
    assert body["photos"][0]["location"]["coordinates"] == pytest.approx(list(FAR_AWAY),
                                                                         abs=1e-6)


def test_evidence_equal_to_the_reporters_photo_is_refused_not_dropped(client, session, complaint,
                                                                     reporter, create_staff,
                                                                     login):
    # The inspector re-sends the citizen's picture (same pixels, other EXIF): it proves no
    # visit, and answering 201 with only the citizen's row lost the upload silently.
    member = create_staff("inspector", "11140")
    complaint.assignee_id = member.id
    session.flush()
    inspector = login(member)
    assert upload(client, complaint, reporter, make_image(split=True)).status_code == 201
    response = upload(client, complaint, inspector,
                      make_image(split=True, exif=make_exif(lonlat=CITY_HALL)))
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "evidence_is_report_photo"
    assert body["details"]["index"] == 0
    assert row_count(session, complaint) == 1
    # and the other way round: the reporter cannot pass the inspector's evidence off as theirs
    evidence = make_image((300, 400))
    assert upload(client, complaint, inspector, evidence).status_code == 201
    again = upload(client, complaint, reporter, evidence)
    assert (again.status_code, again.get_json()["error"]) == (422, "report_is_evidence_photo")
    assert row_count(session, complaint) == 2


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(bad_files()))
def test_bad_file_is_refused_and_nothing_is_stored(client, session, settings, complaint,
                                                   reporter, name):
    data, status, code = bad_files()[name]
    before = blob_count(settings)
    # A good photo first: the request is all or nothing.
    response = upload(client, complaint, reporter, make_image(), data)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error"] == code
    assert body["details"]["index"] == 1
    assert row_count(session, complaint) == 0
    assert blob_count(settings) == before


def test_upload_while_every_decoding_slot_is_busy_is_503(client, session, settings, complaint,
                                                        reporter, monkeypatch):
    hold_slot = imaging.decode_slot
    monkeypatch.setattr(imaging, "decode_slot", lambda count, _wait: hold_slot(count, 0.05))
    with ExitStack() as slots:
        for _ in range(settings.photo_max_decodes):
            slots.enter_context(hold_slot(settings.photo_max_decodes, 0))
        response = upload(client, complaint, reporter, make_image((64, 64)))
    assert response.status_code == 503
    assert response.get_json()["error"] == "photo_decoders_busy"
    assert response.headers["Retry-After"] == "30"
    assert row_count(session, complaint) == 0
    assert upload(client, complaint, reporter, make_image((64, 64))).status_code == 201


def test_photo_over_byte_limit_is_413(client, session, settings, complaint, reporter):
    jpeg = make_image((64, 64))
    too_big = jpeg + os.urandom(settings.photo_max_bytes + 1 - len(jpeg))
    response = upload(client, complaint, reporter, too_big)
    assert response.status_code == 413
    assert response.get_json()["error"] == "payload_too_large"
    assert response.get_json()["details"]["max_bytes"] == settings.photo_max_bytes
    assert row_count(session, complaint) == 0


def test_too_many_photos_in_one_request_is_422(client, session, settings, complaint,
                                               reporter):
    blobs = [make_image((32, 32)) for _ in range(settings.photo_max_per_complaint + 1)]
    response = upload(client, complaint, reporter, *blobs)
    assert response.status_code == 422
    assert response.get_json()["error"] == "too_many_photos"
    assert row_count(session, complaint) == 0


def test_too_many_photos_over_two_requests_is_422(client, session, settings, complaint,
                                                  reporter):
    limit = settings.photo_max_per_complaint
    first = upload(client, complaint, reporter, *[make_image((32, 32)) for _ in range(limit)])
    assert first.status_code == 201
    second = upload(client, complaint, reporter, make_image((32, 32)))
    assert second.status_code == 422
    assert second.get_json()["details"] == {"max_photos": limit, "attached": limit}
    assert row_count(session, complaint) == limit


def test_same_photo_sent_again_is_not_counted_twice(client, session, complaint, reporter):
    data = make_image()
    first = upload(client, complaint, reporter, data).get_json()["photos"]
    again = upload(client, complaint, reporter, data).get_json()["photos"]
    assert [photo["id"] for photo in again] == [photo["id"] for photo in first]
    assert row_count(session, complaint) == 1


def test_json_body_is_unsupported_media_type(client, complaint, reporter):
    response = client.post(url(complaint), json={"photos": ["aGVsbG8="]}, headers=reporter)
    assert response.status_code == 415
    assert response.get_json()["error"] == "unsupported_media_type"


def test_multipart_without_files_is_empty_file(client, complaint, reporter):
    response = post_multipart(client, url(complaint), {"note": "no file"}, reporter)
    assert response.status_code == 422
    assert response.get_json()["error"] == "empty_file"


def test_browser_empty_file_input_is_ignored(client, complaint, reporter):
    data = {"photos": [(io.BytesIO(b""), ""), (io.BytesIO(make_image()), "real.jpg")]}
    response = post_multipart(client, url(complaint), data, reporter)
    assert response.status_code == 201
    assert len(response.get_json()["photos"]) == 1


def test_file_named_like_an_image_is_judged_by_its_bytes(client, complaint, reporter):
    data = {"photos": [(io.BytesIO(b"<svg onload=alert(1)>"), "cat.jpg", "image/jpeg")]}
    response = post_multipart(client, url(complaint), data, reporter)
    assert response.status_code == 415


def test_malformed_multipart_body_is_4xx(client, complaint, reporter):
    response = client.post(url(complaint), data=b"--xyz\r\nContent-Disposition: form-da",
                           headers={**reporter,
                                    "Content-Type": "multipart/form-data; boundary=xyz"})
    assert 400 <= response.status_code < 500


def test_photo_endpoints_of_unknown_complaint_are_404(client, reporter):
    assert client.get("/api/v1/complaints/NOPE/photos", headers=reporter).status_code == 404
    assert client.get("/api/v1/complaints/NOPE/photos/1", headers=reporter).status_code == 404


def test_photo_id_beyond_bigint_is_404(client, complaint, reporter):
    response = client.get(url(complaint, f"/{2**70}"), headers=reporter)
    assert response.status_code == 404


def test_bad_query_arguments_are_422(client, complaint, reporter):
    response = client.get(url(complaint, "/1?size=huge"), headers=reporter)
    assert response.status_code == 422


# --- intake with photos -------------------------------------------------------------------

INTAKE = "/api/v1/complaints/with-photos"


def intake_form(*blobs: bytes, **fields) -> dict:
    form = {"category": "street_lamp", "description": "lamp out", "phone": "010-2222-3333",
            "language": "en", **fields}
    return {**form, **files(*blobs)}


def complaint_count(session) -> int:
    from dispatch.models import Complaint

    return session.query(Complaint).count()


def test_intake_with_photos_and_coordinates(client, session):
    lon, lat = CITY_HALL
    response = post_multipart(client, INTAKE, intake_form(make_image(), make_image((300, 400)),
                                                          lon=str(lon), lat=str(lat)), {})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["location_source"] == "form" and body["district"]["code"] == "11140"
    assert [photo["kind"] for photo in body["photos"]] == ["report", "report"]
    assert "phone" not in body and "flags" not in body["photos"][0]
    token = {"X-Citizen-Token": body["citizen_token"]}
    listing = client.get(f"/api/v1/complaints/{body['public_id']}/photos", headers=token)
    assert len(listing.get_json()["photos"]) == 2
    assert client.get(body["photos"][0]["url"]).status_code == 200


def test_intake_without_coordinates_takes_the_photos_gps(client):
    coex, district = PLACES["coex"]
    blobs = (make_image(fmt="PNG"), make_image(exif=make_exif(lonlat=coex)))
    response = post_multipart(client, INTAKE, intake_form(*blobs), {})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["location_source"] == "photo"
    assert body["district"]["code"] == district
    assert body["location"]["coordinates"] == pytest.approx(list(coex), abs=1e-6)


def test_intake_without_coordinates_or_gps_is_422_and_stores_nothing(client, session,
                                                                     settings):
    before, blobs_before = complaint_count(session), blob_count(settings)
    response = post_multipart(client, INTAKE, intake_form(make_image()), {})
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid_location"
    assert complaint_count(session) == before and blob_count(settings) == blobs_before


def test_intake_with_photos_replay_returns_the_same_complaint_and_photos(client, session):
    key = {"Idempotency-Key": "6b7c1f0e-8d55-4a4e-9a55-0b2a3c4d5e6f"}
    photo = make_image(exif=make_exif(lonlat=CITY_HALL))
    first = post_multipart(client, INTAKE, intake_form(photo), key)
    # The replay carries the same picture and one more: nothing is added.
    again = post_multipart(client, INTAKE, intake_form(photo, make_image()), key)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["public_id"] == first.get_json()["public_id"]
    assert [p["id"] for p in again.get_json()["photos"]] == [
        p["id"] for p in first.get_json()["photos"]]


def test_intake_with_photos_replay_in_another_ui_language_is_a_replay(client, session):
    key = {"Idempotency-Key": "0f3e6a1c-2b4d-4e8f-9a1b-3c5d7e9f1a2b"}
    photo = make_image(exif=make_exif(lonlat=CITY_HALL))
    form = {name: value for name, value in intake_form(photo).items() if name != "language"}
    first = post_multipart(client, INTAKE, form, {**key, "Accept-Language": "ko"})
    form = {name: value for name, value in intake_form(photo).items() if name != "language"}
    again = post_multipart(client, INTAKE, form, {**key, "Accept-Language": "mn"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["public_id"] == first.get_json()["public_id"]


@pytest.mark.parametrize("name", ["svg_with_script", "truncated_jpeg", "bomb_png", "empty"])
def test_intake_with_a_bad_photo_creates_no_complaint(client, session, settings, name):
    data, status, code = bad_files()[name]
    before, blobs_before = complaint_count(session), blob_count(settings)
    lon, lat = CITY_HALL
    response = post_multipart(client, INTAKE, intake_form(make_image(), data, lon=str(lon),
                                                          lat=str(lat)), {})
    assert (response.status_code, response.get_json()["error"]) == (status, code)
    assert complaint_count(session) == before and blob_count(settings) == blobs_before


@pytest.mark.parametrize(("fields", "field"), [
    ({"lon": "126.97"}, "lat"),
    ({"lon": "500", "lat": "37.5"}, "lon"),
    ({"lon": "nan", "lat": "37.5"}, "lon"),
    ({"attributes": "not json"}, "attributes"),
    ({"attributes": '{"pole": 5}'}, "attributes"),
    # Escaped inside the JSON, so the request-wide guard cannot see them.
    ({"attributes": '{"vehicle_plate": "\\u0000"}'}, "attributes"),
    ({"attributes": '{"vehicle_plate": "\\ud800"}'}, "attributes"),
    ({"attributes": '{"\\u0000": "12"}'}, "attributes"),
    ({"category": ""}, "category"),
    ({"language": "xx"}, "language"),
])
def test_intake_with_photos_bad_fields_are_422(client, fields, field):
    response = post_multipart(client, INTAKE, intake_form(make_image(), **fields), {})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_error" and field in body["errors"]["form"]


@pytest.mark.parametrize("depth", [2, 40, 1500])
def test_intake_with_photos_nested_attributes_are_refused_as_the_body_guard_does(
        client, session, depth):
    """Nested JSON in the attributes field gets the answer a nested JSON body gets."""
    lon, lat = CITY_HALL
    before = complaint_count(session)
    nested = "[" * depth + "]" * depth
    response = post_multipart(client, INTAKE, intake_form(
        make_image(), lon=str(lon), lat=str(lat), attributes=nested), {})
    if depth == 2:  # shallow, but not an object of strings
        assert response.status_code == 422, response.get_data(as_text=True)
        assert "attributes" in response.get_json()["errors"]["form"]
    else:
        assert response.status_code == 400, response.get_data(as_text=True)
        assert response.get_json()["error"] == "invalid_json"
        assert "nested too deeply" in response.get_json()["message"]
        body_guard = client.post("/api/v1/complaints", data=nested,
                                 content_type="application/json")
        assert body_guard.status_code == 400
        assert body_guard.get_json()["error"] == "invalid_json"
        assert body_guard.get_json()["message"] == response.get_json()["message"]
    assert complaint_count(session) == before


def test_intake_with_photos_needs_multipart(client):
    response = client.post(INTAKE, json={"category": "street_lamp"})
    assert response.status_code == 415
    assert response.get_json()["error"] == "unsupported_media_type"


def test_body_over_request_limit_is_413(app, client, complaint, reporter):
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    try:
        for path in (url(complaint), INTAKE):
            response = post_multipart(client, path, intake_form(make_image((1200, 900))),
                                      reporter)
            assert response.status_code == 413
            assert response.get_json()["error"] == "payload_too_large"
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit


def test_reporter_uploads_share_the_intake_limit_per_address(client, complaint, reporter,
                                                             low_limits, create_staff, login):
    low_limits(rate_limit_intake_ip="2/minute")
    statuses = [upload(client, complaint, reporter, make_image((32, 32))).status_code
                for _ in range(3)]
    assert statuses == [201, 201, 429]
    staff = login(create_staff("supervisor", "11140"))
    assert upload(client, complaint, staff, make_image((32, 32))).status_code == 201
