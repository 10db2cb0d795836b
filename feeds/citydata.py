"""Seoul real-time city data (OA-21285), ``CITYDATA.ROAD_TRAFFIC_STTS``: links with polylines.

Each hotspot area answers with its road links: ``LINK_ID``, ``ROAD_NM``, start/end
nodes, ``SPD`` (km/h), ``IDX`` (원활/서행/정체) and ``XYLIST`` (the link polyline).
The adapter returns readings and link shapes, so this feed can create link geometry.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from feeds.base import FeedBatch, FeedFormatError, LinkReading, LinkShape
from feeds.fetch import fetch_all

SOURCE = "citydata"
DEFAULT_URL = "http://openapi.seoul.go.kr:8088/{key}/json/citydata/1/5/{area}"
KST = timezone(timedelta(hours=9))
# The feed's congestion words and the levels they mean.
IDX_LEVELS = {"원활": "free", "서행": "slow", "정체": "jammed"}
_PAIR_SPLIT = re.compile(r"[|;\s]+")


def _upper_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).upper(): _upper_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_upper_keys(v) for v in value]
    return value


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(str(value).replace(",", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def parse_xylist(text: str) -> tuple[tuple[float, float], ...]:
    """Parse ``"lon_lat|lon_lat|…"`` (also ``,`` inside pairs, ``;`` or spaces between).

    Pairs whose first number is a latitude (Korea: below 90 while the other is above)
    are swapped to (lon, lat).

    :raises FeedFormatError: when fewer than two valid positions remain.
    """
    points: list[tuple[float, float]] = []
    for pair in _PAIR_SPLIT.split(text.strip()):
        if not pair:
            continue
        parts = re.split(r"[_,]", pair)
        if len(parts) != 2:
            raise FeedFormatError(f"XYLIST position {pair!r} is not lon_lat")
        try:
            a, b = float(parts[0]), float(parts[1])
        except ValueError as exc:
            raise FeedFormatError(f"XYLIST position {pair!r} is not numeric") from exc
        lon, lat = (b, a) if abs(a) <= 90 < abs(b) else (a, b)
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise FeedFormatError(f"XYLIST position {pair!r} is out of range")
        if not points or points[-1] != (lon, lat):
            points.append((lon, lat))
    if len(points) < 2:
        raise FeedFormatError("XYLIST needs at least two distinct positions")
    return tuple(points)


def _time(text: Any) -> datetime | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y%m%d%H%M%S", "%Y%m%d%H%M"):
        try:
            return datetime.strptime(str(text).strip(), fmt).replace(tzinfo=KST).astimezone(UTC)
        except ValueError:
            continue
    return None


def parse_citydata(body: bytes, observed_at: datetime | None = None
                   ) -> tuple[list[LinkReading], list[LinkShape], str]:
    """Parse one city-data answer into (readings, shapes, result code).

    The area's ``ROAD_TRAFFIC_TIME`` is used as the observation time when present.
    A link without a usable polyline still gives a reading; one without an id is dropped.

    :raises FeedFormatError: for malformed JSON or a document with no CITYDATA.
    """
    try:
        document = _upper_keys(json.loads(body.decode("utf-8")))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedFormatError(f"malformed JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise FeedFormatError("the answer is not a JSON object")
    result = document.get("RESULT") or {}
    code = str(result.get("RESULT.CODE") or result.get("CODE") or "INFO-000")
    city = document.get("CITYDATA")
    if city is None:
        if code != "INFO-000":
            return [], [], code
        raise FeedFormatError("no CITYDATA object")
    if isinstance(city, list):  # some clients wrap the area in a list
        city = city[0] if city else {}
    traffic = city.get("ROAD_TRAFFIC_STTS") or {}
    if isinstance(traffic, list):
        traffic = traffic[0] if traffic else {}
    average = traffic.get("AVG_ROAD_DATA") or {}
    if isinstance(average, list):
        average = average[0] if average else {}
    when = _time(average.get("ROAD_TRAFFIC_TIME")) or observed_at
    links = traffic.get("ROAD_TRAFFIC_STTS") or []
    if isinstance(links, dict):
        links = [links]
    readings, shapes = [], []
    for link in links:
        if not isinstance(link, dict):
            continue
        link_id = str(link.get("LINK_ID") or "").strip()
        if not link_id:
            continue
        speed = _number(link.get("SPD"))
        level = IDX_LEVELS.get(str(link.get("IDX") or "").strip())
        if speed is not None or level is not None:
            readings.append(LinkReading(link_id, speed, None, when, level))
        try:
            coordinates = parse_xylist(str(link.get("XYLIST") or ""))
        except FeedFormatError:
            continue
        shapes.append(LinkShape(link_id, coordinates,
                                name=str(link.get("ROAD_NM") or "").strip() or None,
                                start_node=str(link.get("START_ND_NM") or "") or None,
                                end_node=str(link.get("END_ND_NM") or "") or None))
    return readings, shapes, code


class CityDataAdapter:
    """Polls the city-data feed for a fixed list of hotspot areas."""

    source = SOURCE

    def __init__(self, url_template: str = DEFAULT_URL, api_key: str = "",
                 areas: Sequence[str] = (), *, concurrency: int = 4, timeout_s: float = 10.0,
                 rate_per_s: float = 5.0, budget_s: float | None = None,
                 clock=lambda: datetime.now(UTC)) -> None:
        self.url_template = url_template
        self.api_key = api_key
        self.areas = tuple(areas)
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.rate_per_s = rate_per_s
        self.budget_s = budget_s
        self.clock = clock

    def url_for(self, area: str) -> str:
        """The request URL of one area."""
        return self.url_template.format(key=quote(self.api_key, safe=""),
                                        area=quote(area, safe=""))

    def poll(self, known_link_ids: Sequence[str]) -> FeedBatch:
        """Request every configured area (the feed is per area, not per link)."""
        batch = FeedBatch(SOURCE)
        observed_at = self.clock().replace(microsecond=0)
        results = fetch_all([self.url_for(area) for area in self.areas],
                            concurrency=self.concurrency, timeout_s=self.timeout_s,
                            rate_per_s=self.rate_per_s, budget_s=self.budget_s)
        for area, result in zip(self.areas, results, strict=True):
            batch.requests += 1
            if result.body is None:
                batch.failures.append((area, result.error or "no body"))
                continue
            try:
                readings, shapes, code = parse_citydata(result.body, observed_at)
            except FeedFormatError as exc:
                batch.failures.append((area, str(exc)))
                continue
            if code not in ("INFO-000", "INFO-200"):
                batch.failures.append((area, code))
            elif not readings:
                batch.empty += 1
            batch.readings.extend(readings)
            batch.shapes.extend(shapes)
        return batch
