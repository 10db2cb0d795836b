"""Service areas: importing district and dong layers, and routing a point to its dong and district.

Routing is by dong (the dong layer tiles the city without gaps) and the district is
the dong's district, so the two answers can never disagree. PostGIS is the authority;
each process keeps an in-memory STRtree of the same polygons for speed and rebuilds it
when an import bumps the areas' revision.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely import wkb
from sqlalchemy import delete, exists, func, select, text
from sqlalchemy.orm import Session

from dispatch.errors import AreasNotLoaded, ImportFailed, InvalidPhone, NotFound, OutsideServiceArea
from dispatch.models import AreaImport, Complaint, District, Dong
from geo.areas import AreaIndex
from geo.errors import InvalidGeometry
from geo.geojson import read_features, repair_area

LEVELS = ("district", "dong")

# Seoul's 120 Dasan Call Center connects a caller to every district office, so it is the
# honest number to give where no office number is on file (the sample has none: see
# fixtures/SOURCES.md). Texts and the public view both use it.
FALLBACK_OFFICE_PHONE = "120"

# A number as people dial it: digits with the usual separators, an optional leading "+".
_OFFICE_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]*$")


@dataclass(frozen=True)
class LayerSpec:
    """Which file holds a layer and which feature properties carry code, name and parent."""

    level: str
    path: Path
    code_prop: str
    name_prop: str
    parent_prop: str | None = None
    name_last_word: bool = False
    names_path: Path | None = None
    source_label: str = ""
    phone_prop: str | None = None


@dataclass
class ImportReport:
    """What an import did; printed by the CLI."""

    level: str
    features: int = 0
    added: int = 0
    updated: int = 0
    repaired: int = 0
    removed: int = 0
    kept_in_use: list[str] = field(default_factory=list)
    skipped: bool = False


def _checksum(spec: LayerSpec) -> str:
    digest = hashlib.sha256()
    digest.update(Path(spec.path).read_bytes())
    if spec.names_path:
        digest.update(Path(spec.names_path).read_bytes())
    digest.update(repr((spec.code_prop, spec.name_prop, spec.parent_prop,
                        spec.name_last_word, spec.phone_prop)).encode())
    return digest.hexdigest()


def _load_names(spec: LayerSpec) -> dict[str, dict[str, str]]:
    if not spec.names_path:
        return {}
    try:
        document = json.loads(Path(spec.names_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportFailed(f"cannot read names file {spec.names_path}: {exc}") from exc
    return document.get(spec.level + "s", {})


def import_layer(
    session: Session,
    spec: LayerSpec,
    *,
    force: bool = False,
    progress: Callable[[str], None] = lambda _msg: None,
) -> ImportReport:
    """Load one area layer into the database (insert, update, remove), repairing invalid rings.

    Idempotent: a file already imported with the same checksum is skipped unless ``force``.
    Areas missing from the file are removed unless complaints refer to them (then kept
    and listed). Flushes; the caller commits.

    :raises ImportFailed: for an unreadable file, a missing property, an unknown parent
        district or a geometry with no area; nothing is written in that case.
    """
    if spec.level not in LEVELS:
        raise ImportFailed(f"level must be one of {', '.join(LEVELS)}")
    if spec.phone_prop and spec.level != "district":
        raise ImportFailed("an office phone belongs to a district layer, not to dongs")
    model = District if spec.level == "district" else Dong
    report = ImportReport(level=spec.level)
    try:
        checksum = _checksum(spec)
    except OSError as exc:
        raise ImportFailed(f"cannot read {spec.path}: {exc}") from exc
    last = session.scalar(
        select(AreaImport).where(AreaImport.level == spec.level).order_by(AreaImport.id.desc())
    )
    if not force and last is not None and last.checksum == checksum:
        report.skipped = True
        report.features = last.features
        return report

    names = _load_names(spec)
    try:
        features = list(read_features(spec.path))
    except InvalidGeometry as exc:
        raise ImportFailed(str(exc)) from exc
    known_districts = set(session.scalars(select(District.code)))
    existing = {row.code: row for row in session.scalars(select(model))}
    seen: set[str] = set()
    for number, feature in enumerate(features, start=1):
        props = feature.properties
        code, name = props.get(spec.code_prop), props.get(spec.name_prop)
        if code in (None, "") or not name:
            raise ImportFailed(
                f"feature {number}: properties {spec.code_prop!r} and {spec.name_prop!r} "
                f"are required (found {sorted(props)})"
            )
        code = str(code)
        if code in seen:
            raise ImportFailed(f"feature {number}: code {code} appears twice")
        seen.add(code)
        name = str(name).split()[-1] if spec.name_last_word else str(name)
        try:
            boundary, was_repaired = repair_area(feature.geometry)
        except InvalidGeometry as exc:
            raise ImportFailed(f"feature {number} ({code}): {exc}") from exc
        report.repaired += int(was_repaired)
        row = existing.get(code)
        if row is None:
            row = model(code=code)
            session.add(row)
            report.added += 1
        else:
            report.updated += 1
        row.name = name
        row.names = {"ko": name, **names.get(code, {})}
        row.boundary = from_shape(boundary, srid=4326)
        if spec.phone_prop:
            # Given the option, the layer is the source: an empty value clears the number.
            # Without it a re-import keeps the numbers set by `district-phone`.
            try:
                row.office_phone = valid_office_phone(props.get(spec.phone_prop))
            except InvalidPhone as exc:
                raise ImportFailed(f"feature {number} ({code}): {exc.message}") from exc
        if spec.level == "dong":
            parent = str(props.get(spec.parent_prop or "", "") or "")
            if parent not in known_districts:
                raise ImportFailed(
                    f"feature {number} ({code}): district {parent!r} from property "
                    f"{spec.parent_prop!r} is not loaded; import the district layer first"
                )
            row.district_code = parent
        if number % 100 == 0:
            progress(f"  {spec.level}: {number}/{len(features)}")
    report.features = len(features)
    session.flush()
    report.removed, report.kept_in_use = _remove_missing(session, spec.level, seen)
    session.add(AreaImport(level=spec.level, source=spec.source_label or str(spec.path),
                           checksum=checksum, features=report.features,
                           repaired=report.repaired))
    session.flush()
    return report


def valid_office_phone(raw) -> str | None:
    """Return an office number tidied (spaces collapsed), or None for an empty value.

    :raises InvalidPhone: for anything but digits with spaces, hyphens or brackets and an
        optional leading "+", with 3 to 15 digits (120 up to E.164's longest), ≤ 32 chars.
    """
    if raw is None:
        return None
    value = " ".join(str(raw).split())
    if not value:
        return None
    digits = sum(ch.isdigit() for ch in value)
    if not _OFFICE_PHONE.match(value) or not 3 <= digits <= 15 or len(value) > 32:
        raise InvalidPhone(f"{value!r} is not a phone number (digits, spaces, hyphens, "
                           "brackets, an optional leading +; 3 to 15 digits)")
    return value


def set_office_phone(session: Session, district_code: str, raw: str | None) -> District:
    """Set (or with None/empty clear) a district office's phone number; flushes.

    Every process sees it within DASAN_AREA_REFRESH_SECONDS (the router re-reads the
    numbers whenever it checks the areas' revision).

    :raises NotFound: for an unknown district.
    :raises InvalidPhone: for a value that is not a phone number.
    """
    district = session.get(District, district_code)
    if district is None:
        raise NotFound(f"unknown district {district_code!r}")
    district.office_phone = valid_office_phone(raw)
    session.flush()
    return district


def office_phone_or_fallback(info) -> str:
    """The number a citizen should call about a district: its office's, else 120."""
    return getattr(info, "office_phone", None) or FALLBACK_OFFICE_PHONE


def _remove_missing(session: Session, level: str, seen: set[str]) -> tuple[int, list[str]]:
    model = District if level == "district" else Dong
    column = Complaint.district_code if level == "district" else Complaint.dong_code
    stale = [code for code in session.scalars(select(model.code)) if code not in seen]

    def referenced(code: str) -> bool:
        if session.scalar(select(exists().where(column == code))):
            return True
        return level == "district" and bool(
            session.scalar(select(exists().where(Dong.district_code == code))))

    in_use = [code for code in stale if referenced(code)]
    removable = [code for code in stale if code not in in_use]
    if removable:
        session.execute(delete(model).where(model.code.in_(removable)))
    return len(removable), in_use


def areas_revision(session: Session) -> int:
    """Return the number of the newest area import (0 when nothing was imported)."""
    return session.scalar(select(func.coalesce(func.max(AreaImport.id), 0))) or 0


@dataclass(frozen=True)
class RoutedPoint:
    """Where a point belongs: its dong, the dong's district, and how far outside it lay."""

    dong_code: str
    district_code: str
    distance_m: float


@dataclass(frozen=True)
class AreaInfo:
    """An area's code and names (no geometry), cached with the router."""

    code: str
    name: str
    names: dict
    office_phone: str | None = None


class AreaRouter:
    """The in-memory routing index of one areas revision, with the areas' names."""

    def __init__(self, revision: int, dongs: list[tuple[str, str, bytes]],
                 info: dict[tuple[str, str], AreaInfo] | None = None) -> None:
        self.revision = revision
        self.dong_district = {code: district for code, district, _ in dongs}
        self.index = AreaIndex([(code, wkb.loads(bytes(blob))) for code, _, blob in dongs])
        self.info = info or {}
        self.checked_at = time.monotonic()

    def route(self, lon: float, lat: float, tolerance_m: float) -> RoutedPoint | None:
        """Return the dong and district for a point, or None beyond ``tolerance_m``."""
        match = self.index.locate(lon, lat, tolerance_m)
        if match is None:
            return None
        return RoutedPoint(match.code, self.dong_district[match.code], match.distance_m)

    def nearest(self, lon: float, lat: float) -> RoutedPoint:
        """Return the nearest dong and district whatever the distance."""
        match = self.index.nearest_any(lon, lat)
        return RoutedPoint(match.code, self.dong_district[match.code], match.distance_m)


_router: AreaRouter | None = None
_router_lock = threading.Lock()


def load_router(session: Session) -> AreaRouter:
    """Build a router from the dongs in the database, with every area's names."""
    rows = session.execute(
        select(Dong.code, Dong.district_code, func.ST_AsBinary(Dong.boundary))
    ).all()
    info = {("district", d.code): AreaInfo(d.code, d.name, d.names, d.office_phone)
            for d in session.execute(select(District.code, District.name, District.names,
                                            District.office_phone))}
    info.update({("dong", d.code): AreaInfo(d.code, d.name, d.names)
                 for d in session.execute(select(Dong.code, Dong.name, Dong.names))})
    return AreaRouter(areas_revision(session), [tuple(row) for row in rows], info)


def describe_area(session: Session, level: str, code: str,
                  refresh_seconds: float = 30.0) -> AreaInfo:
    """Return the cached names of a district or dong (read from the DB if not cached)."""
    info = get_router(session, refresh_seconds).info.get((level, code))
    if info is None:  # imported after this router was built
        row = session.get(District if level == "district" else Dong, code)
        info = AreaInfo(row.code, row.name, row.names, getattr(row, "office_phone", None))
    return info


def describe_areas(session: Session, district_code: str, dong_code: str,
                   refresh_seconds: float = 30.0) -> tuple[AreaInfo, AreaInfo]:
    """Return the cached names of a district and a dong."""
    return (describe_area(session, "district", district_code, refresh_seconds),
            describe_area(session, "dong", dong_code, refresh_seconds))


def get_router(session: Session, refresh_seconds: float) -> AreaRouter:
    """Return this process's router, rebuilding it when the areas' revision has changed.

    The revision is read at most every ``refresh_seconds``, so a re-import reaches every
    web and worker process within that time without a restart.

    :raises AreasNotLoaded: when no dong has been imported.
    """
    global _router
    router = _router
    now = time.monotonic()
    if router is not None and now - router.checked_at < refresh_seconds:
        return router
    with _router_lock:
        router = _router
        if router is not None and time.monotonic() - router.checked_at < refresh_seconds:
            return router
        revision = areas_revision(session)
        if router is None or router.revision != revision:
            router = load_router(session)
            if len(router.index) == 0:
                raise AreasNotLoaded(
                    "no service areas are loaded; run `python -m dispatch.cli load-seoul`"
                )
            _router = router
        else:
            _refresh_phones(session, router)
            router.checked_at = time.monotonic()
        return router


def _refresh_phones(session: Session, router: AreaRouter) -> None:
    """Take up office numbers changed without an import (``district-phone``); 25 rows."""
    for code, phone in session.execute(select(District.code, District.office_phone)):
        info = router.info.get(("district", code))
        if info is not None and info.office_phone != phone:
            router.info[("district", code)] = AreaInfo(info.code, info.name, info.names, phone)


def reset_router() -> None:
    """Forget the cached router (tests and imports call it)."""
    global _router
    _router = None


def route_point(
    session: Session, lon: float, lat: float, *, tolerance_m: float, refresh_seconds: float
) -> RoutedPoint:
    """Route a validated point to its dong and district.

    :raises OutsideServiceArea: beyond the tolerance, naming the nearest district and
        the distance in metres.
    :raises AreasNotLoaded: when no areas are loaded.
    """
    router = get_router(session, refresh_seconds)
    routed = router.route(lon, lat, tolerance_m)
    if routed is not None:
        return routed
    nearest = router.nearest(lon, lat)
    district = session.get(District, nearest.district_code)
    metres = round(nearest.distance_m)
    hint = ""
    # Where both orders are valid positions, say so if the other order is inside.
    if -90 <= lon <= 90 and router.route(lat, lon, tolerance_m) is not None:
        hint = " (longitude and latitude look swapped: GeoJSON order is [lon, lat])"
    raise OutsideServiceArea(
        f"the point is {metres:,} m outside the service area; the nearest district is "
        f"{district.names.get('en', district.name)} ({district.name}){hint}",
        nearest_district={"code": district.code, "name": district.name,
                          "names": district.names},
        distance_m=metres,
    )


def route_point_in_database(session: Session, lon: float, lat: float,
                            tolerance_m: float) -> RoutedPoint | None:
    """Route with PostGIS alone (the authority; used to cross-check the in-memory index)."""
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    row = session.execute(
        select(Dong.code, Dong.district_code)
        .where(func.ST_Covers(Dong.boundary, point))
        .order_by(Dong.code)
        .limit(1)
    ).first()
    if row is not None:
        return RoutedPoint(row.code, row.district_code, 0.0)
    near = session.execute(
        text(
            "SELECT code, district_code, ST_Distance(boundary::geography, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS metres "
            "FROM dongs WHERE ST_DWithin(boundary::geography, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :tol) "
            "ORDER BY metres, code LIMIT 1"
        ),
        {"lon": lon, "lat": lat, "tol": tolerance_m},
    ).first()
    if near is None:
        return None
    return RoutedPoint(near.code, near.district_code, float(near.metres))


# Simplification tolerance for display geometry (degrees; about 5 m in Seoul).
DISPLAY_TOLERANCE_DEG = 0.00005


def list_area_features(session: Session, level: str, *, simplified: bool = True,
                       district_code: str | None = None) -> list[dict]:
    """Return areas as GeoJSON-ready dicts (geometry simplified for display by default)."""
    model = District if level == "district" else Dong
    geometry = model.boundary
    if simplified:
        geometry = func.ST_SimplifyPreserveTopology(geometry, DISPLAY_TOLERANCE_DEG)
    query = select(model, func.ST_AsGeoJSON(geometry, 6).label("geojson")).order_by(model.code)
    if level == "dong" and district_code:
        query = query.where(Dong.district_code == district_code)
    rows = session.execute(query).all()
    return [
        {"area": row[0], "geometry": json.loads(row.geojson)}
        for row in rows
    ]


def get_areas(session: Session, routed: RoutedPoint) -> tuple[District, Dong]:
    """Return the District and Dong rows of a routed point."""
    return session.get(District, routed.district_code), session.get(Dong, routed.dong_code)
