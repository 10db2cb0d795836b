"""Reading area layers from GeoJSON and repairing their polygons."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from geo.errors import InvalidGeometry, TooManyVertices

# CRS names GeoJSON files use for plain WGS84 lon/lat.
_WGS84_NAMES = {
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
}


@dataclass(frozen=True)
class Feature:
    """One GeoJSON feature: its properties and its (unrepaired) geometry."""

    properties: dict[str, Any]
    geometry: BaseGeometry


def read_features(path: Path | str) -> Iterator[Feature]:
    """Yield the features of a GeoJSON FeatureCollection in WGS84.

    :raises InvalidGeometry: when the file is not a FeatureCollection or declares another CRS.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        raise InvalidGeometry(f"cannot read GeoJSON {path}: {exc}") from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise InvalidGeometry(f"{path} is not a GeoJSON FeatureCollection")
    crs_name = ((document.get("crs") or {}).get("properties") or {}).get("name")
    if crs_name and crs_name not in _WGS84_NAMES:
        raise InvalidGeometry(f"{path} declares CRS {crs_name}; convert it to WGS84 first")
    for number, raw in enumerate(document.get("features") or [], start=1):
        if not raw.get("geometry"):
            raise InvalidGeometry(f"feature {number} of {path} has no geometry")
        try:
            geometry = shape(raw["geometry"])
        except Exception as exc:  # noqa: BLE001 - shapely raises several types
            raise InvalidGeometry(f"feature {number} of {path}: {exc}") from exc
        yield Feature(properties=dict(raw.get("properties") or {}), geometry=geometry)


def repair_area(geometry: BaseGeometry) -> tuple[MultiPolygon, bool]:
    """Return ``(valid MultiPolygon, was_repaired)`` for an area geometry.

    Invalid rings (self-intersections, as in the Seoul gu layer) are fixed with
    ``make_valid``; stray lines or points it may produce are dropped.

    :raises InvalidGeometry: when nothing areal is left.
    """
    repaired = False
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
        repaired = True
    polygons = list(_polygons_of(geometry))
    if not polygons:
        raise InvalidGeometry("geometry has no area")
    return MultiPolygon(polygons), repaired


def _polygons_of(geometry: BaseGeometry) -> Iterator[Polygon]:
    if isinstance(geometry, Polygon):
        if not geometry.is_empty:
            yield geometry
    elif hasattr(geometry, "geoms"):
        for part in geometry.geoms:
            yield from _polygons_of(part)


def to_geojson_geometry(geometry: BaseGeometry) -> dict[str, Any]:
    """Return the GeoJSON mapping of a shapely geometry."""
    return mapping(geometry)


def geometry_from_geojson(value: Any, allowed: tuple[str, ...],
                          max_vertices: int | None = None) -> BaseGeometry:
    """Build a valid, non-empty shapely geometry from a GeoJSON geometry object.

    :raises TooManyVertices: more than ``max_vertices`` coordinates (when given).
    :raises InvalidGeometry: for a malformed object, a type outside ``allowed``,
        coordinates out of WGS84 range, or an invalid shape (e.g. a self-crossing ring).
    """
    if not isinstance(value, dict) or value.get("type") not in allowed:
        raise InvalidGeometry(f"geometry must be a GeoJSON object of type {' or '.join(allowed)}")
    try:
        geometry = shape(value)
    except Exception as exc:  # noqa: BLE001 - shapely raises several types
        raise InvalidGeometry(f"malformed {value.get('type')} coordinates") from exc
    if geometry.is_empty:
        raise InvalidGeometry("geometry is empty")
    # Counted before the validity check, whose cost grows with the vertices.
    count = shapely.get_num_coordinates(geometry)
    if max_vertices is not None and count > max_vertices:
        raise TooManyVertices(count, max_vertices)
    min_x, min_y, max_x, max_y = geometry.bounds
    if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
        raise InvalidGeometry("coordinates must be [longitude, latitude] in WGS84 range")
    if not all(map(math.isfinite, geometry.bounds)):
        raise InvalidGeometry("coordinates must be finite numbers")
    if not geometry.is_valid:
        raise InvalidGeometry(f"invalid {geometry.geom_type}: {shapely.is_valid_reason(geometry)}")
    return geometry
