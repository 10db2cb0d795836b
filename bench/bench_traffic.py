"""Traffic feed: parse and store 5,000 TOPIS link readings, beside a bare COPY of 5,000 rows.

Run alone with ``python -m bench.bench_traffic`` (scratch database) or through ``bench.run``.
"""

from __future__ import annotations

import io
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from geoalchemy2.shape import from_shape
from shapely.geometry import LineString
from sqlalchemy import create_engine, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from bench.common import Result
from dispatch.db import sqlalchemy_url
from dispatch.models import RoadLink
from dispatch.traffic import Thresholds, store_readings
from feeds.topis import parse_traffic_info

LINKS = 5000
TARGET_S = 1.0

_BODY = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<TrafficInfo>\n'
         "<list_total_count>1</list_total_count>\n<RESULT>\n<CODE>INFO-000</CODE>\n"
         "<MESSAGE>정상 처리되었습니다</MESSAGE>\n</RESULT>\n<row>\n<link_id>{link}</link_id>\n"
         "<prcs_spd>{speed}</prcs_spd>\n<prcs_trv_time>{time}</prcs_trv_time>\n</row>\n"
         "</TrafficInfo>\n")


def _link_ids() -> list[str]:
    return [str(1_300_000_000 + i * 100) for i in range(LINKS)]


def _make_links(session: Session, link_ids: list[str]) -> None:
    rng = random.Random(6)
    rows = []
    for link_id in link_ids:
        lon, lat = rng.uniform(126.85, 127.15), rng.uniform(37.45, 37.65)
        rows.append({"link_id": link_id, "name": "벤치로", "names": {"ko": "벤치로"},
                     "road_class": rng.choice(["arterial", "expressway"]), "source": "bench",
                     "path": from_shape(LineString([(lon, lat), (lon + 0.003, lat + 0.001)]),
                                        srid=4326)})
    for start in range(0, len(rows), 1000):
        statement = insert(RoadLink).values(rows[start:start + 1000])
        session.execute(statement.on_conflict_do_nothing())
    session.commit()


def _bodies(link_ids: list[str], seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [_BODY.format(link=link, speed=f"{rng.uniform(3, 90):.1f}",
                         time=rng.randint(20, 900)).encode() for link in link_ids]


def _bare_copy(session: Session, rows: list[tuple]) -> float:
    """Seconds to COPY the same rows into a temporary table and commit: the ceiling."""
    buffer = io.StringIO("".join(
        f"{link}\t{when.isoformat()}\t{speed}\t{travel}\t{level}\t{source}\n"
        for link, when, speed, travel, level, source in rows))
    started = time.perf_counter()
    cursor = session.connection().connection.dbapi_connection.cursor()
    cursor.execute("CREATE TEMP TABLE bench_copy (link_id text, observed_at timestamptz, "
                   "speed_kmh float8, travel_time_s float8, level text, source text) "
                   "ON COMMIT DROP")
    cursor.copy_expert("COPY bench_copy FROM STDIN", buffer)
    cursor.close()
    session.commit()
    return time.perf_counter() - started


def run(database_url: str, rounds: int = 5) -> list[Result]:
    """Median of ``rounds`` parse+store runs of 5,000 readings, and of bare COPY runs."""
    engine = create_engine(sqlalchemy_url(database_url))
    thresholds = Thresholds.parse(("expressway:70/30", "arterial:25/15", "*:25/15"))
    link_ids = _link_ids()
    ours, parse_only, copies = [], [], []
    with Session(engine) as session:
        _make_links(session, link_ids)
        base = datetime(2026, 1, 1, tzinfo=UTC)
        for number in range(rounds + 1):  # the first round warms caches and is dropped
            bodies = _bodies(link_ids, number)
            when = base + timedelta(minutes=5 * number)
            started = time.perf_counter()
            readings = []
            for body in bodies:
                readings.extend(parse_traffic_info(body, when).readings)
            parsed = time.perf_counter()
            report = store_readings(session, readings, "topis", thresholds)
            session.commit()
            finished = time.perf_counter()
            assert report.stored == LINKS, report
            rows = [(r.link_id, when, r.speed_kmh, r.travel_time_s, "free", "topis")
                    for r in readings]
            copy_s = _bare_copy(session, rows)
            if number:
                ours.append(finished - started)
                parse_only.append(parsed - started)
                copies.append(copy_s)
        session.execute(text("DELETE FROM road_links WHERE source = 'bench'"))
        session.commit()
    engine.dispose()
    figure, ceiling = statistics.median(ours) * 1000, statistics.median(copies) * 1000
    parsing = statistics.median(parse_only) * 1000
    return [Result(
        "traffic: parse + store 5,000 TOPIS link readings", figure, "ms", ceiling,
        "bare COPY of the same 5,000 rows into a temp table, same run",
        f"<= {TARGET_S * 1000:,.0f} ms", figure <= TARGET_S * 1000,
        f"median of {rounds}; parsing {parsing:.0f} ms, storing {figure - parsing:.0f} ms; "
        "ratio = figure/ceiling (lower is better)")]


def main() -> int:
    """Run on a scratch database and print the figures."""
    from bench.common import scratch_database
    from bench.run import print_table

    [result] = run(scratch_database("dasan_bench_traffic"))
    print_table([result])
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
