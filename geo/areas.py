"""In-process point-in-area index (shapely STRtree over prepared polygons)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from geo.points import degrees_covering, haversine_m


@dataclass(frozen=True)
class AreaMatch:
    """The area found for a point and how far outside it the point lies (0 when inside)."""

    code: str
    distance_m: float

    @property
    def inside(self) -> bool:
        """True when the point is within or on the area's boundary."""
        return self.distance_m == 0.0


class AreaIndex:
    """Find which area covers a point, or the nearest one, deterministically.

    Areas are ordered by code, so a point on a shared boundary (covered by both
    neighbours) always goes to the area with the lowest code.
    """

    def __init__(self, areas: Sequence[tuple[str, BaseGeometry]]) -> None:
        ordered = sorted(areas, key=lambda item: item[0])
        self.codes: list[str] = [code for code, _ in ordered]
        self.geometries = np.array([geometry for _, geometry in ordered], dtype=object)
        # Prepared geometries make each covered_by test much cheaper.
        shapely.prepare(self.geometries)
        self._tree = STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.codes)

    def covering(self, lon: float, lat: float) -> str | None:
        """Return the code of the area covering (lon, lat), boundary included, or None."""
        hits = self._tree.query(Point(lon, lat), predicate="covered_by")
        if len(hits) == 0:
            return None
        return self.codes[int(hits.min())]

    def covering_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[str | None]:
        """Vectorised ``covering`` for many points at once."""
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        input_idx, tree_idx = self._tree.query(points, predicate="covered_by")
        result: list[str | None] = [None] * len(points)
        for point_no, area_no in zip(input_idx.tolist(), tree_idx.tolist(), strict=True):
            current = result[point_no]
            code = self.codes[area_no]
            if current is None or code < current:
                result[point_no] = code
        return result

    def nearest(self, lon: float, lat: float, max_m: float | None = None) -> AreaMatch | None:
        """Return the nearest area with its ground distance in metres, or None beyond ``max_m``."""
        point = Point(lon, lat)
        first: list[int] = []
        if max_m is None:
            first = [int(no) for no in self._tree.query_nearest(point, all_matches=True)]
            if not first:
                return None
            radius_m = min(self._distance_m(no, point) for no in first)
        else:
            radius_m = max_m
        # The tree measures in degrees, and a degree of longitude is shorter than one
        # of latitude: gather every area that could be within radius_m on the ground,
        # then rank them by true distance (ties by code, like ``covering``). Far from
        # the areas (thousands of km) the degree bound is loose, hence ``first`` too.
        search = degrees_covering(radius_m, lat) * 1.0001 + 1e-12
        candidates = {int(no) for no in self._tree.query(point, predicate="dwithin",
                                                          distance=search)}
        ranked = sorted((self._distance_m(no, point), no) for no in candidates.union(first))
        if not ranked or ranked[0][0] > radius_m:
            return None
        metres, area_no = ranked[0]
        return AreaMatch(self.codes[area_no], metres)

    def _distance_m(self, area_no: int, point: Point) -> float:
        geometry = self.geometries[area_no]
        if geometry.covers(point):
            return 0.0
        near = nearest_points(geometry, point)[0]
        return haversine_m(point.x, point.y, near.x, near.y)

    def nearest_any(self, lon: float, lat: float) -> AreaMatch:
        """Return the nearest area whatever the distance (for error messages)."""
        match = self.nearest(lon, lat, None)
        if match is None:  # only when the index is empty
            raise LookupError("the area index is empty")
        return match

    def locate(self, lon: float, lat: float, tolerance_m: float) -> AreaMatch | None:
        """Return the covering area, else the nearest within ``tolerance_m``, else None."""
        code = self.covering(lon, lat)
        if code is not None:
            return AreaMatch(code, 0.0)
        return self.nearest(lon, lat, tolerance_m)
