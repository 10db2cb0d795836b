"""Bad input at the intake and area endpoints: always a 4xx with a stable code, never a 500."""

import json

import pytest
from sqlalchemy import func, select

from dispatch.models import Complaint
from tests.factories import complaint_json


def post_raw(client, data, content_type="application/json", **headers):
    return client.post("/api/v1/complaints", data=data, content_type=content_type,
                       headers=headers)


def assert_error(response, status, error):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == error
    assert body["code"] == status and body["status"] and body["request_id"]
    return body


@pytest.mark.parametrize("raw", ["{bad", '{"category": ', "\x00\x01", "{'single': 'quotes'}"])
def test_malformed_json_is_400_invalid_json(client, raw):
    assert_error(post_raw(client, raw), 400, "invalid_json")


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null"])
def test_json_that_is_not_an_object_is_422(client, raw):
    assert_error(post_raw(client, raw), 422, "validation_error")


def test_missing_fields_are_named(client):
    body = assert_error(post_raw(client, "{}"), 422, "validation_error")
    assert set(body["errors"]["json"]) == {"category", "location"}


@pytest.mark.parametrize("location,field", [
    ({"type": "Point", "coordinates": ["a", "b"]}, "coordinates"),
    ({"type": "Point", "coordinates": [126.9]}, "coordinates"),
    ({"type": "Point", "coordinates": [126.9, 37.5, 1, 2]}, "coordinates"),
    ({"type": "Polygon", "coordinates": [126.9, 37.5]}, "type"),
    ({"coordinates": [126.9, 37.5]}, "type"),
    ({"type": "Point", "coordinates": [200, 37.5]}, "coordinates"),
    ({"type": "Point", "coordinates": [126.9, -95]}, "coordinates"),
    ({"type": "Point", "coordinates": [37.5663, 126.9779]}, "coordinates"),
    ({"type": "Point", "coordinates": [True, False]}, "coordinates"),
    ({"type": "Point", "coordinates": None}, "coordinates"),
])
def test_bad_locations_are_field_errors(client, location, field):
    body = assert_error(client.post("/api/v1/complaints", json=complaint_json(location=location)),
                        422, "validation_error")
    assert field in body["errors"]["json"]["location"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_coordinates_are_refused(client, literal):
    raw = ('{"category": "street_lamp", "location": {"type": "Point", "coordinates": '
           f'[{literal}, 37.5]}}}}')
    body = assert_error(post_raw(client, raw), 422, "validation_error")
    assert "coordinates" in body["errors"]["json"]["location"]


def test_swapped_coordinates_message_explains_the_order(client):
    body = client.post("/api/v1/complaints", json=complaint_json(
        location={"type": "Point", "coordinates": [37.5663, 126.9779]})).get_json()
    assert "[longitude, latitude]" in body["errors"]["json"]["location"]["coordinates"][0]


def test_point_outside_city_names_nearest_district_and_distance(client):
    body = assert_error(client.post("/api/v1/complaints", json=complaint_json(
        location={"type": "Point", "coordinates": [129.0756, 35.1796]})),  # Busan
        422, "outside_service_area")
    assert body["details"]["nearest_district"]["code"]
    assert body["details"]["distance_m"] > 250_000
    assert "m outside the service area" in body["message"]


def test_unknown_category_is_422_and_lists_known(client):
    body = assert_error(client.post("/api/v1/complaints",
                                    json=complaint_json(category="ufo_sighting")),
                        422, "unknown_category")
    assert "street_lamp" in body["details"]["known"]


@pytest.mark.parametrize("language", ["fr", "KO", "", "kor"])
def test_unknown_language_is_422(client, language):
    body = assert_error(client.post("/api/v1/complaints", json=complaint_json(language=language)),
                        422, "validation_error")
    assert "language" in body["errors"]["json"]


def test_oversized_description_is_422(client):
    body = assert_error(client.post("/api/v1/complaints",
                                    json=complaint_json(description="가" * 4001)),
                        422, "validation_error")
    assert "description" in body["errors"]["json"]


def test_description_of_exactly_4000_chars_is_accepted(client):
    assert client.post("/api/v1/complaints",
                       json=complaint_json(description="가" * 4000)).status_code == 201


@pytest.mark.parametrize("phone", ["12345", "02-123-4567", "+82 10", "phone", "0" * 40,
                                   "+1 202-555-01"])
def test_bad_phone_numbers_are_422_invalid_phone(client, phone):
    body = assert_error(client.post("/api/v1/complaints", json=complaint_json(phone=phone)),
                        422, "invalid_phone")
    assert "phone" in body["errors"]["json"]


@pytest.mark.parametrize("value", [123, ["x"], {"a": 1}, True])
def test_wrong_types_are_field_errors(client, value):
    body = assert_error(client.post("/api/v1/complaints",
                                    json=complaint_json(description=value, category=value)),
                        422, "validation_error")
    assert {"description", "category"} <= set(body["errors"]["json"])


@pytest.mark.parametrize("attributes,error", [
    ({"lamp_post_number": "x" * 201}, "invalid_complaint"),
    ({"vehicle_plate": "12가3456"}, "invalid_complaint"),
])
def test_bad_category_attributes_are_refused(client, attributes, error):
    assert_error(client.post("/api/v1/complaints", json=complaint_json(attributes=attributes)),
                 422, error)


@pytest.mark.parametrize("key", ["not-a-uuid", "1234", "' OR 1=1 --"])
def test_bad_idempotency_key_is_422(client, key):
    body = assert_error(client.post("/api/v1/complaints", json=complaint_json(),
                                    headers={"Idempotency-Key": key}), 422, "validation_error")
    assert "Idempotency-Key" in body["errors"]["headers"]


def test_form_encoded_body_is_refused_cleanly(client):
    response = client.post("/api/v1/complaints", data={"category": "street_lamp"})
    assert response.status_code in (415, 422)
    assert response.get_json()["error"] in ("unsupported_media_type", "validation_error")


def test_unknown_route_and_wrong_method_use_the_error_shape(client):
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    response = client.delete("/api/v1/complaints")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_huge_body_is_413(client):
    response = post_raw(client, json.dumps(complaint_json(description="x" * (65 * 2**20))))
    assert_error(response, 413, "payload_too_large")


def test_no_bad_input_stored_anything(client, session):
    before = session.scalar(select(func.count()).select_from(Complaint))
    client.post("/api/v1/complaints", json=complaint_json(category="nope"))
    client.post("/api/v1/complaints", json=complaint_json(phone="123"))
    client.post("/api/v1/complaints", json=complaint_json(
        location={"type": "Point", "coordinates": [129.07, 35.17]}))
    assert session.scalar(select(func.count()).select_from(Complaint)) == before


@pytest.mark.parametrize("query", ["lon=abc&lat=37.5", "lon=126.9", "lon=NaN&lat=37.5",
                                   "lon=126.9&lat=99", "lon=1e999&lat=37.5"])
def test_locate_bad_query_is_422(client, query):
    assert_error(client.get(f"/api/v1/locate?{query}"), 422, "validation_error")


def test_locate_outside_city_is_422_outside_service_area(client):
    assert_error(client.get("/api/v1/locate?lon=129.07&lat=35.17"), 422, "outside_service_area")


@pytest.mark.parametrize("query", ["detail=everything", "lang=xx"])
def test_area_lists_refuse_bad_options(client, query):
    assert_error(client.get(f"/api/v1/dongs?{query}"), 422, "validation_error")


@pytest.mark.parametrize(("pgcode", "status", "error"), [
    ("40P01", 409, "conflict_retry"), ("40001", 409, "conflict_retry"),
    ("55P03", 409, "conflict_retry"), ("57014", 503, "service_unavailable")])
def test_a_lost_race_is_409_to_send_again_and_an_outage_503(app, pgcode, status, error):
    import sqlalchemy.exc

    from api.errors import handle_unavailable

    class Orig(Exception):
        pass

    orig = Orig("from the database")
    orig.pgcode = pgcode
    with app.test_request_context("/api/v1/queue"):
        response = handle_unavailable(sqlalchemy.exc.OperationalError("SELECT", {}, orig))
    assert response.status_code == status and response.get_json()["error"] == error


def test_a_unique_violation_from_a_race_is_409_not_500(client, create_staff, login):
    from unittest import mock

    import sqlalchemy.exc

    class Orig(Exception):
        pgcode = "23505"

    admin = login(create_staff("admin"))
    violation = sqlalchemy.exc.IntegrityError("INSERT", {}, Orig("duplicate key"))
    # Stands in for the concurrent insert of the same username that the check did not see.
    with mock.patch("dispatch.staff.check_password_rules", side_effect=violation):
        response = client.post("/api/v1/staff/accounts", headers=admin, json={
            "username": "raced", "role": "dispatcher", "password": "long-enough-pass"})
    assert response.status_code == 409 and response.get_json()["error"] == "conflict_retry"


# --- what no input should cause, but a bug or a lost race can ------------------------------

SECRET_DETAIL = "password=hunter2 at /srv/dasan/api/categories.py line 42"


def _broken(target: str, error: Exception):
    """Make the function a view calls raise ``error``, as a bug or a race would."""
    from unittest import mock

    return mock.patch(target, side_effect=error)


def _assert_nothing_leaked(response):
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "hunter2" not in text and "/srv/dasan" not in text


def test_an_unexpected_error_is_a_500_in_our_shape_with_no_internals(client, caplog):
    with _broken("api.categories.list_categories", RuntimeError(SECRET_DETAIL)):
        response = client.get("/api/v1/categories", headers={"X-Request-ID": "req-boom-1"})
    body = assert_error(response, 500, "internal_error")
    assert body["request_id"] == response.headers["X-Request-ID"] == "req-boom-1"
    assert response.mimetype == "application/json"
    _assert_nothing_leaked(response)
    # The traceback goes to the log, findable by the request id the caller saw.
    logged = [record for record in caplog.records
              if "req-boom-1" in record.getMessage() and record.exc_info]
    assert logged and SECRET_DETAIL in str(logged[0].exc_info[1])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unexpected_open311_error_is_a_500_in_the_specs_shape(client, caplog, fmt):
    with _broken("dispatch.open311.list_services", RuntimeError(SECRET_DETAIL)):
        response = client.get(f"/open311/v2/services.{fmt}",
                              headers={"X-Request-ID": f"req-boom-{fmt}"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == f"req-boom-{fmt}"
    _assert_nothing_leaked(response)
    if fmt == "json":
        assert response.get_json() == [{"code": 500, "description":
                                        "internal_error: something went wrong on our side"}]
    else:
        from xml.etree import ElementTree

        root = ElementTree.fromstring(response.get_data())  # noqa: S314 - our own response
        assert root.tag == "errors"
        assert [(e.findtext("code"), e.findtext("description")) for e in root] == [
            ("500", "internal_error: something went wrong on our side")]
    assert any(f"req-boom-{fmt}" in record.getMessage() and record.exc_info
               for record in caplog.records)


def test_a_row_changed_under_the_request_is_409_to_send_again(client):
    from sqlalchemy.orm.exc import StaleDataError

    lost = StaleDataError("UPDATE statement on table 'complaints' expected to update 1 row(s)")
    with _broken("api.categories.list_categories", lost):
        response = client.get("/api/v1/categories")
    assert_error(response, 409, "conflict_retry")
    assert response.headers["Retry-After"] == "1"
    assert "complaints" not in response.get_data(as_text=True)


def test_an_integrity_error_that_is_not_a_race_stays_a_500(client, caplog):
    import sqlalchemy.exc

    class Orig(Exception):
        pgcode = "23503"  # foreign key: our bug, not the client's

    broken = sqlalchemy.exc.IntegrityError("INSERT INTO secret_table", {}, Orig(SECRET_DETAIL))
    with _broken("api.categories.list_categories", broken):
        response = client.get("/api/v1/categories")
    assert_error(response, 500, "internal_error")
    _assert_nothing_leaked(response)
    assert "secret_table" not in response.get_data(as_text=True)


def test_a_client_too_slow_to_send_is_408_and_the_connection_closes(client):
    with _broken("api.categories.list_categories", TimeoutError("read timed out")):
        response = client.get("/api/v1/categories")
    assert_error(response, 408, "request_timeout")
    assert response.headers["Connection"] == "close"


def test_a_body_that_stops_arriving_is_408_not_invalid_json(client):
    from unittest import mock

    from werkzeug.exceptions import ClientDisconnected

    with mock.patch("flask.Request.get_json", side_effect=ClientDisconnected()):
        response = post_raw(client, json.dumps(complaint_json()))
    body = assert_error(response, 408, "request_timeout")
    assert "not received in time" in body["message"]
