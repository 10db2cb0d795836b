import json

import pytest
from shapely.geometry import Polygon

from geo.errors import InvalidGeometry
from geo.geojson import read_features, repair_area

BOWTIE = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])


def test_repair_area_fixes_self_intersection_and_keeps_area():
    assert not BOWTIE.is_valid
    repaired, was_repaired = repair_area(BOWTIE)
    assert was_repaired and repaired.is_valid
    assert repaired.geom_type == "MultiPolygon"
    assert repaired.area == pytest.approx(0.5)


def test_repair_area_leaves_valid_polygon_alone():
    square = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    repaired, was_repaired = repair_area(square)
    assert not was_repaired and repaired.area == 1


def test_repair_area_refuses_geometry_without_area():
    line_like = Polygon([(0, 0), (1, 1), (2, 2), (0, 0)])
    with pytest.raises(InvalidGeometry):
        repair_area(line_like)


def test_read_features_refuses_other_crs(tmp_path):
    path = tmp_path / "x.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [],
                                "crs": {"type": "name",
                                        "properties": {"name": "urn:ogc:def:crs:EPSG::5181"}}}))
    with pytest.raises(InvalidGeometry, match="5181"):
        list(read_features(path))


@pytest.mark.parametrize("content", [
    "not json", "[]", '{"type": "Feature"}',
    '{"type": "FeatureCollection", "features": [{"properties": {}}]}',
])
def test_read_features_refuses_malformed_files(tmp_path, content):
    path = tmp_path / "x.geojson"
    path.write_text(content)
    with pytest.raises(InvalidGeometry):
        list(read_features(path))


def test_seoul_gu_layer_has_exactly_one_invalid_ring_gangseo(fixtures_dir):
    invalid = [f.properties["SIG_CD"] for f in read_features(fixtures_dir / "seoul_gu.geojson")
               if not f.geometry.is_valid]
    assert invalid == ["11500"]
