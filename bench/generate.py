"""Generate realistic complaints with COPY: ``python -m bench.generate --count 1000000``.

Spread by district population (approximate 2023 resident counts), ~43% illegal parking,
one year of history appended in time order (as a real table grows), mostly closed except the
last days, ~5% duplicates of an earlier complaint a few metres away, with a closing event per
closed complaint so time-to-resolve can be computed. Writes into
DASAN_DATABASE_URL (or ``--database-url``). For benchmarks, never for production data.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import sys
import time
from datetime import UTC, datetime, timedelta

import psycopg2
from shapely import Polygon, contains_xy, prepare

from bench.common import ROOT
from geo.geojson import read_features, repair_area

# Approximate residents per district (thousands), 2023: only used as sampling weights.
POPULATION_K = {
    "11110": 141, "11140": 121, "11170": 217, "11200": 281, "11215": 339, "11230": 341,
    "11260": 385, "11290": 435, "11305": 289, "11320": 310, "11350": 500, "11380": 465,
    "11410": 311, "11440": 372, "11470": 437, "11500": 563, "11530": 400, "11545": 230,
    "11560": 377, "11590": 385, "11620": 488, "11650": 405, "11680": 537, "11710": 656,
    "11740": 463,
}
CATEGORY_MIX = {"illegal_parking": 43, "garbage": 15, "street_lamp": 10, "road_damage": 8,
                "illegal_dumping": 8, "sidewalk_damage": 6, "illegal_signage": 5,
                "traffic_signal": 3, "other": 2}
SLA_MINUTES = {"illegal_parking": 120, "garbage": 720, "street_lamp": 1440, "road_damage": 480,
               "illegal_dumping": 1440, "sidewalk_damage": 1440, "illegal_signage": 4320,
               "traffic_signal": 120, "other": 2880}
CLOSED = [("resolved", 82), ("unfounded", 7), ("referred", 3), ("duplicate", 5),
          ("cancelled", 3)]
RECENT = [("dispatched", 35), ("assigned", 25), ("on_site", 10), ("resolved", 25),
          ("transferred", 5)]
NULL = "\\N"  # COPY's text format for NULL
COLUMNS = ("id, public_id, category_code, description, location, district_code, dong_code, "
           "routing_distance_m, status, priority, due_at, reporter_language, channel, "
           "attributes, version, created_at, updated_at, closed_at, outcome, parent_id")


def point_pool(per_dong: int, rng: random.Random
               ) -> dict[str, list[tuple[str, list, Polygon]]]:
    """Random points inside each dong, grouped by district: {district: [(dong, points, area)]}.
    """
    pool: dict[str, list[tuple[str, list]]] = {}
    for feature in read_features(ROOT / "fixtures/seoul_dong.geojson"):
        polygon = repair_area(feature.geometry)[0]
        prepare(polygon)
        minx, miny, maxx, maxy = polygon.bounds
        points = []
        while len(points) < per_dong:
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if contains_xy(polygon, lon, lat):
                points.append((lon, lat))
        district = feature.properties["sgg"]
        pool.setdefault(district, []).append((feature.properties["adm_cd2"], points, polygon))
    return pool


def _near(point: tuple[float, float], area, rng: random.Random) -> tuple[float, float]:
    """A point within ~20 m of ``point`` and still inside ``area`` (its dong routes it)."""
    for _ in range(10):
        lon, lat = point[0] + rng.uniform(-0.0002, 0.0002), point[1] + rng.uniform(-0.0002, 0.0002)
        if contains_xy(area, lon, lat):
            return lon, lat
    return point


def _weighted(choices: list[tuple[str, int]], rng: random.Random) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def generate(url: str, count: int, start_id: int, seed: int = 42, chunk: int = 50_000) -> None:
    """Append ``count`` complaints (ids from ``start_id``) and their closing events."""
    rng = random.Random(seed + start_id)
    pool = point_pool(60, rng)
    districts = list(POPULATION_K)
    weights = [POPULATION_K[d] for d in districts]
    categories = list(CATEGORY_MIX)
    category_weights = list(CATEGORY_MIX.values())
    now = datetime.now(UTC)
    # A real table is appended as complaints come: its heap (and its ids) follow the clock, so
    # a month's complaints sit together on disk. Ages are drawn first and handed out oldest
    # first; drawing each row's age at random would scatter a month over the whole table.
    ages = sorted((rng.random() * 365 for _ in range(count)), reverse=True)
    # The last complaint of each district and category: what a duplicate is a duplicate of
    # (a second report of the same thing, a few metres away, later).
    latest: dict[tuple[str, str], tuple[int, float, float, str]] = {}
    connection = psycopg2.connect(url)
    started = time.monotonic()
    done = 0
    while done < count:
        size = min(chunk, count - done)
        complaints, events = io.StringIO(), io.StringIO()
        for offset in range(size):
            complaint_id = start_id + done + offset
            district = rng.choices(districts, weights=weights)[0]
            dong, points, area = rng.choice(pool[district])
            lon, lat = _near(rng.choice(points), area, rng)
            category = rng.choices(categories, weights=category_weights)[0]
            age = timedelta(days=ages[done + offset])
            created = now - age
            status = _weighted(CLOSED if age > timedelta(days=3) else RECENT, rng)
            parent = latest.get((district, category)) if status == "duplicate" else None
            if status == "duplicate" and parent is None:
                status = "resolved"  # nothing earlier to be a duplicate of
            if parent:
                dong = parent[3]
                lon = parent[1] + rng.uniform(-0.0001, 0.0001)
                lat = parent[2] + rng.uniform(-0.0001, 0.0001)
            else:
                latest[(district, category)] = (complaint_id, lon, lat, dong)
            due = created + timedelta(minutes=SLA_MINUTES[category])
            closed = None
            if status in ("resolved", "unfounded", "referred", "duplicate", "cancelled"):
                # Time to close: log-normal around the 2010 average of 6 h 13 min.
                closed = created + timedelta(minutes=min(60 * 24 * 14, rng.lognormvariate(
                    math.log(373), 0.9)))
            complaints.write(
                f"{complaint_id}\tB{complaint_id}\t{category}\tgenerated\t"
                f"SRID=4326;POINT({lon:.6f} {lat:.6f})\t{district}\t{dong}\t0\t{status}\t3\t"
                f"{due.isoformat()}\tko\tpwa\t{{}}\t1\t{created.isoformat()}\t"
                f"{created.isoformat()}\t{closed.isoformat() if closed else NULL}\t"
                f"{'fixed' if closed else NULL}\t{parent[0] if parent else NULL}\n")
            if closed:
                events.write(f"{complaint_id}\t{closed.isoformat()}\tstaff\t{status}\t"
                             f"dispatched\t{status}\t{{}}\n")
        complaints.seek(0)
        events.seek(0)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY complaints ({COLUMNS}) FROM STDIN", complaints)
            cursor.copy_expert("COPY complaint_events (complaint_id, at, actor_kind, kind, "
                               "from_status, to_status, data) FROM STDIN", events)
        connection.commit()
        done += size
        rate = done / max(time.monotonic() - started, 1e-6)
        bar = "#" * int(30 * done / count)
        print(f"\r  [{bar:<30}] {done:>9,}/{count:,} complaints  {rate:,.0f}/s",
              end="", flush=True)
    print()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('complaints_id_seq', (SELECT max(id) FROM complaints))")
        connection.commit()
        connection.autocommit = True
        # VACUUM sets the visibility map, so index-only scans work as in a settled database.
        cursor.execute("VACUUM ANALYZE complaints")
        cursor.execute("VACUUM ANALYZE complaint_events")
    connection.close()


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and generate."""
    import os

    parser = argparse.ArgumentParser(prog="python -m bench.generate")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("DASAN_DATABASE_URL"))
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DASAN_DATABASE_URL")
    connection = psycopg2.connect(args.database_url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM complaints")
        start = cursor.fetchone()[0]
    connection.close()
    generate(args.database_url, args.count, start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
