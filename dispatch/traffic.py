"""Road links and speed readings: import, bulk storage, congestion levels, staleness, queries."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import shapely
from geoalchemy2.shape import from_shape
from shapely.geometry import LineString, MultiLineString
from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from dispatch.errors import ImportFailed
from dispatch.models import CongestionLevel, RoadLink, TrafficReading
from dispatch.samples import SAMPLE_LINKS_SOURCE
from feeds.base import LinkReading, LinkShape
from geo.errors import InvalidGeometry
from geo.geojson import read_features
from geo.points import degrees_covering

DEFAULT_CLASS = "arterial"
MAX_LINKS_IN_VIEW = 5000
# Clocks differ a little; a reading dated later than this is a feed error. Stored, it would
# count as the newest reading (fresh) until the feed's clock caught up, hiding real ones.
FUTURE_TOLERANCE = timedelta(minutes=5)


# ---------------------------------------------------------------- congestion levels

@dataclass(frozen=True)
class Thresholds:
    """Congestion thresholds per road class: (free at or above, jammed below) km/h."""

    by_class: dict[str, tuple[float, float]]

    @classmethod
    def parse(cls, rules: Iterable[str]) -> Thresholds:
        """Read ``class:free/jammed`` rules (``*`` is the default class)."""
        table = {}
        for rule in rules:
            road_class, _, numbers = rule.partition(":")
            free, _, jammed = numbers.partition("/")
            table[road_class.strip()] = (float(free), float(jammed))
        table.setdefault("*", (25.0, 15.0))
        return cls(table)

    def level(self, speed_kmh: float | None, road_class: str,
              feed_level: str | None = None) -> str:
        """Return free, slow or jammed for a speed; the feed's own level when there is none."""
        if speed_kmh is None:
            return feed_level or CongestionLevel.UNKNOWN.value
        free, jammed = self.by_class.get(road_class, self.by_class["*"])
        if speed_kmh >= free:
            return CongestionLevel.FREE.value
        if speed_kmh < jammed:
            return CongestionLevel.JAMMED.value
        return CongestionLevel.SLOW.value


# ---------------------------------------------------------------- link import

@dataclass(frozen=True)
class LinkSpec:
    """Which GeoJSON properties carry a link's id, names (per language), class and direction."""

    path: Path
    id_prop: str
    name_props: tuple[tuple[str, str], ...] = ()  # (language, property)
    class_prop: str | None = None
    direction_prop: str | None = None
    default_class: str = DEFAULT_CLASS
    source_label: str = ""


@dataclass
class LinkImportReport:
    """What a link import did."""

    features: int = 0
    added: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)
    removed_samples: int = 0


def _as_line(geometry) -> LineString:
    if isinstance(geometry, MultiLineString):
        geometry = shapely.line_merge(geometry)
    if not isinstance(geometry, LineString) or geometry.is_empty or geometry.length == 0:
        raise InvalidGeometry(f"{geometry.geom_type} is not one connected line")
    min_x, min_y, max_x, max_y = geometry.bounds
    if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
        raise InvalidGeometry("coordinates are not WGS84 longitude/latitude")
    return geometry


def _upsert_links(session: Session, rows: list[dict]) -> tuple[int, int]:
    """Insert or update link rows; return (added, updated)."""
    if not rows:
        return 0, 0
    ids = [row["link_id"] for row in rows]
    existing = set(session.scalars(select(RoadLink.link_id).where(RoadLink.link_id.in_(ids))))
    for start in range(0, len(rows), 500):
        statement = insert(RoadLink).values(rows[start:start + 500])
        session.execute(statement.on_conflict_do_update(
            index_elements=[RoadLink.link_id],
            set_={name: statement.excluded[name] for name in rows[0] if name != "link_id"}
            | {"updated_at": func.now()}))
    return len(set(ids) - existing), len(existing)


