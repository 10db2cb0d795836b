"""Prometheus metrics: request counts and latency per endpoint, plus counts read at scrape time."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

from api.context import settings
from api.db import get_session
from dispatch import stats
from dispatch.queue import QUEUES, redis_connection
from dispatch.traffic import feed_freshness, link_coverage

REQUESTS = Counter("dasan_http_requests_total", "HTTP requests",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("dasan_http_request_duration_seconds", "HTTP request latency",
                    ["method", "endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

blp = Blueprint("metrics", __name__)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _record(response):
    started = g.pop("metrics_started", None)
    if started is not None and request.endpoint != "metrics.metrics":
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - started)
    return response


def _domain_families() -> list[GaugeMetricFamily]:
    session = get_session()
    by_status = GaugeMetricFamily("dasan_complaints", "Complaints by status", labels=["status"])
    for status, count in sorted(stats.complaints_by_status(session).items()):
        by_status.add_metric([status], count)
    overdue = GaugeMetricFamily("dasan_complaints_overdue",
                                "Open complaints past their due time (SLA breached)")
    overdue.add_metric([], stats.overdue_open_complaints(session))
    depth = GaugeMetricFamily("dasan_queue_depth", "Jobs waiting per RQ queue", labels=["queue"])
    for name, count in stats.queue_depths(redis_connection(), QUEUES).items():
        depth.add_metric([name], count)
    deliveries = GaugeMetricFamily("dasan_notifications", "Outbox rows by channel and state",
                                   labels=["channel", "state"])
    for (channel, state), count in sorted(stats.notifications_by_state(session).items()):
        deliveries.add_metric([channel, state], count)
    waiting = GaugeMetricFamily(
        "dasan_notifications_oldest_waiting_seconds",
        "How long the longest-waiting pending row of each channel has been due",
        labels=["channel"])
    for channel, seconds in sorted(stats.oldest_waiting_notification(session).items()):
        waiting.add_metric([channel], seconds)
    breaches = GaugeMetricFamily("dasan_sla_escalations", "SLA escalations recorded, by threshold",
                                 labels=["threshold"])
    for threshold, count in sorted(stats.escalations_by_threshold(session).items()):
        breaches.add_metric([threshold], count)
    return [by_status, overdue, depth, deliveries, waiting, breaches, *_traffic_families(session)]


def _traffic_families(session) -> list[GaugeMetricFamily]:
    if not settings().traffic_feeds:  # nothing polls: no coverage to watch (as /health/ready)
        return []
    stale_minutes = settings().traffic_stale_minutes
    coverage = link_coverage(session, stale_minutes)
    share = GaugeMetricFamily("dasan_traffic_link_coverage",
                              "Share of road links with a reading younger than the stale limit")
    share.add_metric([], coverage.share)
    families = [share]
    newest = feed_freshness(session, stale_minutes).updated_at
    if newest is not None:  # no reading yet: no age (an alert on absence catches it)
        age = GaugeMetricFamily("dasan_traffic_newest_reading_age_seconds",
                                "Seconds since the newest traffic reading was observed")
        age.add_metric([], max((datetime.now(UTC) - newest).total_seconds(), 0.0))
        families.append(age)
    return families


class _Snapshot:
    """A collector that yields families computed once for this scrape."""

    def __init__(self, families):
        self.families = families

    def collect(self):
        """Yield the families."""
        yield from self.families


@blp.get("/metrics")
def metrics():
    """Prometheus text exposition (all gunicorn workers when multiprocess mode is on)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    scrape = CollectorRegistry()
    scrape.register(_Snapshot(_domain_families()))
    body = generate_latest(registry) + generate_latest(scrape)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Time every request."""
    app.before_request(_start_timer)
    app.after_request(_record)
