from datetime import UTC, datetime, timedelta

import pytest

from dispatch.facilities import FacilitySpec, import_facilities

SEOUL = "126.7,37.4,127.3,37.75"
SEJONG_SOUTH = "1220003800"
JONGNO_EAST = "1000011600"
CITY_HALL = (126.9779, 37.5663)


@pytest.fixture
def dispatcher(create_staff, login):
    return login(create_staff("dispatcher"))


def _incident_body(**fields):
    body = {"kind": "accident",
            "geometry": {"type": "Point", "coordinates": [126.9776, 37.5668]},
            "descriptions": {"ko": "세종대로 사고", "en": "crash on Sejong-daero"},
            "detour": {"type": "LineString",
                       "coordinates": [[126.9790, 37.5703], [126.9830, 37.5702]]}}
    body.update(fields)
    return body


def test_traffic_in_bbox_gives_speed_level_and_freshness(client, seoul_links, add_readings):
    now = datetime.now(UTC)
    add_readings({SEJONG_SOUTH: 12, JONGNO_EAST: 30}, now - timedelta(minutes=3))
    body = client.get(f"/api/v1/traffic?bbox={SEOUL}&lang=en").get_json()
    assert body["stale"] is False and body["stale_after_minutes"] == 15
    links = {f["id"]: f["properties"] for f in body["features"]}
    assert len(links) == 24
    sejong = links[SEJONG_SOUTH]
    assert (sejong["road"], sejong["level"], sejong["speed_kmh"]) == ("Sejong-daero", "jammed", 12)
    assert sejong["observed_at"].endswith("+09:00")
    assert links["1190001500"]["level"] == "stale"  # no reading of its own
    assert body["features"][0]["geometry"]["type"] == "LineString"


def test_traffic_feed_stale_hides_old_speeds(client, seoul_links, add_readings):
    add_readings({SEJONG_SOUTH: 12}, datetime.now(UTC) - timedelta(minutes=20))
    body = client.get(f"/api/v1/traffic?bbox={SEOUL}").get_json()
    assert body["stale"] is True
    sejong = next(f["properties"] for f in body["features"] if f["id"] == SEJONG_SOUTH)
    assert (sejong["level"], sejong["speed_kmh"], sejong["last_speed_kmh"]) == ("stale", None, 12)
    assert sejong["stale"] is True


@pytest.mark.parametrize("query", [
    "", "bbox=", "bbox=1,2,3", "bbox=a,b,c,d", "bbox=127.1,37.5,126.9,37.6",  # inverted
    "bbox=126.9,37.6,127.0,37.5", "bbox=-180,-90,180,90",  # huge
    "bbox=126.9,37.5,127.0,nan", "bbox=126.9,37.5,127.0,37.6&lang=fr",
])
def test_traffic_bad_bbox_is_422(client, query):
    response = client.get(f"/api/v1/traffic?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"] == "validation_error"


def test_summary_names_jammed_and_moving_roads_and_incident_with_detour(
        client, seoul_links, add_readings, dispatcher):
    add_readings({SEJONG_SOUTH: 10, JONGNO_EAST: 35}, datetime.now(UTC) - timedelta(minutes=1))
    assert client.post("/api/v1/incidents", json=_incident_body(),
                       headers=dispatcher).status_code == 201
    lon, lat = CITY_HALL
    en = client.get(f"/api/v1/traffic/summary?lon={lon}&lat={lat}&radius=1000&lang=en")
    body = en.get_json()
    assert body["text"] == ("jammed on Sejong-daero; moving on Jong-ro; "
                            "accident: crash on Sejong-daero (detour available)")
    assert [r["name"] for r in body["jammed"]] == ["Sejong-daero"]
    assert body["jammed"][0]["mean_speed_kmh"] == 10
    ko = client.get(f"/api/v1/traffic/summary?lon={lon}&lat={lat}&radius=1000&lang=ko")
    assert ko.get_json()["text"] == "세종대로 정체, 종로 원활, 사고: 세종대로 사고 (우회로 있음)"


