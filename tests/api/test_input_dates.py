"""Moments from outside (query periods, incident windows, EXIF capture times) never reach
PostgreSQL as values it refuses or stores beyond psycopg2's reach: 4xx or dropped, no 500."""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from PIL import ExifTags

from dispatch.citizens import citizen_token
from tests.api.test_photos import INTAKE, intake_form, post_multipart, upload
from tests.factories import CITY_HALL
from tests.photo_factory import make_exif, make_image

BEYOND_POSTGRES = "2026-01-01T00:00:00+23:59"   # Python takes it, PostgreSQL refuses (22009)


@pytest.fixture
def dispatcher(create_staff, login):
    return login(create_staff("dispatcher"))


def _incident(**fields):
    body = {"kind": "works", "geometry": {"type": "Point", "coordinates": [126.9776, 37.5668]},
            "descriptions": {"ko": "공사"}}
    body.update(fields)
    return body


# --- query periods --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/kpi", "/api/v1/kpi/export", "/api/v1/map/complaints",
                                  "/api/v1/map/clusters"])
@pytest.mark.parametrize("moment", [BEYOND_POSTGRES, "2026-01-01T00:00:00-16:00"])
def test_a_period_with_an_offset_postgres_refuses_is_422(client, dispatcher, path, moment):
    response = client.get(f"{path}?since={quote(moment)}", headers=dispatcher)
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "validation_error"
    assert "15:59" in str(body["errors"]["query"]["since"])


def test_a_period_with_the_widest_storable_offset_is_taken(client, dispatcher):
    response = client.get(f"/api/v1/kpi?since={quote('2026-01-01T00:00:00+15:59')}",
                          headers=dispatcher)
    assert response.status_code == 200


@pytest.mark.parametrize("parameter", ["start_date", "end_date", "updated_after",
                                       "updated_before"])
def test_open311_dates_with_an_offset_postgres_refuses_are_400(client, parameter):
    response = client.get(f"/open311/v2/requests.json?{parameter}={quote(BEYOND_POSTGRES)}")
    assert response.status_code == 400, response.get_data(as_text=True)
    (error,) = response.get_json()
    assert error["code"] == 400 and parameter in error["description"]
    assert "15:59" in error["description"]


# --- incident windows -----------------------------------------------------------------------


@pytest.mark.parametrize("fields", [
    {"ends_at": "9999-12-31T23:59:59-14:00"},
    {"starts_at": "0001-01-01T00:00:00+09:00"},
    {"starts_at": "1999-12-31T00:00:00+09:00"},
    {"starts_at": BEYOND_POSTGRES},
    {"ends_at": "2026-12-01T00:00:00-23:00"},
])
def test_an_incident_window_out_of_range_is_422_and_nothing_is_stored(client, session,
                                                                      dispatcher, fields):
    from dispatch.models import Incident

    before = session.query(Incident).count()
    response = client.post("/api/v1/incidents", json=_incident(**fields), headers=dispatcher)
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "validation_error" and set(body["errors"]["json"]) == set(fields)
    assert session.query(Incident).count() == before
    assert client.get("/api/v1/incidents").status_code == 200


@pytest.mark.parametrize("fields", [{"ends_at": "9999-12-31T23:59:59-14:00"},
                                    {"starts_at": "0001-01-01T00:00:00+09:00"},
                                    {"starts_at": BEYOND_POSTGRES}])
def test_an_incident_changed_to_a_window_out_of_range_is_422(client, dispatcher, fields):
    created = client.post("/api/v1/incidents", json=_incident(), headers=dispatcher)
    assert created.status_code == 201
    number = created.get_json()["id"]
    response = client.patch(f"/api/v1/incidents/{number}", json=fields, headers=dispatcher)
    assert response.status_code == 422 and response.get_json()["error"] == "validation_error"
    assert client.get(f"/api/v1/incidents/{number}").status_code == 200


# --- EXIF capture times ---------------------------------------------------------------------


def _photo_taken(stamp: str, offset: str | None = None) -> bytes:
    exif = make_exif(lonlat=CITY_HALL)
    details = {ExifTags.Base.DateTimeOriginal: stamp}
    if offset:
        details[ExifTags.Base.OffsetTimeOriginal] = offset
    exif[ExifTags.IFD.Exif] = details
    return make_image(exif=exif)


