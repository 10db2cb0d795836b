"""RQ jobs of the traffic feed: poll every 5 minutes, prune old readings. Safe to run twice."""

from __future__ import annotations

import logging

from dispatch.db import session_scope
from dispatch.runtime import current_settings
from dispatch.settings import Settings
from dispatch.traffic import (
    Thresholds,
    feed_freshness,
    link_coverage,
    links_oldest_reading_first,
    prune_readings,
    store_readings,
    upsert_shapes,
)
from feeds.base import FeedAdapter
from feeds.citydata import CityDataAdapter
from feeds.topis import TopisAdapter

log = logging.getLogger(__name__)

# RQ kills a job after 180 s by default; stop starting feed requests well before.
FETCH_BUDGET_S = 150.0


def build_adapters(settings: Settings) -> list[FeedAdapter]:
    """Return the adapters named in ``traffic_feeds``, configured from settings."""
    polite = {"concurrency": settings.traffic_fetch_concurrency,
              "timeout_s": settings.traffic_fetch_timeout_s,
              "rate_per_s": settings.traffic_fetch_rate, "budget_s": FETCH_BUDGET_S}
    adapters: list[FeedAdapter] = []
    for name in settings.traffic_feeds:
        if name == "topis":
            adapters.append(TopisAdapter(settings.topis_url_template, settings.topis_api_key,
                                         **polite))
        elif name == "citydata":
            adapters.append(CityDataAdapter(settings.citydata_url_template,
                                            settings.citydata_api_key,
                                            settings.citydata_areas, **polite))
    return adapters


def poll_traffic_feeds() -> dict:
    """Fetch every configured feed, store links' shapes and readings; return counts.

    Fetching happens before the transaction opens, so no connection is held while
    waiting on a slow feed. A failed request is logged and counted, never raised:
    the next poll in 5 minutes is the retry.
    """
    settings = current_settings()
    thresholds = Thresholds.parse(settings.traffic_thresholds)
    adapters = build_adapters(settings)
    with session_scope() as session:
        link_ids = links_oldest_reading_first(session)
    summary: dict = {}
    for adapter in adapters:
        batch = adapter.poll(link_ids)
        with session_scope() as session:
            shapes = upsert_shapes(session, batch.shapes, adapter.source) if batch.shapes else 0
            stored = store_readings(session, batch.readings, adapter.source, thresholds)
        summary[adapter.source] = {
            "requests": batch.requests, "empty": batch.empty, "failed": len(batch.failures),
            "readings": stored.received, "stored": stored.stored,
            "unknown_links": stored.unknown_links, "rejected_future": stored.rejected,
            "shapes": shapes}
        log.info("traffic feed %s: %s", adapter.source, summary[adapter.source])
        for what, why in batch.failures[:10]:
            log.warning("traffic feed %s: %s failed: %s", adapter.source, what, why)
    with session_scope() as session:
        freshness = feed_freshness(session, settings.traffic_stale_minutes)
        coverage = link_coverage(session, settings.traffic_stale_minutes)
    if adapters and freshness.stale:
        log.warning("traffic data is stale: newest reading %s", freshness.updated_at)
    if adapters and coverage.share < settings.traffic_min_coverage:
        log.warning("traffic coverage is low: %d of %d links have a fresh reading",
                    coverage.fresh, coverage.total)
    summary["stale"] = freshness.stale
    summary["coverage"] = {"fresh": coverage.fresh, "links": coverage.total}
    return summary


def prune_traffic_readings() -> int:
    """Delete readings older than ``traffic_history_days``; return how many."""
    settings = current_settings()
    with session_scope() as session:
        removed = prune_readings(session, settings.traffic_history_days)
    log.info("pruned %d traffic readings", removed)
    return removed
