import uuid

import pytest
from sqlalchemy import func, select

from dispatch.models import Complaint, ComplaintEvent
from tests.factories import PLACES, complaint_json


def post(client, body, key=None, **headers):
    if key is not None:
        headers["Idempotency-Key"] = str(key)
    return client.post("/api/v1/complaints", json=body, headers=headers)


def count_complaints(session):
    return session.scalar(select(func.count()).select_from(Complaint))


def test_post_complaint_routes_city_hall_to_jung_gu(client, session):
    response = post(client, complaint_json(language="en"), key=uuid.uuid4())
    assert response.status_code == 201
    body = response.get_json()
    assert body["district"] == {"code": "11140", "name": "Jung-gu"}
    assert body["dong"]["code"].startswith("11140")
    assert body["status"] == "dispatched"
    assert body["public_id"]
    assert response.headers["Location"] == f"/api/v1/complaints/{body['public_id']}"
    # Times are shown in Asia/Seoul; the street-lamp SLA is 24 hours.
    assert body["created_at"].endswith("+09:00")
    assert body["due_at"][:10] != body["created_at"][:10] or "T" in body["due_at"]


def test_post_complaint_never_returns_the_phone(client):
    response = post(client, complaint_json(phone="010-9876-5432"))
    assert "9876" not in response.get_data(as_text=True)
    public_id = response.get_json()["public_id"]
    shown = client.get(f"/api/v1/complaints/{public_id}").get_data(as_text=True)
    assert "9876" not in shown and "phone\"" not in shown.replace("office_phone\"", "")


def test_the_public_view_does_not_tell_the_reporters_language(client):
    # Personal data (DESIGN): public ids are sequential, so anyone could list them all.
    created = post(client, complaint_json(language="mn")).get_json()
    assert created["language"] == "mn"  # the reporter's own answer may say it
    shown = client.get(f"/api/v1/complaints/{created['public_id']}").get_json()
    assert "language" not in shown
    assert shown["public_id"] == created["public_id"]


def test_post_complaint_stores_normalised_phone_location_and_two_events(client, session):
    body = post(client, complaint_json(phone="010-1234-5678")).get_json()
    complaint = session.scalar(select(Complaint).where(Complaint.public_id == body["public_id"]))
    assert complaint.reporter_phone == "+821012345678"
    assert session.scalar(select(func.ST_AsText(Complaint.location)).where(
        Complaint.id == complaint.id)) == "POINT(126.9779 37.5663)"
    events = session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "received"), ("received", "dispatched")]


@pytest.mark.parametrize("language,expected", [
    ("ko", "중구"), ("en", "Jung-gu"), ("zh", "中区"), ("ja", "中区"),
    ("mn", "Жун дүүрэг"), ("vi", "Quận Jung"),
])
def test_post_complaint_names_district_in_reporter_language(client, language, expected):
    body = post(client, complaint_json(language=language)).get_json()
    assert body["district"]["name"] == expected
    assert body["language"] == language


def test_post_complaint_without_address_uses_area_names(client):
    body = post(client, complaint_json(language="ko")).get_json()
    assert body["address"].startswith("중구 ")


def test_post_complaint_keeps_given_address(client):
    body = post(client, complaint_json(address="세종대로 110")).get_json()
    assert body["address"] == "세종대로 110"


def test_post_complaint_due_time_follows_category_sla(client, session):
    body = post(client, complaint_json(category="illegal_parking")).get_json()
    complaint = session.scalar(select(Complaint).where(Complaint.public_id == body["public_id"]))
    assert (complaint.due_at - complaint.created_at).total_seconds() == 120 * 60


@pytest.mark.parametrize("name", sorted(PLACES))
def test_post_complaint_routes_known_places(client, name):
    (lon, lat), district = PLACES[name]
    body = post(client, complaint_json(location={"type": "Point", "coordinates": [lon, lat]}))
    assert body.status_code == 201
    assert body.get_json()["district"]["code"] == district


def test_replay_with_same_key_returns_original_and_creates_nothing(client, session):
    key = uuid.uuid4()
    first = post(client, complaint_json(), key=key)
    before = count_complaints(session)
    second = post(client, complaint_json(), key=key)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.headers["Idempotent-Replayed"] == "false"
    assert second.get_json()["public_id"] == first.get_json()["public_id"]
    assert count_complaints(session) == before


def test_replay_after_the_reader_switched_language_is_still_a_replay(client, session):
    # A background-sync retry after the user switched the UI language: the body has no
    # language, only the Accept-Language header changed. The report must not be lost.
    key = uuid.uuid4()
    body = complaint_json()
    del body["language"]
    first = post(client, body, key=key, **{"Accept-Language": "ko"})
    before = count_complaints(session)
    again = post(client, body, key=key, **{"Accept-Language": "en"})
    by_query = client.post("/api/v1/complaints?lang=ja", json=body,
                           headers={"Idempotency-Key": str(key)})
    assert (first.status_code, again.status_code, by_query.status_code) == (201, 201, 201)
    assert again.headers["Idempotent-Replayed"] == by_query.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["public_id"] == first.get_json()["public_id"]
    assert again.get_json()["language"] == "ko"  # the first request's language stays
    assert count_complaints(session) == before


