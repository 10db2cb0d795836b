"""Public facilities: import points from GeoJSON or CSV, derive public offices, nearest search."""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from dispatch.areas import get_router
from dispatch.errors import ImportFailed
from dispatch.models import Facility, FacilityKind
from geo.points import degrees_covering

KINDS = tuple(kind.value for kind in FacilityKind)
DERIVED_SOURCE = "derived-offices"
MAX_NEAREST = 50
# "Nearest" is help for someone on foot in Seoul: 5 km by default, never more than 50 km
# (without a cap a point in New York got Seoul's toilets, 11,000 km away).
DEFAULT_MAX_DISTANCE_M = 5_000
MAX_DISTANCE_M = 50_000

# Public offices named in facility names (e.g. the toilet of 역삼1동주민센터).
# "구청" followed by 소년 (청소년, youth centre) or 역 (a subway station) is not an office; nor is
# an office name followed by 점 (a shop's branch: 버거킹(종로구청점)) or 별관 (an annex elsewhere).
_NOT_THE_OFFICE = r"(?!점|별관)"
_DISTRICT_OFFICE = re.compile(r"([가-힣]{1,4}구청)(?!소년|역)" + _NOT_THE_OFFICE)
_COMMUNITY_CENTRE = re.compile(
    r"([가-힣0-9·.]{1,12}?(?:주민센터|동사무소|주민자치센터|행정복지센터))" + _NOT_THE_OFFICE)


@dataclass(frozen=True)
class FacilitySpec:
    """Which file holds facilities and which properties carry id, name, kind, address, position."""

    path: Path
    source: str
    name_prop: str
    id_prop: str | None = None
    kind: str | None = None          # one kind for every row …
    kind_prop: str | None = None     # … or a property holding it
    address_props: tuple[str, ...] = ()
    lon_prop: str | None = None      # CSV (or GeoJSON without geometry)
    lat_prop: str | None = None
    derive_offices: bool = False


