"""Point -> dong -> district lookups in process, beside a bare STRtree loop, and via PostGIS."""

from __future__ import annotations

import time

from shapely import STRtree
from shapely.geometry import Point
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench.bench_intake import seoul_points
from bench.common import Result
from dispatch.areas import load_router, route_point_in_database
from dispatch.db import sqlalchemy_url


def run(database_url: str, lookups: int) -> list[Result]:
    """Time the router and the bare loop on the same polygons and points."""
    engine = create_engine(sqlalchemy_url(database_url))
    with Session(engine) as session:
        router = load_router(session)
        points = seoul_points(5000, seed=2)
        sample = [points[i % len(points)] for i in range(lookups)]

        # The ceiling: the same prepared polygons, a bare STRtree query per point.
        tree = STRtree(router.index.geometries)
        started = time.perf_counter()
        for lon, lat in sample:
            tree.query(Point(lon, lat), predicate="covered_by")
        bare = lookups / (time.perf_counter() - started)

        started = time.perf_counter()
        for lon, lat in sample:
            router.route(lon, lat, 200.0)
        ours = lookups / (time.perf_counter() - started)

        db_lookups = min(2000, lookups)
        started = time.perf_counter()
        for lon, lat in sample[:db_lookups]:
            route_point_in_database(session, lon, lat, 200.0)
        postgis = db_lookups / (time.perf_counter() - started)
    engine.dispose()
    return [
        Result("routing in process (point -> dong -> district)", ours, "lookups/s", bare,
               "bare shapely STRtree loop, same polygons", ">= 50% of ceiling and >= 50,000/s",
               ours >= 0.5 * bare and ours >= 50_000),
        Result("routing via PostGIS (ST_Covers, one connection)", postgis, "lookups/s", ours,
               "in-process router", "(reported)", True,
               "the authority; used to cross-check the index"),
    ]