def test_summary_when_stale_says_so(client, seoul_links):
    body = client.get("/api/v1/traffic/summary?lon=126.9779&lat=37.5663&lang=en").get_json()
    assert body["stale"] is True and body["text"].startswith("traffic data has not been updated")
    assert body["jammed"] == body["moving"] == []


@pytest.mark.parametrize("query", [
    "lon=126.97&lat=37.56&radius=10", "lon=126.97&lat=37.56&radius=50000",
    "lon=126.97&lat=37.56&radius=abc", "lon=200&lat=37.56", "lat=37.56", "lon=inf&lat=37.5",
])
def test_summary_bad_input_is_422(client, query):
    assert client.get(f"/api/v1/traffic/summary?{query}").status_code == 422


def test_incident_crud_by_dispatcher_and_expiry(client, dispatcher):
    created = client.post("/api/v1/incidents", json=_incident_body(), headers=dispatcher)
    assert created.status_code == 201
    feature = created.get_json()
    incident_id = feature["id"]
    assert feature["properties"]["detour"]["type"] == "LineString"
    listed = client.get(f"/api/v1/incidents?bbox={SEOUL}&lang=en").get_json()
    assert [f["properties"]["description"] for f in listed["features"]
            if f["id"] == incident_id] == ["crash on Sejong-daero"]
    patched = client.patch(f"/api/v1/incidents/{incident_id}", headers=dispatcher,
                           json={"kind": "closure", "detour": None})
    assert patched.status_code == 200
    assert patched.get_json()["properties"]["kind"] == "closure"
    assert patched.get_json()["properties"]["detour"] is None
    ended = client.post(f"/api/v1/incidents/{incident_id}/end", headers=dispatcher)
    assert ended.status_code == 200 and ended.get_json()["properties"]["ends_at"]
    listed = client.get("/api/v1/incidents").get_json()
    assert incident_id not in {f["id"] for f in listed["features"]}
    assert client.get(f"/api/v1/incidents/{incident_id}").status_code == 200


def test_expired_incident_disappears_by_itself(client, dispatcher):
    now = datetime.now(UTC)
    body = _incident_body(starts_at=(now - timedelta(hours=2)).isoformat(),
                          ends_at=(now - timedelta(hours=1)).isoformat())
    incident_id = client.post("/api/v1/incidents", json=body, headers=dispatcher).get_json()["id"]
    listed = client.get("/api/v1/incidents").get_json()
    assert incident_id not in {f["id"] for f in listed["features"]}


def test_incident_editing_needs_a_dispatcher(client, create_staff, login):
    assert client.post("/api/v1/incidents", json=_incident_body()).status_code == 401
    inspector = login(create_staff("inspector"))
    response = client.post("/api/v1/incidents", json=_incident_body(), headers=inspector)
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"


@pytest.mark.parametrize("fields,status,error", [
    ({"kind": "parade"}, 422, "validation_error"),
    ({"geometry": {"type": "Point", "coordinates": [500, 37]}}, 422, "invalid_incident"),
    ({"geometry": {"type": "Circle"}}, 422, "invalid_incident"),
    ({"detour": {"type": "Polygon", "coordinates": []}}, 422, "invalid_incident"),
    ({"descriptions": {}}, 422, "invalid_incident"),
    ({"descriptions": {"xx": "a"}}, 422, "validation_error"),
    ({"starts_at": "2026-11-28T10:00:00+09:00", "ends_at": "2026-11-28T09:00:00+09:00"}, 422,
     "validation_error"),
])
def test_bad_incidents_are_422_with_stable_codes(client, dispatcher, fields, status, error):
    response = client.post("/api/v1/incidents", json=_incident_body(**fields), headers=dispatcher)
    assert response.status_code == status
    assert response.get_json()["error"] == error


def test_unknown_incident_is_404(client, dispatcher):
    assert client.get("/api/v1/incidents/999999").status_code == 404
    assert client.post("/api/v1/incidents/999999/end", headers=dispatcher).status_code == 404
    assert client.patch("/api/v1/incidents/999999", json={"kind": "works"},
                        headers=dispatcher).status_code == 404


