from shapely.geometry import shape


def test_districts_are_geojson_with_names_in_language(client):
    response = client.get("/api/v1/districts?lang=en")
    assert response.status_code == 200
    assert "max-age" in response.headers["Cache-Control"]
    collection = response.get_json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 25
    gangnam = next(f for f in collection["features"] if f["id"] == "11680")
    assert gangnam["properties"]["name"] == "Gangnam-gu"
    assert shape(gangnam["geometry"]).is_valid


def test_dongs_can_be_narrowed_to_one_district(client):
    collection = client.get("/api/v1/dongs?district=11680&lang=ko").get_json()
    assert len(collection["features"]) == 22
    assert {f["properties"]["district_code"] for f in collection["features"]} == {"11680"}
    assert any(f["properties"]["name"] == "역삼1동" for f in collection["features"])


def test_simplified_geometry_is_smaller_than_full(client):
    simple = client.get("/api/v1/districts?detail=simple").get_data()
    full = client.get("/api/v1/districts?detail=full").get_data()
    assert len(simple) < len(full)


def test_locate_city_hall(client):
    body = client.get("/api/v1/locate?lon=126.9779&lat=37.5663&lang=ko").get_json()
    assert body["district"] == {"code": "11140", "name": "중구"}
    assert body["inside"] is True and body["distance_m"] == 0


def test_locate_just_outside_edge_goes_to_nearest_with_distance(client):
    # About 84 m west of the city edge near Gimpo (tolerance is 200 m).
    body = client.get("/api/v1/locate?lon=126.76333&lat=37.55540").get_json()
    assert body["district"]["code"] == "11500"
    assert body["inside"] is False and 50 < body["distance_m"] < 120


def test_categories_list_has_the_seven_required_kinds_in_six_languages(client):
    categories = client.get("/api/v1/categories?lang=vi").get_json()
    codes = {c["code"] for c in categories}
    assert {"street_lamp", "illegal_parking", "garbage", "road_damage", "sidewalk_damage",
            "illegal_dumping", "traffic_signal"} <= codes
    for category in categories:
        assert set(category["names"]) == {"ko", "en", "zh", "ja", "mn", "vi"}
        assert category["sla_minutes"] > 0
    lamp = next(c for c in categories if c["code"] == "street_lamp")
    assert lamp["name"] == "Đèn đường bị hỏng"
    assert lamp["attributes"][0]["name"] == "Số cột đèn"


def test_accept_language_picks_language(client):
    categories = client.get("/api/v1/categories",
                            headers={"Accept-Language": "fr-FR, ja;q=0.8, en;q=0.5"}).get_json()
    assert categories[0]["name"] == "街灯の故障"