def import_links(session: Session, spec: LinkSpec,
                 progress: Callable[[str], None] = lambda _msg: None) -> LinkImportReport:
    """Load road links from a GeoJSON FeatureCollection of LineStrings (insert or update).

    Features without an id or with a geometry that is not one line are skipped and
    listed; links missing from the file are kept (their readings are history), except
    the synthetic sample links: a real layer removes them, so the traffic jobs never poll
    invented link ids beside real ones. Flushes.

    :raises ImportFailed: for an unreadable file or one that is not WGS84 GeoJSON.
    """
    report = LinkImportReport()
    try:
        features = list(read_features(spec.path))
    except InvalidGeometry as exc:
        raise ImportFailed(str(exc)) from exc
    rows: dict[str, dict] = {}
    for number, feature in enumerate(features, start=1):
        props = feature.properties
        link_id = str(props.get(spec.id_prop) or "").strip()
        if not link_id or len(link_id) > 32:
            report.skipped.append(f"feature {number}: no usable {spec.id_prop!r}")
            continue
        try:
            line = _as_line(feature.geometry)
        except InvalidGeometry as exc:
            report.skipped.append(f"feature {number} ({link_id}): {exc}")
            continue
        names = {lang: str(props[prop]).strip() for lang, prop in spec.name_props
                 if props.get(prop) not in (None, "")}
        road_class = str(props.get(spec.class_prop) or "").strip() if spec.class_prop else ""
        direction = props.get(spec.direction_prop) if spec.direction_prop else None
        rows[link_id] = {
            "link_id": link_id,
            "name": next(iter(names.values()), "")[:200],
            "names": names,
            "road_class": (road_class or spec.default_class)[:32],
            "direction": None if direction in (None, "") else str(direction)[:64],
            "path": from_shape(line, srid=4326),
            "source": (spec.source_label or str(spec.path))[:200],
        }
        if number % 1000 == 0:
            progress(f"  links: {number}/{len(features)}")
    report.features = len(features)
    report.added, report.updated = _upsert_links(session, list(rows.values()))
    if rows and spec.source_label != SAMPLE_LINKS_SOURCE:
        report.removed_samples = _remove_sample_links(session)
    session.flush()
    return report


def _remove_sample_links(session: Session) -> int:
    """Delete the synthetic sample links (and their demo readings); return how many."""
    result = session.execute(delete(RoadLink).where(RoadLink.source == SAMPLE_LINKS_SOURCE))
    return result.rowcount or 0


def upsert_shapes(session: Session, shapes: Sequence[LinkShape], source: str) -> int:
    """Create or update links from a feed's own polylines (city data); return how many.

    A feed's Korean road name fills ``names['ko']`` only when the link has none, so
    names loaded from a link layer are never overwritten by a feed.
    """
    rows = {}
    for link in shapes:
        try:
            line = _as_line(LineString(link.coordinates))
        except InvalidGeometry:
            continue
        rows[link.link_id] = {"link_id": link.link_id[:32], "name": (link.name or "")[:200],
                              "names": {"ko": link.name} if link.name else {},
                              "road_class": DEFAULT_CLASS,
                              "path": from_shape(line, srid=4326), "source": source}
    if not rows:
        return 0
    statement = insert(RoadLink).values(list(rows.values()))
    session.execute(statement.on_conflict_do_update(
        index_elements=[RoadLink.link_id],
        set_={"path": statement.excluded.path, "updated_at": func.now(),
              "name": func.coalesce(func.nullif(RoadLink.name, ""), statement.excluded.name),
              "names": statement.excluded.names.op("||")(RoadLink.names)}))
    return len(rows)


# ---------------------------------------------------------------- readings

@dataclass
class StoreReport:
    """What storing one batch of readings did."""

    received: int = 0
    stored: int = 0
    unknown_links: int = 0
    duplicates: int = 0
    rejected: int = 0  # dated in the future (beyond FUTURE_TOLERANCE)


# Readings are COPYed into a temporary table, then moved with one INSERT … SELECT, so
# a batch stored twice (same link and time) is skipped by ON CONFLICT. COPY is about
# twice as fast as a multi-row INSERT for 5,000 rows (bench/bench_traffic.py).
_STAGE_READINGS = (
    "CREATE TEMP TABLE IF NOT EXISTS incoming_readings "
    "(LIKE traffic_readings INCLUDING DEFAULTS) ON COMMIT DROP"
)
_MOVE_READINGS = (
    "INSERT INTO traffic_readings (link_id, observed_at, speed_kmh, travel_time_s, level, source) "
    "SELECT link_id, observed_at, speed_kmh, travel_time_s, level, source "
    "FROM incoming_readings ON CONFLICT DO NOTHING"
)


