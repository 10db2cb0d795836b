"""The dispatcher's map queries as the table grows: 10k -> 100k -> 1M complaints."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg2
from sqlalchemy import create_engine, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from bench.common import Result
from bench.generate import generate
from dispatch import mapview, queue_view
from dispatch.db import sqlalchemy_url
from dispatch.kpi import compute_kpi
from dispatch.models import ComplaintStatus

CITY = (126.76, 37.42, 127.19, 37.71)
ALL_STATUSES = tuple(status.value for status in ComplaintStatus)


def _p95_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm-up: the first query after a bulk load reads cold pages
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.quantiles(timings, n=20)[-1] if len(timings) >= 20 else max(timings)


def _raw(connection, statements: list) -> Callable[[], object]:
    """The same SQL through bare psycopg2: the ceiling (no ORM, no result objects)."""
    sqls = [str(s.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
            for s in statements]
    rng = random.Random(5)

    def run():
        with connection.cursor() as cursor:
            cursor.execute(rng.choice(sqls))
            cursor.fetchall()

    return run


def run(database_url: str, stages: list[int], repeat: int) -> list[Result]:
    """Grow the table stage by stage and time each map query at each size."""
    engine = create_engine(sqlalchemy_url(database_url))
    raw = psycopg2.connect(database_url)
    raw.autocommit = True
    rng = random.Random(5)
    with Session(engine) as session:
        boxes = session.execute(text(
            "SELECT code, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
            "(SELECT code, ST_Envelope(boundary) AS b FROM districts) s")).all()
    results: list[Result] = []
    have = 0
    for stage in stages:
        print(f"  growing to {stage:,} complaints", flush=True)
        generate(database_url, stage - have, start_id=10_000_000 + have)
        have = stage
        with Session(engine) as session:
            def district_box():
                box = rng.choice(boxes)
                filters = mapview.MapFilter(bbox=tuple(box[1:]))
                return mapview.complaints_in_view(session, filters)

            def city_clusters():
                filters = mapview.MapFilter(bbox=CITY)
                return mapview.clusters(session, filters, mapview.cluster_cell_degrees(11))

            def district_month():
                box = rng.choice(boxes)
                filters = mapview.MapFilter(
                    bbox=tuple(box[1:]), statuses=ALL_STATUSES,
                    since=datetime.now(UTC) - timedelta(days=30))
                return mapview.complaints_in_view(session, filters)

            def kpi_month():
                until = datetime.now(UTC)
                return compute_kpi(session, until - timedelta(days=30), until, now=until)

            def district_queue():
                code = rng.choice(boxes)[0]
                filters = queue_view.QueueFilter(
                    district=code, statuses=tuple(s.value for s in queue_view.DEFAULT_QUEUE))
                return queue_view.list_queue(session, filters)

            kpi_ms = _p95_ms(kpi_month, max(10, repeat // 4))
            queue_ms = _p95_ms(district_queue, repeat)
            queue_total = queue_view.list_queue(session, queue_view.QueueFilter(
                district=boxes[0][0],
                statuses=tuple(s.value for s in queue_view.DEFAULT_QUEUE)))[1]
            box_ms = _p95_ms(district_box, repeat)
            month_ms = _p95_ms(district_month, repeat)
            month_rows = len(mapview.complaints_in_view(session, mapview.MapFilter(
                bbox=tuple(boxes[0][1:]), statuses=ALL_STATUSES,
                since=datetime.now(UTC) - timedelta(days=30)))[0])
            cluster_ms = _p95_ms(city_clusters, max(10, repeat // 2))
            rows = len(mapview.complaints_in_view(
                session, mapview.MapFilter(bbox=tuple(boxes[0][1:])))[0])
        box_ceiling = _p95_ms(_raw(raw, [_statement_for_box(box) for box in boxes]), repeat)
        results.append(Result(
            f"map: district bbox, {stage:,} complaints (p95)", box_ms, "ms", box_ceiling,
            "same SQL via bare psycopg2", "p95 <= 50 ms", box_ms <= 50,
            f"{rows} features in the first district's box; both over random district boxes"))
        results.append(Result(
            f"map: district bbox, last 30 days all statuses, {stage:,} (p95)", month_ms, "ms",
            None, "", "p95 <= 50 ms", month_ms <= 50,
            f"{month_rows} features in the first district's box (limit 2,000)"))
        results.append(Result(
            f"district queue page (50 by due time + count), {stage:,} (p95)", queue_ms, "ms",
            None, "", "p95 <= 50 ms", queue_ms <= 50,
            f"{queue_total} open in the first district's queue; random districts"))
        results.append(Result(
            f"KPI panel, one month, {stage:,} complaints (p95)", kpi_ms, "ms", None, "",
            "p95 <= 500 ms", kpi_ms <= 500, "city and 25 districts"))
        results.append(Result(
            f"map: whole-city clusters, {stage:,} complaints (p95)", cluster_ms, "ms", None,
            "", "p95 <= 200 ms", cluster_ms <= 200, "open complaints, zoom 11 grid"))
    raw.close()
    engine.dispose()
    return results


def _statement_for_box(box):
    from sqlalchemy import func, select

    from dispatch.models import Complaint

    filters = mapview.MapFilter(bbox=tuple(box[1:]))
    return (select(Complaint.public_id, Complaint.status, func.ST_X(Complaint.location),
                   func.ST_Y(Complaint.location))
            .where(*mapview._conditions(filters, __import__("datetime").datetime.now(
                __import__("datetime").UTC)))
            .order_by(Complaint.due_at, Complaint.id).limit(2001))
