import json

import pytest

from dispatch.errors import ImportFailed
from dispatch.facilities import FacilitySpec, derive_office, import_facilities, nearest_facilities
from dispatch.models import Facility

CITY_HALL = (126.9779, 37.5663)

CSV = """id,name,kind,road_address,lot_address,lon,lat
1,서울시청 화장실,toilet,서울특별시 중구 세종대로 110,,126.9779,37.5663
2,명동주민센터 화장실,toilet,,서울특별시 중구 명동 2가,126.9856,37.5609
3,좌표없음,toilet,,,,
4,부산시청,toilet,,,129.0750,35.1798
5,,toilet,,,126.98,37.56
6,이상한종류,spaceport,,,126.98,37.56
7,글자좌표,toilet,,,abc,37.5
8,영점,toilet,,,0,0
9,뒤바뀜,toilet,,,37.5663,126.9779
10,중구청 화장실,toilet,,,126.9975,37.5641
"""


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "facilities.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def _spec(path, **fields):
    values = {"path": path, "source": "test", "name_prop": "name", "id_prop": "id",
              "kind_prop": "kind", "address_props": ("road_address", "lot_address"),
              "lon_prop": "lon", "lat_prop": "lat", "derive_offices": True}
    values.update(fields)
    return FacilitySpec(**values)


def test_import_csv_skips_and_reports_bad_rows(session, settings, csv_file):
    report = import_facilities(session, _spec(csv_file), tolerance_m=200)
    assert report.rows == 10
    assert report.skipped == {"missing coordinates": 3, "outside the city": 2,
                              "missing name": 1, "unknown kind": 1}
    assert report.added == 3 + 2  # three toilets, a community centre and a district office
    assert report.derived_offices == 2
    hall = session.query(Facility).filter_by(source="test", source_id="1").one()
    assert (hall.kind, hall.district_code, hall.address) == ("toilet", "11140",
                                                            "서울특별시 중구 세종대로 110")
    offices = {f.name: f.kind for f in session.query(Facility).filter_by(
        source="derived-offices")}
    assert offices == {"명동주민센터": "community_centre", "중구청": "district_office"}
    again = import_facilities(session, _spec(csv_file), tolerance_m=200)
    assert (again.added, again.updated) == (0, 5)


def test_import_geojson_with_fixed_kind(session, tmp_path):
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"n": "A"},
         "geometry": {"type": "Point", "coordinates": list(CITY_HALL)}},
        {"type": "Feature", "properties": {"n": "B"}, "geometry": None},
    ]}))
    report = import_facilities(session, FacilitySpec(path, "pts", "n", kind="parking"),
                               tolerance_m=200)
    assert (report.added, report.skipped) == (1, {"missing coordinates": 1})


@pytest.mark.parametrize("content,suffix", [("not json", ".geojson"), ("[]", ".geojson")])
def test_import_unreadable_file_fails(session, tmp_path, content, suffix):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    with pytest.raises(ImportFailed):
        import_facilities(session, FacilitySpec(path, "x", "n", kind="toilet"), tolerance_m=200)


def test_import_needs_a_known_kind(session, csv_file):
    with pytest.raises(ImportFailed):
        import_facilities(session, FacilitySpec(csv_file, "x", "name"), tolerance_m=200)
    with pytest.raises(ImportFailed):
        import_facilities(session, FacilitySpec(csv_file, "x", "name", kind="spaceport"),
                          tolerance_m=200)


@pytest.mark.parametrize("name,expected", [
    ("역삼1동 주민센터 화장실", ("community_centre", "역삼1동주민센터")),
    ("능동사무소", ("community_centre", "능동사무소")),
    ("금호3가동주민자치센터", ("community_centre", "금호3가동주민자치센터")),
    ("개포3동행정복지센터", ("community_centre", "개포3동행정복지센터")),
    ("서울특별시성동구청", ("district_office", "성동구청")),
    ("서초구청민원실", ("district_office", "서초구청")),
    ("중구청소년수련관", None), ("강동구청역", None), ("우성스포츠센터", None),
    ("버거킹(종로구청점)개방화장실", None), ("마포구청별관 화장실", None),
    ("역삼1동주민센터별관", None),
])
def test_derive_office_from_names(name, expected):
    assert derive_office(name) == expected


def test_nearest_facilities_knn_with_metres(session, csv_file):
    import_facilities(session, _spec(csv_file), tolerance_m=200)
    found = nearest_facilities(session, *CITY_HALL, limit=3)
    assert found[0].facility.name == "서울시청 화장실" and found[0].distance_m < 1
    assert [f.distance_m for f in found] == sorted(f.distance_m for f in found)
    # 명동주민센터 is about 1 km south-east of City Hall
    assert 900 < found[1].distance_m < 1100
    offices = nearest_facilities(session, *CITY_HALL, kind="district_office", limit=5)
    assert [f.facility.name for f in offices] == ["중구청"]
