"""Complaint intake under gunicorn at 32 connections, beside a hello-world ceiling."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import intake_sql
from bench.common import (
    ROOT,
    Gunicorn,
    Result,
    RssSampler,
    free_port,
    machine_busy_seconds,
    postgres_cpu_seconds,
    process_cpu_seconds,
    run_wrk,
    scratch_redis,
)
from geo.geojson import read_features, repair_area

LUA = """
math.randomseed(os.time())
local points = {%(points)s}
local categories = {"street_lamp", "illegal_parking", "garbage", "road_damage",
                    "sidewalk_damage", "illegal_dumping", "traffic_signal"}
local function uuid()
  local t = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (string.gsub(t, "[xy]", function (c)
    local v = (c == "x") and math.random(0, 0xf) or math.random(8, 0xb)
    return string.format("%%x", v)
  end))
end
request = function()
  local p = points[math.random(#points)]
  local body = string.format('{"category":"%%s","location":{"type":"Point",' ..
    '"coordinates":[%%f,%%f]},"description":"bench","phone":"010-1234-5678","language":"ko"}',
    categories[math.random(#categories)], p[1], p[2])
  return wrk.format("POST", "/api/v1/complaints",
    {["Content-Type"] = "application/json", ["Idempotency-Key"] = uuid()}, body)
end
"""


def seoul_points(count: int, seed: int = 1) -> list[tuple[float, float]]:
    """Random points inside Seoul's dongs (so every request is a valid complaint)."""
    rng = random.Random(seed)
    polygons = [repair_area(f.geometry)[0]
                for f in read_features(ROOT / "fixtures/seoul_dong.geojson")]
    points = []
    while len(points) < count:
        polygon = rng.choice(polygons)
        minx, miny, maxx, maxy = polygon.bounds
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        from shapely.geometry import Point

        if polygon.contains(Point(lon, lat)):
            points.append((lon, lat))
    return points


def _wait_for_texts(database_url: str, timeout: float) -> tuple[int, float]:
    """Wait until no text is due (the relay and the worker kept up); (left, seconds waited)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from dispatch.db import sqlalchemy_url
    from dispatch.notifications import count_due

    engine = create_engine(sqlalchemy_url(database_url))
    started = time.monotonic()
    try:
        while True:
            with Session(engine) as session:
                left = count_due(session)
            waited = time.monotonic() - started
            if left == 0 or waited > timeout:
                return left, waited
            time.sleep(0.2)
    finally:
        engine.dispose()


def _cpu_snapshot(web: Gunicorn, worker_pid: int | None) -> dict[str, float]:
    return {"web": sum(process_cpu_seconds(pid) for pid in web.pids()),
            "worker": process_cpu_seconds(worker_pid) if worker_pid else 0.0,
            "postgres": postgres_cpu_seconds(), "machine": machine_busy_seconds(),
            "wall": time.monotonic()}


def _cpu_split(before: dict[str, float], after: dict[str, float], complaints: float) -> str:
    """Where the CPU went, per complaint, between two snapshots (all from /proc)."""
    used = {key: after[key] - before[key] for key in before}
    rest = used["machine"] - used["web"] - used["worker"] - used["postgres"]

    def per(seconds: float) -> float:
        return seconds / max(complaints, 1) * 1000

    busy = used["machine"] / used["wall"] / (os.cpu_count() or 1)
    worker = f", RQ worker {per(used['worker']):.1f}" if used["worker"] else ""
    return (f"CPU per complaint: web {per(used['web']):.1f} ms, PostgreSQL "
            f"{per(used['postgres']):.1f}{worker}, the rest {per(rest):.1f} (Redis, wrk, "
            f"scheduler); cores busy {busy:.0%}")


def run(database_url: str, seconds: int) -> list[Result]:
    """Measure hello-world and intake on the same gunicorn config, same run."""
    env = {**os.environ, "DASAN_DATABASE_URL": database_url, "DASAN_REDIS_URL": scratch_redis(),
           "DASAN_SECRET_KEY": "bench-secret-key-0123456789",
           "DASAN_QUEUE_ASYNC": "true", "DASAN_LOG_LEVEL": "WARNING",
           # The load comes from one address and one phone: lift the abuse limits.
           "DASAN_RATE_LIMIT_INTAKE_IP": "100000000/minute",
           "DASAN_RATE_LIMIT_INTAKE_PHONE": "100000000/minute"}
    results = []
    hello = Gunicorn("bench.hello_app:app", env, free_port())
    try:
        hello.wait_ready("/hello")
        run_wrk(f"http://127.0.0.1:{hello.port}/hello", 2)  # warm-up
        ceiling = run_wrk(f"http://127.0.0.1:{hello.port}/hello", seconds)
    finally:
        hello.stop()

    with tempfile.TemporaryDirectory() as folder:
        # The second ceiling: the same transaction per complaint with no Python at all.
        sql_alone, sql_latency = intake_sql.run(database_url, seconds, Path(folder))
        script = Path(folder) / "intake.lua"
        points = ",".join(f"{{{lon:.6f},{lat:.6f}}}" for lon, lat in seoul_points(2000))
        script.write_text(LUA % {"points": points})
        web = Gunicorn("api.wsgi:app", env, free_port())
        # A real RQ worker sends the texts to reporters, woken by the scheduler's outbox
        # relay: the production processes, on the same 2 cores as the load.
        worker = subprocess.Popen([sys.executable, "-m", "dispatch.worker"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        scheduler = subprocess.Popen([sys.executable, "-m", "dispatch.schedule"], env=env,
                                     cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        try:
            web.wait_ready("/health/live")
            run_wrk(f"http://127.0.0.1:{web.port}", 2, script=script)  # warm-up
            with RssSampler(worker.pid) as worker_rss:
                before = _cpu_snapshot(web, worker.pid)
                intake = run_wrk(f"http://127.0.0.1:{web.port}", seconds, script=script)
                texts_left, drain_seconds = _wait_for_texts(database_url, timeout=60)
                # Until the last text is sent: the cost of a complaint includes its texts.
                split = _cpu_split(before, _cpu_snapshot(web, worker.pid),
                                   intake.requests_per_s * seconds)
            rss = web.rss_kib()
            web_worker_peak = web.peak_worker_rss_kib()
            # Again with the texts left to a worker host (docs/SCALING.md): what the web
            # and the database do alone on these cores.
            for process in (worker, scheduler):
                process.terminate()
                process.wait(20)
            before = _cpu_snapshot(web, None)
            web_only = run_wrk(f"http://127.0.0.1:{web.port}", seconds, script=script)
            web_only_split = _cpu_split(before, _cpu_snapshot(web, None),
                                        web_only.requests_per_s * seconds)
        finally:
            web.stop()
            for process in (worker, scheduler):
                if process.poll() is None:
                    process.terminate()
                    process.wait(20)
    ratio = intake.requests_per_s / ceiling.requests_per_s
    results.append(Result(
        "intake: the database work alone (pgbench, same SQL, 32 clients)", sql_alone, "tx/s",
        ceiling.requests_per_s, "hello-world, same gunicorn config",
        "(bound: no intake is faster)", True,
        f"mean latency {sql_latency:.1f} ms; a 30% intake needs "
        f"{0.30 * ceiling.requests_per_s / sql_alone:.1f}x this"))
    results.append(Result(
        "intake throughput (POST /api/v1/complaints, 32 conn)", intake.requests_per_s, "req/s",
        ceiling.requests_per_s, "hello-world, same gunicorn config", ">= 30% of ceiling",
        ratio >= 0.30 and intake.non_2xx == 0 and texts_left == 0,
        f"{intake.requests_per_s / sql_alone:.2f} of the database alone; non-2xx "
        f"{intake.non_2xx}, socket errors {intake.errors}; texts: {texts_left} still due "
        f"{drain_seconds:.1f} s after the load; {split}"))
    results.append(Result(
        "intake latency p99", intake.p99_ms, "ms", ceiling.p99_ms, "hello-world p99",
        "<= 50 ms", intake.p99_ms <= 50, f"p50 {intake.p50_ms:.1f} ms"))
    results.append(Result(
        "intake, texts sent from another host (web + database only)", web_only.requests_per_s,
        "req/s", ceiling.requests_per_s, "hello-world, same gunicorn config", "(reported)",
        True, f"p50 {web_only.p50_ms:.1f} ms, p99 {web_only.p99_ms:.1f} ms; "
        f"{web_only.requests_per_s / sql_alone:.2f} of the database alone; "
        f"non-2xx {web_only.non_2xx}; {web_only_split}"))
    results.append(Result("web processes RSS after intake", rss / 1024, "MiB", None, "",
                          "(reported)", True, "gunicorn master + workers"))
    results.append(Result("one web worker: peak RSS (VmHWM)", web_worker_peak / 1024, "MiB",
                          None, "", "(reported)", True, "the larger of the workers"))
    results.append(Result("RQ worker: peak memory during intake (PSS)",
                          worker_rss.peak_kib / 1024, "MiB", None, "", "(reported)", True,
                          "worker + forked work-horses, shared pages split, every 50 ms"))
    return results
