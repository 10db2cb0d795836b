"""Seoul TOPIS ``TrafficInfo`` (OA-13291): one XML request per service link.

Format (see docs/TRAFFIC.md): ``<TrafficInfo><RESULT><CODE>INFO-000</CODE>…</RESULT>
<row><link_id/><prcs_spd/><prcs_trv_time/></row></TrafficInfo>``. Tags may be upper
case, speeds may be decimals, and an empty value means "no reading".
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET  # noqa: S405 - see _parse_xml: no DTDs accepted
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from feeds.base import FeedBatch, FeedFormatError, LinkReading
from feeds.fetch import fetch_all

SOURCE = "topis"
OK = "INFO-000"
NO_DATA = "INFO-200"
DEFAULT_URL = "http://openapi.seoul.go.kr:8088/{key}/xml/TrafficInfo/1/5/{link_id}"


@dataclass(frozen=True)
class TopisAnswer:
    """One parsed response: result code and message, and its readings."""

    code: str
    message: str
    readings: list[LinkReading]

    @property
    def ok(self) -> bool:
        """True for success, including the valid empty answer INFO-200."""
        return self.code in (OK, NO_DATA)


def _parse_xml(body: bytes) -> ET.Element:
    # The feed never uses a DOCTYPE; refusing one rules out entity-expansion attacks
    # without an extra dependency (defusedxml).
    if b"<!DOCTYPE" in body[:2048].upper() or b"<!ENTITY" in body.upper():
        raise FeedFormatError("DOCTYPE/ENTITY declarations are not accepted")
    try:
        return ET.fromstring(body)  # noqa: S314 - DTDs refused above
    except ET.ParseError as exc:
        raise FeedFormatError(f"malformed XML: {exc}") from exc


def _children(element: ET.Element) -> dict[str, str]:
    """Child tag (lower-cased, namespace dropped) -> stripped text."""
    return {child.tag.rsplit("}", 1)[-1].lower(): (child.text or "").strip()
            for child in element}


def _number(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def parse_traffic_info(body: bytes, observed_at: datetime | None = None) -> TopisAnswer:
    """Parse one TrafficInfo response into its result code and readings.

    Rows with no link id are dropped; rows with an empty speed are kept only if they
    carry a travel time (a reading with neither is "no reading").

    :raises FeedFormatError: for malformed XML or a document with no result code.
    """
    root = _parse_xml(body)
    # Errors arrive either inside <TrafficInfo><RESULT> or as a bare <RESULT>.
    result = root if root.tag.lower().endswith("result") else None
    rows = []
    for element in root:
        tag = element.tag.rsplit("}", 1)[-1].lower()
        if tag == "result":
            result = element
        elif tag == "row":
            rows.append(element)
    if result is None:
        raise FeedFormatError("no RESULT element")
    fields = _children(result)
    code = fields.get("code", "")
    if not code:
        raise FeedFormatError("RESULT has no CODE")
    readings = []
    for row in rows:
        values = _children(row)
        link_id = values.get("link_id", "")
        speed = _number(values.get("prcs_spd"))
        travel = _number(values.get("prcs_trv_time"))
        if not link_id or (speed is None and travel is None):
            continue
        readings.append(LinkReading(link_id, speed, travel, observed_at))
    return TopisAnswer(code, fields.get("message", ""), readings)


class TopisAdapter:
    """Polls TrafficInfo for every known link, concurrently but politely."""

    source = SOURCE

    def __init__(self, url_template: str = DEFAULT_URL, api_key: str = "", *,
                 concurrency: int = 8, timeout_s: float = 10.0, rate_per_s: float = 20.0,
                 budget_s: float | None = None, clock=lambda: datetime.now(UTC)) -> None:
        self.url_template = url_template
        self.api_key = api_key
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.rate_per_s = rate_per_s
        self.budget_s = budget_s
        self.clock = clock

    def url_for(self, link_id: str) -> str:
        """The request URL of one link."""
        return self.url_template.format(key=quote(self.api_key, safe=""),
                                        link_id=quote(link_id, safe=""))

    def poll(self, known_link_ids: Sequence[str]) -> FeedBatch:
        """Request every link; error codes, timeouts and bad XML become failures."""
        batch = FeedBatch(SOURCE)
        # The feed has no timestamp; every reading of one poll shares the poll's time.
        observed_at = self.clock().replace(microsecond=0)
        results = fetch_all([self.url_for(link) for link in known_link_ids],
                            concurrency=self.concurrency, timeout_s=self.timeout_s,
                            rate_per_s=self.rate_per_s, budget_s=self.budget_s)
        for link_id, result in zip(known_link_ids, results, strict=True):
            batch.requests += 1
            if result.body is None:
                batch.failures.append((link_id, result.error or "no body"))
                continue
            try:
                answer = parse_traffic_info(result.body, observed_at)
            except FeedFormatError as exc:
                batch.failures.append((link_id, str(exc)))
                continue
            if not answer.ok:
                batch.failures.append((link_id, f"{answer.code} {answer.message}".strip()))
            elif not answer.readings:
                batch.empty += 1
            batch.readings.extend(answer.readings)
        return batch