@pytest.fixture
def facilities(session, tmp_path, settings):
    path = tmp_path / "f.csv"
    path.write_text("id,name,kind,lon,lat\n1,시청 화장실,toilet,126.9779,37.5663\n"
                    "2,명동주민센터,community_centre,126.9856,37.5609\n"
                    "3,을지로 화장실,toilet,126.9910,37.5660\n", encoding="utf-8")
    import_facilities(session, FacilitySpec(path, "t", "name", id_prop="id", kind_prop="kind",
                                            lon_prop="lon", lat_prop="lat"), tolerance_m=200)


def test_nearest_facilities_by_kind_with_distance(client, facilities):
    body = client.get("/api/v1/facilities/nearest?lon=126.9779&lat=37.5663&kind=toilet"
                      "&limit=2").get_json()
    assert [f["name"] for f in body["facilities"]] == ["시청 화장실", "을지로 화장실"]
    assert body["facilities"][0]["distance_m"] == 0
    assert 1000 < body["facilities"][1]["distance_m"] < 1300
    assert body["facilities"][0]["location"] == {"type": "Point",
                                                 "coordinates": [126.9779, 37.5663]}


def test_nearest_facilities_stay_within_the_distance_cap(client, facilities):
    far = client.get("/api/v1/facilities/nearest?lon=-74&lat=40.7").get_json()
    assert far == {"facilities": []}  # New York: nothing, not Seoul 11,000 km away
    body = client.get("/api/v1/facilities/nearest?lon=126.9779&lat=37.5663"
                      "&max_distance_m=500").get_json()
    assert [f["name"] for f in body["facilities"]] == ["시청 화장실"]
    # The default is 5 km: 을지로 (1.2 km) and 명동 are in.
    body = client.get("/api/v1/facilities/nearest?lon=126.9779&lat=37.5663").get_json()
    assert len(body["facilities"]) == 3


@pytest.mark.parametrize("query", [
    "lon=126.97&lat=37.56&max_distance_m=0", "lon=126.97&lat=37.56&max_distance_m=50001",
    "lon=126.97&lat=37.56&max_distance_m=far",
    "lon=126.97&lat=37.56&kind=spaceport", "lon=126.97&lat=37.56&limit=51",
    "lon=126.97&lat=37.56&limit=0", "lon=126.97", "lon=126.97&lat=95",
])
def test_nearest_bad_input_is_422(client, query):
    response = client.get(f"/api/v1/facilities/nearest?{query}")
    assert response.status_code == 422 and response.get_json()["error"] == "validation_error"


def _points(count: int) -> list[list[float]]:
    return [[126.97 + index * 1e-7, 37.56 + index * 1e-7] for index in range(count)]


@pytest.mark.parametrize(("fields", "field"), [
    ({"geometry": {"type": "MultiPoint", "coordinates": _points(200_000)}}, "geometry"),
    ({"geometry": {"type": "MultiPoint", "coordinates": _points(5001)}}, "geometry"),
    ({"detour": {"type": "LineString", "coordinates": _points(2001)}}, "detour"),
])
def test_an_incident_with_too_many_vertices_is_422_without_an_echo(client, dispatcher, fields,
                                                                   field):
    response = client.post("/api/v1/incidents", json=_incident_body(**fields), headers=dispatcher)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "too_many_vertices" and field in body["errors"]["json"]
    assert len(response.data) < 2000


def test_an_incident_at_the_vertex_limits_is_taken(client, dispatcher):
    body = _incident_body(geometry={"type": "MultiPoint", "coordinates": _points(5000)},
                          detour={"type": "LineString", "coordinates": _points(2000)})
    created = client.post("/api/v1/incidents", json=body, headers=dispatcher)
    assert created.status_code == 201
    changed = client.patch(f"/api/v1/incidents/{created.get_json()['id']}", headers=dispatcher,
                           json={"detour": {"type": "LineString", "coordinates": _points(2001)}})
    assert changed.status_code == 422 and changed.get_json()["error"] == "too_many_vertices"
