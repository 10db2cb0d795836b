"""Numbers sent as text are plain decimals on both APIs (no 3_7.5, full-width digits or 1e3)."""


import pytest

from dispatch import open311
from tests.api.answers import error_of, open311_error
from tests.factories import CITY_HALL


@pytest.mark.parametrize("lat", ["3_7.5", "３７.５", "37.5\u0660", "0x25", "1e1"])
def test_open311_lat_must_be_a_plain_decimal(client, session, lat):
    key = open311.create_key(session, "numbers-app")
    response = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "street_lamp", "lat": lat, "long": str(CITY_HALL[0])})
    open311_error(response, 400, "invalid_location")


@pytest.mark.parametrize("query", ["lat=3_7.5&long=127&radius=100",
                                   "lat=37.5&long=１２７&radius=100",
                                   "lat=37.5&long=127&radius=1_00"])
def test_open311_query_numbers_must_be_plain_decimals(client, query):
    response = client.get(f"/open311/v2/requests.json?{query}")
    open311_error(response, 400, "invalid_query")


def test_open311_radius_message_speaks_of_one_number(client):
    response = client.get("/open311/v2/requests.json?lat=37.5&long=127&radius=1e400")
    description = open311_error(response, 400, "invalid_query")
    assert "comma-separated" not in description and "radius must be a" in description


@pytest.mark.parametrize("query", ["lon=１２７&lat=37.5", "lon=1_27&lat=37.5",
                                   "lon=127&lat=3_7.5", "lon=127e0&lat=37.5"])
def test_locate_takes_plain_decimals_only(client, query):
    body = error_of(client.get(f"/api/v1/locate?{query}"), 422, "validation_error")
    assert set(body["errors"]["query"]) <= {"lon", "lat"}


@pytest.mark.parametrize("query", ["lon=1_26.98&lat=37.57&radius=100",
                                   "lon=126.98&lat=37.57&radius=１００"])
def test_nearby_query_numbers_are_plain_decimals(client, create_staff, login, query):
    headers = login(create_staff("dispatcher"))
    error_of(client.get(f"/api/v1/complaints/nearby?{query}", headers=headers), 422,
             "validation_error")


def test_plain_decimals_still_work(client):
    assert client.get(f"/api/v1/locate?lon={CITY_HALL[0]}&lat={CITY_HALL[1]}").status_code == 200
    assert client.get("/api/v1/locate?lon=%2B126.9779&lat=37.5663").status_code == 200
    assert client.get("/api/v1/locate?lon=-126.9779&lat=37.5663").status_code in (200, 422)
