"""What every feed adapter returns, and the one small interface adapters implement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class FeedFormatError(ValueError):
    """A response that is not in the feed's documented format (malformed XML/JSON)."""


@dataclass(frozen=True)
class LinkReading:
    """One observation of one road link; ``None`` values mean "no reading"."""

    link_id: str
    speed_kmh: float | None
    travel_time_s: float | None = None
    observed_at: datetime | None = None
    # The feed's own congestion word (e.g. 원활/서행/정체) when it gives one.
    feed_level: str | None = None


@dataclass(frozen=True)
class LinkShape:
    """A link's geometry and names as a feed describes it (lon, lat pairs)."""

    link_id: str
    coordinates: tuple[tuple[float, float], ...]
    name: str | None = None
    start_node: str | None = None
    end_node: str | None = None


@dataclass
class FeedBatch:
    """Everything one poll of a feed produced, with counts for the log."""

    source: str
    readings: list[LinkReading] = field(default_factory=list)
    shapes: list[LinkShape] = field(default_factory=list)
    requests: int = 0
    empty: int = 0  # valid answers with no data (e.g. INFO-200)
    # (what was asked, why it failed): error codes, timeouts, malformed bodies
    failures: list[tuple[str, str]] = field(default_factory=list)

    def merge(self, other: FeedBatch) -> None:
        """Add another batch's results to this one."""
        self.readings.extend(other.readings)
        self.shapes.extend(other.shapes)
        self.requests += other.requests
        self.empty += other.empty
        self.failures.extend(other.failures)


class FeedAdapter(Protocol):
    """A real-time feed: ``poll`` fetches and parses; it never raises for one bad answer."""

    source: str

    def poll(self, known_link_ids: Sequence[str]) -> FeedBatch:
        """Fetch the feed (for ``known_link_ids`` where the feed is per link)."""
        ...