def _copy_field(value) -> str:
    """One field in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    text_value = str(value)
    if isinstance(value, str):
        text_value = (text_value.replace("\\", "\\\\").replace("\t", "\\t")
                      .replace("\n", "\\n").replace("\r", "\\r"))
    return text_value


def store_readings(session: Session, readings: Sequence[LinkReading], source: str,
                   thresholds: Thresholds, observed_at: datetime | None = None) -> StoreReport:
    """Bulk-store readings of known links with their congestion level.

    Readings of links not in ``road_links`` are counted and dropped, and so are readings
    dated more than ``FUTURE_TOLERANCE`` ahead of now (``rejected``); a reading already
    stored (same link and time) is skipped, so storing a batch twice is harmless.
    Runs inside the session's transaction (COPY on its own DBAPI connection); the
    caller commits.
    """
    report = StoreReport(received=len(readings))
    if not readings:
        return report
    now = datetime.now(UTC)
    default_time = (observed_at or now).replace(microsecond=0)
    latest_allowed = now + FUTURE_TOLERANCE
    classes = dict(session.execute(
        text("SELECT link_id, road_class FROM road_links WHERE link_id = ANY(:ids)"),
        {"ids": list({r.link_id for r in readings})}).all())
    rows: dict[tuple[str, datetime], tuple] = {}
    for reading in readings:
        road_class = classes.get(reading.link_id)
        if road_class is None:
            report.unknown_links += 1
            continue
        when = reading.observed_at or default_time
        if when > latest_allowed:
            report.rejected += 1
            continue
        rows[(reading.link_id, when)] = (
            reading.link_id, when, reading.speed_kmh, reading.travel_time_s,
            thresholds.level(reading.speed_kmh, road_class, reading.feed_level), source)
    if rows:
        buffer = io.StringIO("".join(
            "\t".join(map(_copy_field, row)) + "\n" for row in rows.values()))
        # The session's own DBAPI connection, so the COPY joins its transaction.
        cursor = session.connection().connection.dbapi_connection.cursor()
        try:
            cursor.execute(_STAGE_READINGS)
            cursor.execute("DELETE FROM incoming_readings")  # left over in this transaction
            cursor.copy_expert(
                "COPY incoming_readings (link_id, observed_at, speed_kmh, travel_time_s, "
                "level, source) FROM STDIN", buffer)
            cursor.execute(_MOVE_READINGS)
            report.stored = cursor.rowcount
        finally:
            cursor.close()
    report.duplicates = (report.received - report.unknown_links - report.rejected
                         - report.stored)
    return report


def prune_readings(session: Session, keep_days: float, now: datetime | None = None) -> int:
    """Delete readings older than ``keep_days``, and any dated in the future; return how many.

    Readings from the future are feed errors stored before they were refused at storage.
    """
    now = now or datetime.now(UTC)
    result = session.execute(delete(TrafficReading).where(or_(
        TrafficReading.observed_at < now - timedelta(days=keep_days),
        TrafficReading.observed_at > now + FUTURE_TOLERANCE)))
    return result.rowcount or 0


# ---------------------------------------------------------------- freshness and queries

@dataclass(frozen=True)
class Freshness:
    """When the newest reading was observed and whether that is too long ago."""

    updated_at: datetime | None
    stale: bool
    stale_after_minutes: int


def feed_freshness(session: Session, stale_minutes: int,
                   now: datetime | None = None) -> Freshness:
    """Return the newest reading's time and whether the feed is stale (or never ran)."""
    now = now or datetime.now(UTC)
    newest = session.scalar(select(func.max(TrafficReading.observed_at)))
    stale = newest is None or newest < now - timedelta(minutes=stale_minutes)
    return Freshness(newest, stale, stale_minutes)


@dataclass(frozen=True)
class Coverage:
    """How many road links have a fresh reading, out of all of them."""

    fresh: int
    total: int

    @property
    def share(self) -> float:
        """Fresh links / all links (1.0 when there are no links: nothing is missing)."""
        return self.fresh / self.total if self.total else 1.0


