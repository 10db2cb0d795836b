import pytest

from tests.factories import PLACES

CITY = "126.7,37.4,127.3,37.75"


@pytest.fixture
def dispatcher(create_staff, login):
    return login(create_staff("dispatcher"))


@pytest.fixture
def filed(create_complaint):
    return [create_complaint(lonlat=PLACES[name][0], category="garbage")
            for name in ("city_hall", "coex", "gimpo_airport", "ddp")]


def test_map_complaints_in_bbox_are_geojson_without_personal_data(client, dispatcher, filed):
    body = client.get(f"/api/v1/map/complaints?bbox={CITY}", headers=dispatcher).get_json()
    ids = {f["id"] for f in body["features"]}
    assert {c.public_id for c in filed} <= ids
    assert body["truncated"] is False
    assert "phone" not in str(body)


def test_map_bbox_narrows(client, dispatcher, filed):
    # A box around COEX only.
    body = client.get("/api/v1/map/complaints?bbox=127.05,37.50,127.07,37.52",
                      headers=dispatcher).get_json()
    assert {f["id"] for f in body["features"]} & {c.public_id for c in filed} == {
        filed[1].public_id}


def test_map_filters_by_status_and_district(client, dispatcher, filed):
    jung = client.get(f"/api/v1/map/complaints?bbox={CITY}&district=11140",
                      headers=dispatcher).get_json()
    assert {f["properties"]["district"] for f in jung["features"]} == {"11140"}
    closed = client.get(f"/api/v1/map/complaints?bbox={CITY}&status=resolved",
                        headers=dispatcher).get_json()
    assert {c.public_id for c in filed}.isdisjoint({f["id"] for f in closed["features"]})


def test_clusters_count_every_complaint_once(client, dispatcher, filed):
    body = client.get(f"/api/v1/map/clusters?bbox={CITY}&zoom=10&category=garbage",
                      headers=dispatcher).get_json()
    assert sum(f["properties"]["count"] for f in body["features"]) >= len(filed)


def test_inspector_sees_only_own_district(client, create_staff, login, filed):
    headers = login(create_staff("inspector", "11680"))
    body = client.get(f"/api/v1/map/complaints?bbox={CITY}", headers=headers).get_json()
    assert {f["properties"]["district"] for f in body["features"]} <= {"11680"}
    assert client.get(f"/api/v1/map/complaints?bbox={CITY}&district=11140",
                      headers=headers).status_code == 403


def test_map_needs_login(client):
    assert client.get(f"/api/v1/map/complaints?bbox={CITY}").status_code == 401


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "127,37,126,38", "0,0,200,10",
                                  "nan,1,2,3", "inf,1,2,3"])
def test_bad_bbox_is_422(client, dispatcher, bbox):
    response = client.get(f"/api/v1/map/complaints?bbox={bbox}", headers=dispatcher)
    assert response.status_code == 422
    assert "bbox" in response.get_json()["errors"]["query"]


def test_bad_period_is_422(client, dispatcher):
    response = client.get("/api/v1/map/complaints?since=2026-01-02T00:00:00%2B09:00"
                          "&until=2026-01-01T00:00:00%2B09:00", headers=dispatcher)
    assert response.status_code == 422