def test_replay_naming_another_language_in_the_body_is_refused(client):
    key = uuid.uuid4()
    post(client, complaint_json(language="ko"), key=key)
    response = post(client, complaint_json(language="en"), key=key)
    assert response.get_json()["error"] == "idempotency_key_reused"


def test_replay_with_same_key_and_other_body_is_refused(client, session):
    key = uuid.uuid4()
    post(client, complaint_json(), key=key)
    before = count_complaints(session)
    response = post(client, complaint_json(description="something else"), key=key)
    assert response.status_code == 422
    assert response.get_json()["error"] == "idempotency_key_reused"
    assert count_complaints(session) == before


def test_get_unknown_complaint_is_404_with_code(client):
    response = client.get("/api/v1/complaints/000000-0000000")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_get_complaint_in_requested_language(client):
    public_id = post(client, complaint_json(language="ko")).get_json()["public_id"]
    body = client.get(f"/api/v1/complaints/{public_id}?lang=ja").get_json()
    assert body["category"]["name"] == "街灯の故障"


def test_post_complaint_returns_citizen_token_only_at_intake_and_on_replay(client):
    key = uuid.uuid4()
    first = post(client, complaint_json(), key=key).get_json()
    again = post(client, complaint_json(), key=key).get_json()
    assert len(first["citizen_token"]) == 32
    assert again["citizen_token"] == first["citizen_token"]
    shown = client.get(f"/api/v1/complaints/{first['public_id']}").get_json()
    assert "citizen_token" not in shown


def test_post_complaint_just_outside_edge_is_routed_with_distance(client):
    body = post(client, complaint_json(
        location={"type": "Point", "coordinates": [126.76333, 37.55540]})).get_json()
    assert body["district"]["code"] == "11500"
    assert 50 < body["routing_distance_m"] < 120


def test_a_vehicle_plate_is_for_staff_only(client, create_staff, login):
    filed = client.post("/api/v1/complaints", json=complaint_json(
        category="illegal_parking", attributes={"vehicle_plate": "12가3456"}))
    assert filed.status_code == 201, filed.get_json()
    public_id = filed.get_json()["public_id"]
    assert "vehicle_plate" not in client.get(f"/api/v1/complaints/{public_id}"
                                             ).get_json()["attributes"]
    open311 = client.get(f"/open311/v2/requests/{public_id}.json?extensions=true").get_json()
    assert "12가3456" not in str(open311)
    staff = client.get(f"/api/v1/staff/complaints/{public_id}",
                       headers=login(create_staff("inspector", "11140"))).get_json()
    assert staff["attributes"] == {"vehicle_plate": "12가3456"}
    # A lamp-post number is no one's personal data: it stays public.
    lamp = client.post("/api/v1/complaints", json=complaint_json(
        attributes={"lamp_post_number": "J-1024"})).get_json()
    assert client.get(f"/api/v1/complaints/{lamp['public_id']}").get_json()[
        "attributes"] == {"lamp_post_number": "J-1024"}
    specs = {spec["code"]: spec for category in client.get("/api/v1/categories").get_json()
             for spec in category["attributes"]}
    assert specs["vehicle_plate"]["private"] is True


def test_attributes_of_a_category_no_longer_active_are_not_shown_publicly():
    from dispatch.categories import public_attributes

    # Its specs (and which of them are private) are unknown once it is inactive.
    assert public_attributes(None, {"vehicle_plate": "12가3456"}) == {}


def test_the_public_view_gives_120_when_no_office_number_is_on_file(client, session):
    # The same number the dispatched text gives (the Dasan Call Center connects every office).
    from dispatch.areas import reset_router, set_office_phone

    created = post(client, complaint_json()).get_json()
    assert created["district"]["code"] == "11140"
    shown = client.get(f"/api/v1/complaints/{created['public_id']}").get_json()
    assert shown["district_office_phone"] == "120"
    set_office_phone(session, "11140", "02-3396-4114")
    reset_router()
    try:
        shown = client.get(f"/api/v1/complaints/{created['public_id']}").get_json()
        assert shown["district_office_phone"] == "02-3396-4114"
    finally:
        reset_router()


def test_a_required_attribute_left_blank_is_refused_with_which_and_why(client, session):
    # The PWA forms check the same rule before sending: blank (spaces too) is missing.
    from dispatch.categories import forget_cached_categories
    from dispatch.models import Category

    lamp = session.get(Category, "street_lamp")
    lamp.attributes = [{**lamp.attributes[0], "required": True}]
    session.flush()
    forget_cached_categories()
    try:
        for given in ({}, {"lamp_post_number": "   "}):
            response = post(client, complaint_json(category="street_lamp", attributes=given))
            assert response.status_code == 422
            body = response.get_json()
            assert body["error"] == "invalid_complaint"
            assert body["details"] == {"attribute": "lamp_post_number", "problem": "required"}
        response = post(client, complaint_json(category="street_lamp",
                                               attributes={"lamp_post_number": "x" * 201}))
        assert response.get_json()["details"]["problem"] == "too_long"
        response = post(client, complaint_json(category="street_lamp",
                                               attributes={"lamp_post_number": " J-7 "}))
        assert response.status_code == 201
    finally:
        forget_cached_categories()