@dataclass
class FacilityReport:
    """What a facility import did; skipped rows are counted by reason, with examples."""

    rows: int = 0
    added: int = 0
    updated: int = 0
    derived_offices: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def skip(self, reason: str, example: str) -> None:
        """Count a skipped row; keep the first few as examples."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        if len(self.examples) < 20:
            self.examples.append(f"{reason}: {example}")


def derive_office(name: str) -> tuple[str, str] | None:
    """Return ``(kind, office name)`` when a facility name names a public office."""
    compact = re.sub(r"\s+", "", name)
    compact = re.sub(r"^(서울특별시|서울시|서울)", "", compact)
    match = _COMMUNITY_CENTRE.search(compact)
    if match:
        return FacilityKind.COMMUNITY_CENTRE.value, match.group(1)
    match = _DISTRICT_OFFICE.search(compact)
    if match:
        return FacilityKind.DISTRICT_OFFICE.value, match.group(1)
    return None


def _records(spec: FacilitySpec) -> Iterator[tuple[dict, tuple[float, float] | None]]:
    path = Path(spec.path)
    try:
        if path.suffix.lower() == ".csv":
            with open(path, encoding="utf-8-sig", newline="") as handle:
                for row in csv.DictReader(handle):
                    yield row, None
            return
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
        raise ImportFailed(f"cannot read {path}: {exc}") from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ImportFailed(f"{path} is not a GeoJSON FeatureCollection or a .csv file")
    for feature in document.get("features") or []:
        geometry = (feature or {}).get("geometry") or {}
        position = None
        if geometry.get("type") == "Point":
            coordinates = geometry.get("coordinates") or []
            position = tuple(coordinates[:2]) if len(coordinates) >= 2 else None
        yield dict((feature or {}).get("properties") or {}), position


def _coordinate(value) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def import_facilities(session: Session, spec: FacilitySpec, *, tolerance_m: float,
                      refresh_seconds: float = 30.0,
                      progress: Callable[[str], None] = lambda _msg: None) -> FacilityReport:
    """Insert or update facility points; skip and count rows that cannot be placed.

    A row is skipped for a missing name, an unknown kind, missing coordinates, or a
    position outside the city (farther than ``tolerance_m`` from every dong, decided by
    the areas router). With ``derive_offices``, names such as 역삼1동주민센터 or
    강남구청 also add a community_centre or district_office point (one per office name,
    the latest import wins). Re-importing updates rows by (source, id). Flushes.

    :raises ImportFailed: when the file cannot be read or no kind is given.
    """
    if not spec.kind and not spec.kind_prop:
        raise ImportFailed("give a kind for every row or the property holding it")
    if spec.kind and spec.kind not in KINDS:
        raise ImportFailed(f"unknown kind {spec.kind!r}; use one of {', '.join(KINDS)}")
    router = get_router(session, refresh_seconds)
    report = FacilityReport()
    rows: dict[tuple[str, str], dict] = {}
    for number, (props, position) in enumerate(_records(spec), start=1):
        report.rows += 1
        name = str(props.get(spec.name_prop) or "").strip()
        label = name or f"row {number}"
        if not name:
            report.skip("missing name", f"row {number}")
            continue
        kind = spec.kind or str(props.get(spec.kind_prop or "") or "").strip()
        if kind not in KINDS:
            report.skip("unknown kind", f"{label} ({kind!r})")
            continue
        if spec.lon_prop and spec.lat_prop:
            position = (_coordinate(props.get(spec.lon_prop)),
                        _coordinate(props.get(spec.lat_prop)))
        if not position or None in position or position == (0.0, 0.0):
            report.skip("missing coordinates", label)
            continue
        lon, lat = float(position[0]), float(position[1])
        routed = (router.route(lon, lat, tolerance_m)
                  if -180 <= lon <= 180 and -90 <= lat <= 90 else None)
        if routed is None:
            report.skip("outside the city", f"{label} at ({lon}, {lat})")
            continue
        address = next((str(props[p]).strip() for p in spec.address_props
                        if str(props.get(p) or "").strip()), None)
        source_id = str(props.get(spec.id_prop) or "").strip() if spec.id_prop else ""
        row = {"source": spec.source[:64], "source_id": (source_id or f"row-{number}")[:200],
               "kind": kind, "name": name[:300], "names": {"ko": name[:300]},
               "address": address, "location": from_shape(Point(lon, lat), srid=4326),
               "district_code": routed.district_code, "dong_code": routed.dong_code}
        rows[(row["source"], row["source_id"])] = row
        office = derive_office(name) if spec.derive_offices else None
        if office:
            office_kind, office_name = office
            rows[(DERIVED_SOURCE, f"{office_kind}:{office_name}")] = {
                **row, "source": DERIVED_SOURCE, "source_id": f"{office_kind}:{office_name}",
                "kind": office_kind, "name": office_name, "names": {"ko": office_name}}
        if number % 1000 == 0:
            progress(f"  facilities: {number} rows read")
    report.derived_offices = sum(1 for source, _ in rows if source == DERIVED_SOURCE)
    report.added, report.updated = _upsert(session, list(rows.values()))
    session.flush()
    return report


def _upsert(session: Session, rows: list[dict]) -> tuple[int, int]:
    if not rows:
        return 0, 0
    added = 0
    for start in range(0, len(rows), 1000):
        chunk = rows[start:start + 1000]
        statement = insert(Facility).values(chunk)
        statement = statement.on_conflict_do_update(
            constraint="uq_facilities_source_source_id",
            set_={name: statement.excluded[name] for name in chunk[0]
                  if name not in ("source", "source_id")} | {"updated_at": func.now()},
        ).returning(text("(xmax = 0) AS inserted"))  # xmax = 0: the row is new
        added += sum(1 for (inserted,) in session.execute(statement) if inserted)
    return added, len(rows) - added


@dataclass(frozen=True)
class NearFacility:
    """A facility and its straight-line distance from the asked point."""

    facility: Facility
    lon: float
    lat: float
    distance_m: float


def nearest_facilities(session: Session, lon: float, lat: float, *, kind: str | None = None,
                       limit: int = 5,
                       max_distance_m: float = DEFAULT_MAX_DISTANCE_M) -> list[NearFacility]:
    """Return the ``limit`` facilities nearest to a point within ``max_distance_m``, with metres.

    The GiST index answers ``<->`` in degrees, which stretch east-west in Seoul; so a
    few more candidates than asked are taken by KNN and re-ranked by true distance.
    """
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    candidates = (select(Facility.id).order_by(Facility.location.op("<->")(point))
                  .limit(limit * 2 + 10))
    if kind:
        candidates = candidates.where(Facility.kind == kind)
    metres = func.ST_Distance(func.Geography(Facility.location), func.Geography(point))
    query = (select(Facility, func.ST_X(Facility.location), func.ST_Y(Facility.location),
                    metres.label("metres"))
             .where(Facility.id.in_(candidates.scalar_subquery()),
                    func.ST_DWithin(func.Geography(Facility.location), func.Geography(point),
                                    max_distance_m))
             .order_by(metres, Facility.id).limit(limit))
    return [NearFacility(row[0], row[1], row[2], float(row[3]))
            for row in session.execute(query)]


def facilities_near(session: Session, lon: float, lat: float, radius_m: float,
                    limit: int = 200) -> list[Facility]:
    """Return facilities within ``radius_m`` metres (unordered; used by summaries)."""
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    return list(session.scalars(
        select(Facility)
        .where(Facility.location.op("&&")(func.ST_Expand(point, degrees_covering(radius_m, lat))),
               func.ST_DWithin(func.Geography(Facility.location), func.Geography(point),
                               radius_m))
        .limit(limit)))