@pytest.mark.parametrize(("stamp", "offset"), [
    ("0001:01:01 00:00:00", None),            # kept by PostgreSQL as 0001 BC
    ("9999:12:31 23:59:59", "-14:00"),        # year 10000 in UTC
    ("2026:11:28 10:00:00", "+23:59"),        # an offset PostgreSQL refuses
    ("1989:12:31 23:00:00", "+09:00"),        # before digital cameras wrote EXIF
    ((datetime.now(UTC) + timedelta(days=3)).strftime("%Y:%m:%d %H:%M:%S"), "+00:00"),
])
def test_a_photo_with_an_impossible_capture_time_keeps_its_complaint_workable(
        client, create_complaint, create_staff, login, settings, stamp, offset):
    complaint = create_complaint()
    reporter = {"X-Citizen-Token": citizen_token(settings.secret_key, complaint.public_id)}
    response = upload(client, complaint, reporter, _photo_taken(stamp, offset))
    assert response.status_code == 201, response.get_data(as_text=True)
    inspector = login(create_staff("inspector"))
    staff_view = client.get(f"/api/v1/staff/complaints/{complaint.public_id}", headers=inspector)
    assert staff_view.status_code == 200, staff_view.get_data(as_text=True)
    listing = client.get(f"/api/v1/complaints/{complaint.public_id}/photos", headers=inspector)
    assert listing.status_code == 200
    assert [photo["taken_at"] for photo in listing.get_json()["photos"]] == [None]
    accepted = client.post(f"/api/v1/complaints/{complaint.public_id}/accept", json={},
                           headers={**inspector, "If-Match": '"1"'})
    assert accepted.status_code == 200, accepted.get_data(as_text=True)


def test_a_report_whose_photo_has_an_offset_postgres_refuses_is_filed(client, session):
    from dispatch.models import Complaint

    before = session.query(Complaint).count()
    lon, lat = CITY_HALL
    response = post_multipart(client, INTAKE, intake_form(
        _photo_taken("2026:11:28 10:00:00", "+23:59"), lon=str(lon), lat=str(lat)), {})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert session.query(Complaint).count() == before + 1


# --- the safety net -------------------------------------------------------------------------


def _refusal(engine, sql: str):
    import sqlalchemy

    with engine.connect() as connection, pytest.raises(sqlalchemy.exc.DataError) as caught:
        connection.execute(sqlalchemy.text(sql))
    return caught.value


@pytest.mark.parametrize("sql", [
    "SELECT CAST('2026-01-01T00:00:00+23:59' AS timestamptz)",   # 22009
    "SELECT CAST('2026-13-45' AS timestamptz)",                  # 22008
    "SELECT CAST('soon' AS timestamptz)",                        # 22007
])
def test_a_date_the_database_refuses_is_422_and_logged_as_our_error(app, engine, caplog, sql):
    from api.errors import handle_statement_error

    error = _refusal(engine, sql)
    with app.test_request_context("/api/v1/kpi"), caplog.at_level("ERROR", "api.errors"):
        response = handle_statement_error(error)
    assert response.status_code == 422 and response.get_json()["error"] == "invalid_value"
    assert any(record.levelname == "ERROR" and record.exc_info for record in caplog.records)


def test_a_date_the_database_refuses_under_open311_is_the_specs_400(app, engine):
    from api.open311 import handle_statement_error

    error = _refusal(engine, "SELECT CAST('2026-01-01T00:00:00+23:59' AS timestamptz)")
    with app.test_request_context("/open311/v2/requests.json"):
        response = handle_statement_error(error)
    assert response.status_code == 400
    assert response.get_json()[0]["description"].startswith("invalid_value:")


def test_other_data_errors_stay_500_they_are_our_bugs(app, engine):
    from api.errors import handle_statement_error

    error = _refusal(engine, "SELECT 1 / 0")
    with app.test_request_context("/api/v1/kpi"):
        assert handle_statement_error(error).status_code == 500
