"""The in-process index on Seoul's real dong polygons (no database)."""

import random

import pytest
from shapely import STRtree
from shapely.geometry import Point
from shapely.ops import nearest_points, unary_union

from geo.areas import AreaIndex
from geo.geojson import read_features, repair_area
from geo.points import haversine_m


@pytest.fixture(scope="module")
def dongs(fixtures_dir):
    return [(f.properties["adm_cd2"], repair_area(f.geometry)[0])
            for f in read_features(fixtures_dir / "seoul_dong.geojson")]


@pytest.fixture(scope="module")
def index(dongs):
    return AreaIndex(dongs)


@pytest.fixture(scope="module")
def gu_polygons(fixtures_dir):
    return {f.properties["SIG_CD"]: repair_area(f.geometry)[0]
            for f in read_features(fixtures_dir / "seoul_gu.geojson")}


def test_index_holds_425_dongs(index):
    assert len(index) == 425


def test_city_hall_is_in_a_jung_gu_dong(index):
    assert index.covering(126.9779, 37.5663).startswith("11140")


def test_every_district_representative_point_routes_to_that_district(index, gu_polygons):
    for code, polygon in gu_polygons.items():
        point = polygon.representative_point()
        assert index.covering(point.x, point.y)[:5] == code


def test_shared_vertex_goes_to_lowest_code_every_time(dongs, index):
    by_code = dict(dongs)
    # 사직동 and a neighbour that shares a long stretch of boundary with it.
    a_code, b_code = "1111053000", "1111058000"
    a = by_code[a_code]
    shared = set(a.geoms[0].exterior.coords) & set(by_code[b_code].geoms[0].exterior.coords)
    # A vertex on the boundary of exactly these two dongs (not a three-way junction).
    lon, lat = next(xy for xy in sorted(shared)
                    if sum(polygon.covers(Point(xy)) for _, polygon in dongs) == 2)
    assert by_code[a_code].covers(Point(lon, lat)) and by_code[b_code].covers(Point(lon, lat))
    assert {index.covering(lon, lat) for _ in range(5)} == {min(a_code, b_code)}


def test_gu_sliver_gaps_are_routed_by_dong_layer(index, gu_polygons):
    union = unary_union(list(gu_polygons.values()))
    holes = [ring for part in getattr(union, "geoms", [union]) for ring in part.interiors]
    assert len(holes) > 100  # SOURCES.md: 666 sliver gaps between gu polygons
    from shapely.geometry import Polygon

    for ring in holes[:50]:
        gap_point = Polygon(ring).representative_point()
        assert not any(p.covers(gap_point) for p in gu_polygons.values())
        match = index.locate(gap_point.x, gap_point.y, tolerance_m=50)
        assert match is not None and match.distance_m < 50


def test_point_just_outside_city_goes_to_nearest_within_tolerance(index):
    # West of Gimpo airport, beyond Seoul's western edge.
    lon, lat = 126.7600, 37.5600
    assert index.covering(lon, lat) is None
    nearest = index.nearest(lon, lat)
    assert nearest.code.startswith("11500") and nearest.distance_m > 0
    assert index.locate(lon, lat, nearest.distance_m + 1) == nearest
    assert index.locate(lon, lat, nearest.distance_m - 1) is None


def test_nearest_distance_is_ground_distance(index, dongs):
    lon, lat = 126.5, 37.5  # over the sea west of Incheon
    match = index.nearest(lon, lat)

    best = min(
        (haversine_m(lon, lat, *nearest_points(polygon, Point(lon, lat))[0].coords[0]), code)
        for code, polygon in dongs
    )
    assert match.code == best[1]
    assert match.distance_m == pytest.approx(best[0], rel=1e-6)


def test_covering_many_matches_covering(index):
    rng = random.Random(7)
    lons = [rng.uniform(126.75, 127.2) for _ in range(500)]
    lats = [rng.uniform(37.42, 37.71) for _ in range(500)]
    expected = [index.covering(x, y) for x, y in zip(lons, lats, strict=True)]
    assert index.covering_many(lons, lats) == expected


def test_index_agrees_with_bare_strtree(index, dongs):
    tree = STRtree([polygon for _, polygon in dongs])
    codes = [code for code, _ in dongs]
    rng = random.Random(3)
    for _ in range(300):
        lon, lat = rng.uniform(126.75, 127.2), rng.uniform(37.42, 37.71)
        hits = sorted(codes[i] for i in tree.query(Point(lon, lat), predicate="covered_by"))
        assert index.covering(lon, lat) == (hits[0] if hits else None)