def link_coverage(session: Session, stale_minutes: int,
                  now: datetime | None = None) -> Coverage:
    """Count the links whose newest reading is younger than the stale limit."""
    cutoff = (now or datetime.now(UTC)) - timedelta(minutes=stale_minutes)
    row = session.execute(text(
        "SELECT count(*) AS total, count(*) FILTER (WHERE EXISTS ("
        "  SELECT 1 FROM traffic_readings t WHERE t.link_id = l.link_id"
        "  AND t.observed_at >= :cutoff)) AS fresh FROM road_links l"), {"cutoff": cutoff}).one()
    return Coverage(row.fresh, row.total)


def links_oldest_reading_first(session: Session) -> list[str]:
    """Every link id, those with no reading or the oldest newest reading first.

    A poll that runs out of time (a slow TOPIS) skips the links at the end of the list;
    this order makes the next poll start with them, so coverage rotates instead of the
    same first links being read every time.
    """
    return list(session.scalars(text(
        "SELECT l.link_id FROM road_links l LEFT JOIN LATERAL ("
        "  SELECT t.observed_at FROM traffic_readings t WHERE t.link_id = l.link_id"
        "  ORDER BY t.observed_at DESC LIMIT 1) r ON true"
        " ORDER BY r.observed_at ASC NULLS FIRST, l.link_id")))


@dataclass(frozen=True)
class LinkState:
    """A link with its newest reading, judged against the stale limit."""

    link_id: str
    name: str
    names: dict
    road_class: str
    direction: str | None
    geometry: dict
    speed_kmh: float | None
    travel_time_s: float | None
    level: str
    observed_at: datetime | None
    stale: bool

    @property
    def current_level(self) -> str:
        """The level to show now: ``stale`` when the reading is old or missing."""
        return "stale" if self.stale else self.level


_LINKS_SQL = """
SELECT l.link_id, l.name, l.names, l.road_class, l.direction,
       ST_AsGeoJSON(l.path, 6) AS geojson,
       r.speed_kmh, r.travel_time_s, r.level, r.observed_at
FROM road_links l
LEFT JOIN LATERAL (
    SELECT speed_kmh, travel_time_s, level, observed_at FROM traffic_readings t
    WHERE t.link_id = l.link_id ORDER BY t.observed_at DESC LIMIT 1
) r ON true
WHERE {where}
ORDER BY l.link_id
LIMIT :limit
"""


def _states(session: Session, where: str, params: dict, stale_minutes: int,
            now: datetime | None, limit: int) -> list[LinkState]:
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(minutes=stale_minutes)
    rows = session.execute(text(_LINKS_SQL.format(where=where)), {**params, "limit": limit})
    return [LinkState(
        link_id=row.link_id, name=row.name, names=row.names or {}, road_class=row.road_class,
        direction=row.direction, geometry=json.loads(row.geojson),
        speed_kmh=row.speed_kmh, travel_time_s=row.travel_time_s,
        level=row.level or CongestionLevel.UNKNOWN.value, observed_at=row.observed_at,
        stale=row.observed_at is None or row.observed_at < cutoff,
    ) for row in rows]


def links_in_bbox(session: Session, bbox: tuple[float, float, float, float],
                  stale_minutes: int, now: datetime | None = None,
                  limit: int = MAX_LINKS_IN_VIEW) -> tuple[list[LinkState], bool]:
    """Return (links crossing the box with their newest reading, truncated)."""
    states = _states(session, "l.path && ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326)",
                     dict(zip(("x1", "y1", "x2", "y2"), bbox, strict=True)),
                     stale_minutes, now, limit + 1)
    return states[:limit], len(states) > limit


def links_near(session: Session, lon: float, lat: float, radius_m: float,
               stale_minutes: int, now: datetime | None = None,
               limit: int = MAX_LINKS_IN_VIEW) -> list[LinkState]:
    """Return links within ``radius_m`` metres of a point with their newest reading."""
    # The box test uses the GiST index; the geography test is exact in metres.
    where = ("l.path && ST_Expand(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :deg) "
             "AND ST_DWithin(l.path::geography, "
             "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :radius)")
    return _states(session, where, {"lon": lon, "lat": lat, "radius": radius_m,
                                    "deg": degrees_covering(radius_m, lat)},
                   stale_minutes, now, limit)
