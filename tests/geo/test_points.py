import math

import pytest

from geo.errors import InvalidGeometry
from geo.points import degrees_covering, haversine_m, point_from_lonlat, validate_lonlat


def test_point_from_lonlat_keeps_lon_lat_order():
    point = point_from_lonlat(126.9779, 37.5663)
    assert (point.x, point.y) == (126.9779, 37.5663)


@pytest.mark.parametrize("lon,lat", [
    (math.nan, 37.5), (126.9, math.nan), (math.inf, 37.5), (126.9, -math.inf),
    (181, 37.5), (-180.0001, 37.5), (126.9, 90.5), (126.9, -91),
    (True, 37.5), ("abc", 37.5), (None, 37.5),
])
def test_validate_lonlat_rejects_bad_values(lon, lat):
    with pytest.raises(InvalidGeometry):
        validate_lonlat(lon, lat)


def test_validate_lonlat_accepts_numeric_strings_and_edges():
    assert validate_lonlat("126.5", "37.5") == (126.5, 37.5)
    assert validate_lonlat(-180, 90) == (-180.0, 90.0)


def test_haversine_city_hall_to_gyeongbokgung_is_about_1_5_km():
    metres = haversine_m(126.9779, 37.5663, 126.9770, 37.5796)
    assert 1450 < metres < 1500


def test_degrees_covering_is_wide_enough_in_longitude():
    degrees = degrees_covering(1000, 37.5)
    # One degree of longitude at 37.5° is about 88 km, so 1 km needs about 0.0113°.
    assert haversine_m(127.0, 37.5, 127.0 + degrees, 37.5) >= 999
