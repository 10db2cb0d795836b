"""Open311 GeoReport v2 domain: API keys, service definitions, request queries and views.

HTTP-free: ``api/open311.py`` parses the request into plain values, calls these functions
and renders what they return as XML or JSON (``api/open311_render.py``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from geoalchemy2.shape import to_shape
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dispatch.abuse import e164
from dispatch.areas import describe_areas
from dispatch.attributes import datatype, repaired_datetime
from dispatch.categories import cached_categories, list_categories, public_attributes
from dispatch.errors import (
    InvalidApiKey,
    InvalidComplaint,
    InvalidLocation,
    InvalidPhone,
    InvalidQuery,
    NotFound,
)
from dispatch.i18n import pick_name
from dispatch.models import (
    Complaint,
    ComplaintEvent,
    ComplaintPhoto,
    District,
    Dong,
    Open311Key,
)
from dispatch.moments import moment_problem
from dispatch.numbers import is_plain_integer, parse_decimal
from dispatch.settings import Settings
from dispatch.workflow import CLOSED, OPEN, OUTCOME_CODES

WINDOW = timedelta(days=90)  # the spec's longest start_date..end_date span
DEFAULT_PAGE_SIZE = 1000  # the spec's default number of records
MAX_IDS = 100  # service_request_id values one query may list
MAX_RADIUS_M = 50_000.0
OPEN_VALUES = frozenset(status.value for status in OPEN)
CLOSED_VALUES = frozenset(status.value for status in CLOSED)


def open311_status(status: str) -> str:
    """Map an internal status to Open311's ``open`` or ``closed`` (docs/OPEN311.md)."""
    return "closed" if status in CLOSED_VALUES else "open"


# --- API keys ------------------------------------------------------------------------------


def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_key(session: Session, name: str) -> str:
    """Issue an API key for client application ``name``; return the key (shown only once).

    A revoked application's name may be issued again: its old key stays invalid.

    :raises InvalidQuery: an empty or too long name, or a name with a live key.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidQuery("an application name of 1 to 100 characters is required")
    existing = session.scalar(select(Open311Key).where(Open311Key.name == name))
    raw = "o311_" + secrets.token_urlsafe(24)
    if existing is not None:
        if existing.revoked_at is None:
            raise InvalidQuery(f"application {name!r} already has a key; revoke it first")
        existing.key_hash, existing.revoked_at = _hash_key(raw), None
        existing.created_at = datetime.now(UTC)
    else:
        session.add(Open311Key(name=name, key_hash=_hash_key(raw)))
    session.flush()
    return raw


def revoke_key(session: Session, name: str) -> None:
    """Revoke the key of application ``name`` (safe to repeat).

    :raises NotFound: no application of that name.
    """
    key = session.scalar(select(Open311Key).where(Open311Key.name == name))
    if key is None:
        raise NotFound(f"no Open311 application {name!r}")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
    session.flush()


def list_keys(session: Session) -> list[Open311Key]:
    """Return every application, live and revoked, by name."""
    return list(session.scalars(select(Open311Key).order_by(Open311Key.name)))


def check_key(session: Session, raw: str | None) -> Open311Key:
    """Return the live application holding key ``raw``.

    :raises InvalidApiKey: no key, or an unknown or revoked one.
    """
    if not raw:
        raise InvalidApiKey("api_key is required to submit a request")
    key = session.scalar(select(Open311Key).where(Open311Key.key_hash == _hash_key(raw)))
    if key is None or key.revoked_at is not None:
        raise InvalidApiKey("api_key is not valid")
    return key


# GeoReport v2 has no idempotency key; an app may send the ``Idempotency-Key`` header its
# HTTP library already knows. Keys are any text an app chooses, so they are scoped to the
# app's key: two apps using the same string never meet.
_IDEMPOTENCY_NAMESPACE = uuid.UUID("6f2b8a4e-3c1d-5e7f-9a0b-1c2d3e4f5a6b")
MAX_IDEMPOTENCY_KEY = 200


def replay_key(key: Open311Key, header: str | None) -> uuid.UUID | None:
    """The intake's ``client_ref`` for an app's Idempotency-Key header (None without one).

    :raises InvalidQuery: a key that is empty, too long or not printable ASCII.
    """
    if header is None:
        return None
    if not (0 < len(header) <= MAX_IDEMPOTENCY_KEY and header.isascii() and header.isprintable()):
        raise InvalidQuery(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} printable "
                           "ASCII characters")
    return uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"{key.id}:{header}")


# --- services ----------------------------------------------------------------------------


def list_services(session: Session, language: str) -> list[dict]:
    """Return every active category as an Open311 service."""
    services = []
    for category in list_categories(session):
        keywords = category.keywords.get(language) or category.keywords.get("en") or []
        services.append({
            "service_code": category.code,
            "service_name": pick_name(category.names, language, category.code),
            "description": pick_name(category.descriptions, language),
            "metadata": bool(category.attributes),
            "type": "realtime",
            "keywords": ",".join(keywords),
            "group": category.group,
        })
    return services


def _attribute_order(spec: Mapping, position: int) -> int:
    # The spec's order is an integer; fixtures/categories.json is edited by hand.
    order = spec.get("order")
    return order if isinstance(order, int) and not isinstance(order, bool) else position


def service_definition(session: Session, code: str, language: str) -> dict:
    """Return a service's attributes as an Open311 service definition.

    Flags are booleans and ``order`` an integer, as the spec shows them (XML writes them
    as ``true``/``false`` and digits).

    :raises NotFound: no such active service.
    """
    rules = cached_categories(session).get(code)
    if rules is None:
        raise NotFound(f"no service {code[:64]!r}")
    attributes = []
    for position, spec in enumerate(rules.attributes or [], start=1):
        values = [{"key": str(value["key"]),
                   "name": pick_name(value.get("names"), language, str(value["key"]))}
                  for value in spec.get("values", [])]
        attributes.append({
            "variable": True,
            "code": spec["code"],
            "datatype": datatype(spec),
            "required": bool(spec.get("required")),
            "datatype_description": pick_name(spec.get("descriptions"), language),
            "order": _attribute_order(spec, position),
            "description": pick_name(spec.get("names"), language, spec["code"]),
            "values": values,
        })
    return {"service_code": rules.code, "attributes": attributes}


def validate_attributes(session: Session, code: str,
                        given: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Turn Open311 ``attribute[...]`` fields into the values intake checks and stores.

    What is Open311's own: a field sent several times (``attribute[x][]``) is a
    multivaluelist's keys, joined by ``,`` as intake stores them; an attribute sent empty
    is not sent; a space before a datetime's offset was a ``+`` the form encoding lost.
    Intake's one rule (``dispatch.attributes``) checks the values against their datatypes.

    :raises InvalidComplaint: several values for an attribute that takes one.
    """
    rules = cached_categories(session).get(code)
    specs = {spec["code"]: spec for spec in (rules.attributes if rules else []) or []}
    result: dict[str, str] = {}
    for name, values in given.items():
        spec = specs.get(name)
        values = [value.strip() for value in values if value.strip()]
        if not values:  # sent empty: not sent (intake then asks for a required one)
            continue
        if spec is None:
            result[name] = values[0]  # intake refuses an unknown code by name
            continue
        kind = datatype(spec)
        if kind != "multivaluelist" and len(values) > 1:
            raise InvalidComplaint(f"attribute {name} takes one value", field="attributes",
                                   attribute=name, problem="one_value")
        if kind == "datetime":
            values = [repaired_datetime(values[0])]
        result[name] = ",".join(values)
    return result


# --- locating an address without coordinates ------------------------------------------------


def locate_address(session: Session, address: str) -> tuple[float, float]:
    """Return a point inside the dong an address names (e.g. "종로구 사직동 ...").

    There is no geocoder here: a dong named in the address (preferring one whose
    district is named too) is the best place we can route to.

    :raises InvalidLocation: the address names no dong we know.
    """
    address = address.strip()
    named_district = District.name.isnot(None) & (
        func.strpos(address, District.name) > 0)
    point = func.ST_PointOnSurface(Dong.boundary)
    row = session.execute(
        select(func.ST_X(point), func.ST_Y(point))
        .join(District, District.code == Dong.district_code)
        .where(func.length(Dong.name) >= 2, func.strpos(address, Dong.name) > 0)
        .order_by(named_district.desc(), func.length(Dong.name).desc(), Dong.code)
        .limit(1)).first()
    if row is None:
        raise InvalidLocation("address_string names no dong we know; send lat and long")
    return float(row[0]), float(row[1])


# --- reading requests ----------------------------------------------------------------------


# A '+' sent unencoded in a query string arrives as a space: "2026-11-28T10:00:00 09:00".
_SPACED_OFFSET = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)$")


QUERY_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
QUERY_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def parse_datetime(raw: str, timezone: str, name: str) -> datetime:
    """Parse an ISO 8601 (W3C) date or date-time; without an offset it is local time.

    A space before a trailing offset (``10:00:00 09:00``) is taken as the ``+`` it was.

    :raises InvalidQuery: the value is not such a date, lies outside 1900-9000 or has an
        offset PostgreSQL refuses.
    """
    text = _SPACED_OFFSET.sub(r"\1+\2", raw.strip())
    try:
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidQuery(f"{name} is not an ISO 8601 date-time "
                           "(e.g. 2026-11-28T09:00:00+09:00)", parameter=name) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    # Dates near the ends of the calendar would overflow the 90-day arithmetic; an offset
    # beyond ±15:59 would be refused by PostgreSQL.
    problem = moment_problem(value, QUERY_EARLIEST, QUERY_LATEST)
    if problem:
        raise InvalidQuery(f"{name} {problem}", parameter=name)
    return value


def is_date_only(raw: str) -> bool:
    """True when ``raw`` is a date without a time (``2026-11-28``)."""
    try:
        date.fromisoformat(raw.strip())
    except ValueError:
        return False
    return True


def end_of_day(midnight: datetime) -> datetime:
    """The last microsecond of the day that starts at ``midnight`` (local wall clock)."""
    return midnight + timedelta(days=1) - timedelta(microseconds=1)


@dataclass
class RequestQuery:
    """The filters of ``GET requests``, already parsed."""

    ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    statuses: list[str] = field(default_factory=list)
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float, float] | None = None  # lon, lat, radius in metres
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def _floats(raw: str, count: int, name: str) -> list[float]:
    try:
        values = [parse_decimal(part) for part in raw.split(",")]
    except ValueError:
        values = []
    if len(values) != count:
        wanted = ("a decimal number (like 37.5)" if count == 1
                  else f"{count} comma-separated decimal numbers")
        raise InvalidQuery(f"{name} must be {wanted}", parameter=name)
    return values


def _positive_int(raw: str, name: str, maximum: int) -> int:
    value = int(raw) if is_plain_integer(raw) else 0
    if not 1 <= value <= maximum:
        raise InvalidQuery(f"{name} must be a whole number from 1 to {maximum}",
                           parameter=name)
    return value


def sent_values(args: Mapping[str, str | Sequence[str]]) -> dict[str, list[str]]:
    """Each parameter's values, without empty ones: a parameter sent empty is not sent.

    ``args`` maps a name to one value or to every value it was sent with.
    """
    result: dict[str, list[str]] = {}
    for name, raw in args.items():
        values = [raw] if isinstance(raw, str) else list(raw)
        kept = [value for value in values if value.strip()]
        if kept:
            result[name] = kept
    return result


def _listed(sent: Mapping[str, list[str]], name: str) -> list[str]:
    # The spec lets a filter be declared several times or as a comma-separated list.
    return [part.strip() for value in sent.get(name, []) for part in value.split(",")
            if part.strip()]


def _upper_bound(raw: str, timezone: str, name: str) -> datetime:
    # A date alone as an upper bound means up to the end of that day, not its midnight.
    value = parse_datetime(raw, timezone, name)
    return end_of_day(value) if is_date_only(raw) else value


def _date_window(args: Mapping[str, str], timezone: str,
                 now: datetime) -> tuple[datetime, datetime | None]:
    # The span is checked on the dates as given: 2026-01-01 to 2026-04-01 is 90 days.
    start = parse_datetime(args["start_date"], timezone, "start_date") \
        if "start_date" in args else None
    end = parse_datetime(args["end_date"], timezone, "end_date") \
        if "end_date" in args else None
    if start and end:
        if end < start:
            raise InvalidQuery("end_date is before start_date", parameter="end_date")
        if end - start > WINDOW:
            raise InvalidQuery("start_date and end_date may be at most 90 days apart",
                               parameter="end_date")
    elif start:
        end = start + WINDOW
    elif end:
        start = end - WINDOW
    else:
        return now - WINDOW, None
    if "end_date" in args and is_date_only(args["end_date"]):
        end = end_of_day(end)
    return start, end


def parse_query(args: Mapping[str, str | Sequence[str]], timezone: str,
                now: datetime | None = None) -> RequestQuery:
    """Turn ``GET requests`` parameters into a ``RequestQuery``.

    ``args`` maps a name to a value or to all its values (``request.args.to_dict(flat=False)``);
    empty values count as not sent; service_request_id, service_code and status take
    several values, repeated or comma-separated. Without dates the window is the last 90
    days; one date alone spans 90 days from or to it; a wider window is refused, as the
    spec says. A date alone as end_date (or updated_before) covers that whole day.

    :raises InvalidQuery: a parameter that does not parse or breaks a limit.
    """
    now = now or datetime.now(UTC)
    sent = sent_values(args)
    first = {name: values[0] for name, values in sent.items()}  # single-valued ones
    query = RequestQuery()
    ids = [part[:32] for part in _listed(sent, "service_request_id")]
    if len(ids) > MAX_IDS:
        raise InvalidQuery(f"at most {MAX_IDS} service_request_id values",
                           parameter="service_request_id")
    query.ids = ids
    query.page = _positive_int(first.get("page", "1"), "page", 1_000_000)
    query.page_size = _positive_int(first.get("page_size", str(DEFAULT_PAGE_SIZE)),
                                    "page_size", DEFAULT_PAGE_SIZE)
    if ids:  # the spec: a list of ids overrides every other parameter
        return query
    query.service_codes = _listed(sent, "service_code")
    for part in _listed(sent, "status"):
        if part.lower() not in ("open", "closed"):
            raise InvalidQuery("status must be open, closed or both", parameter="status")
        query.statuses.append(part.lower())
    query.start, query.end = _date_window(first, timezone, now)
    if "updated_after" in first:
        query.updated_after = parse_datetime(first["updated_after"], timezone, "updated_after")
    if "updated_before" in first:
        query.updated_before = _upper_bound(first["updated_before"], timezone, "updated_before")
    if first.get("bbox"):
        west, south, east, north = _floats(first["bbox"], 4, "bbox")
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise InvalidQuery("bbox is west,south,east,north in degrees", parameter="bbox")
        query.bbox = (west, south, east, north)
    if first.get("lat") or first.get("long") or first.get("radius"):
        (lat,) = _floats(first.get("lat", ""), 1, "lat")
        (lon,) = _floats(first.get("long", ""), 1, "long")
        (radius,) = _floats(first.get("radius", "") or "500", 1, "radius")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 < radius <= MAX_RADIUS_M):
            raise InvalidQuery(f"lat/long must be a position and radius 1 to {MAX_RADIUS_M:.0f} m",
                               parameter="radius")
        query.near = (lon, lat, radius)
    return query


def list_requests(session: Session, query: RequestQuery) -> list[Complaint]:
    """Return one page of complaints matching ``query``, newest first."""
    statement = select(Complaint)
    if query.ids:
        statement = statement.where(Complaint.public_id.in_(query.ids))
    else:
        if query.service_codes:
            statement = statement.where(Complaint.category_code.in_(query.service_codes))
        if query.start:
            statement = statement.where(Complaint.created_at >= query.start)
        if query.end:
            statement = statement.where(Complaint.created_at <= query.end)
        if set(query.statuses) == {"open"}:
            statement = statement.where(Complaint.status.in_(OPEN_VALUES))
        elif set(query.statuses) == {"closed"}:
            statement = statement.where(Complaint.status.in_(CLOSED_VALUES))
        if query.updated_after:
            statement = statement.where(Complaint.updated_at >= query.updated_after)
        if query.updated_before:
            statement = statement.where(Complaint.updated_at <= query.updated_before)
        if query.bbox:
            statement = statement.where(Complaint.location.intersects(
                func.ST_MakeEnvelope(*query.bbox, 4326)))
        if query.near:
            lon, lat, radius = query.near
            centre = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
            statement = statement.where(func.ST_DWithin(
                func.Geography(Complaint.location), func.Geography(centre), radius))
    statement = (statement.order_by(Complaint.created_at.desc(), Complaint.id.desc())
                 .offset((query.page - 1) * query.page_size).limit(query.page_size))
    return list(session.scalars(statement))


def get_request(session: Session, public_id: str) -> Complaint:
    """Return the complaint with service_request_id ``public_id``.

    :raises NotFound: no such request.
    """
    complaint = session.scalar(select(Complaint).where(Complaint.public_id == public_id[:32]))
    if complaint is None:
        raise NotFound(f"no service request {public_id[:32]!r}")
    return complaint


def _iso(value: datetime | None, timezone: str) -> str | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo(timezone)).replace(microsecond=0).isoformat()


def _public_events(session: Session, complaint_ids: list[int]) -> dict[int, list]:
    # Status changes and events with a public note; internal notes never leave.
    rows = session.scalars(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id.in_(complaint_ids),
               or_(ComplaintEvent.to_status.isnot(None), ComplaintEvent.public_note.isnot(None)))
        .order_by(ComplaintEvent.complaint_id, ComplaintEvent.at, ComplaintEvent.id))
    events: dict[int, list] = {}
    for event in rows:
        events.setdefault(event.complaint_id, []).append(event)
    return events


def photo_urls(session: Session, settings: Settings,
               complaints: Sequence[Complaint]) -> dict[int, list[str]]:
    """Signed URLs of the complaints' photos, oldest first, if settings make them public.

    Off by default (``DASAN_OPEN311_PUBLIC_PHOTOS``): reporter photos may show faces and
    number plates and the project shows them to no one but the reporter and staff.
    """
    from dispatch.photos import sign_photo

    if not settings.open311_public_photos or not complaints:
        return {}
    public_ids = {complaint.id: complaint.public_id for complaint in complaints}
    rows = session.execute(
        select(ComplaintPhoto.id, ComplaintPhoto.complaint_id)
        .where(ComplaintPhoto.complaint_id.in_(public_ids))
        .order_by(ComplaintPhoto.complaint_id, ComplaintPhoto.id)).all()
    base = settings.public_url.rstrip("/")
    urls: dict[int, list[str]] = {}
    for photo_id, complaint_id in rows:
        expires, signature = sign_photo(settings.secret_key, photo_id, "full",
                                        settings.photo_url_ttl_seconds)
        urls.setdefault(complaint_id, []).append(
            f"{base}/api/v1/complaints/{public_ids[complaint_id]}/photos/{photo_id}"
            f"?expires={expires}&sig={signature}")
    return urls


def request_views(session: Session, settings: Settings, complaints: list[Complaint],
                  language: str, *, extensions: bool = False,
                  photo_urls: Mapping[int, list[str]] | None = None) -> list[dict]:
    """Return complaints as Open311 service requests, without any reporter data.

    ``photo_urls`` maps complaint ids to public photo URLs (see ``photo_urls``).
    """
    if not complaints:
        return []
    categories = cached_categories(session)
    events = _public_events(session, [complaint.id for complaint in complaints])
    parents = dict(session.execute(
        select(Complaint.id, Complaint.public_id).where(
            Complaint.id.in_({c.parent_id for c in complaints if c.parent_id})))
        .all()) if any(c.parent_id for c in complaints) else {}
    tz = settings.timezone
    views = []
    for complaint in complaints:
        district, dong = describe_areas(session, complaint.district_code, complaint.dong_code)
        rules = categories.get(complaint.category_code)
        point = to_shape(complaint.location)
        history = events.get(complaint.id, [])
        notes = [event.public_note for event in history if event.public_note]
        urls = list((photo_urls or {}).get(complaint.id, []))
        district_name = pick_name(district.names, language, district.name)
        dong_name = pick_name(dong.names, language, dong.name)
        view = {
            "service_request_id": complaint.public_id,
            "status": open311_status(complaint.status),
            "status_notes": notes[-1] if notes else None,
            "service_name": pick_name(rules.names if rules else {}, language,
                                      complaint.category_code),
            "service_code": complaint.category_code,
            "description": complaint.description or None,
            "agency_responsible": district_name,
            "service_notice": None,
            "requested_datetime": _iso(complaint.created_at, tz),
            "updated_datetime": _iso(complaint.updated_at, tz),
            "expected_datetime": _iso(complaint.due_at, tz),
            "address": complaint.address or f"{district_name} {dong_name}",
            "address_id": None,
            "zipcode": None,
            "lat": point.y,
            "long": point.x,
            "media_url": urls[0] if urls else None,
        }
        if extensions:
            view["extended_attributes"] = {
                "detailed_status": complaint.status,
                # What was done (repaired, no_violation, …); none while open or if cancelled.
                "outcome": complaint.outcome if complaint.outcome in OUTCOME_CODES else None,
                "district_code": complaint.district_code,
                "dong_code": complaint.dong_code,
                "dong_name": dong_name,
                "channel": complaint.channel,
                "duplicate_of": parents.get(complaint.parent_id),
                "attributes": public_attributes(rules, complaint.attributes),
                "media_urls": urls,
            }
            view["notes"] = [{
                "datetime": _iso(event.at, tz),
                "type": "status_change" if event.to_status else "note",
                "status": open311_status(event.to_status) if event.to_status else None,
                "detailed_status": event.to_status,
                "summary": event.public_note,
            } for event in history]
        views.append(view)
    return views


# --- filing a request ----------------------------------------------------------------------


def usable_phone(raw: str | None) -> str | None:
    """The reporter's phone as E.164, or None when none was sent or it is not a number.

    The spec's ``phone`` is optional and free text: a client relays what its user typed.
    A number we cannot text costs the SMS updates, never the report.
    """
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return e164(raw)
    except InvalidPhone:
        return None


def submission_draft(session: Session, settings: Settings, form: Mapping[str, str],
                     attributes: Mapping[str, Sequence[str]], language: str):
    """Build the intake draft of an Open311 POST (channel ``open311``).

    Only the phone is kept (as the reporter's phone, for SMS updates, never shown), and
    only when it is a number (``usable_phone``); email, names, device_id and account_id are
    not stored at all.

    :raises NotFound: unknown service_code (the spec's 404 for a service).
    :raises InvalidComplaint: missing location (or only an address_id, which we do not
        support), a description over 4,000 characters, or an attribute that does not fit
        its datatype.
    :raises InvalidLocation: lat/long that are not numbers, or an address we cannot place.
    """
    from dispatch.intake import MAX_ADDRESS_CHARS, MAX_DESCRIPTION_CHARS, ComplaintDraft

    code = (form.get("service_code") or "").strip()
    if not code:
        raise InvalidComplaint("service_code is required", field="service_code")
    if code not in cached_categories(session, settings.area_refresh_seconds):
        raise NotFound(f"no service {code[:64]!r}")
    description = form.get("description") or ""
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidComplaint(f"description is longer than {MAX_DESCRIPTION_CHARS} "
                               "characters", field="description")
    address = (form.get("address_string") or "").strip()
    if len(address) > MAX_ADDRESS_CHARS:
        raise InvalidComplaint(f"address_string is longer than {MAX_ADDRESS_CHARS} "
                               "characters", field="address_string")
    if form.get("lat") or form.get("long"):
        try:
            lat = parse_decimal(form.get("lat") or "")
            lon = parse_decimal(form.get("long") or "")
        except ValueError:
            raise InvalidLocation("lat and long must both be decimal degrees") from None
    elif address:
        lon, lat = locate_address(session, address)
    elif (form.get("address_id") or "").strip():
        # The spec's address_id points into a server's own address list; we publish none.
        raise InvalidComplaint("address_id is not supported here (there is no address list "
                               "to pick from); send lat and long, or address_string",
                               field="address_id")
    else:
        raise InvalidComplaint("a location is required: lat and long, or address_string",
                               field="lat")
    return ComplaintDraft(
        category=code, lon=lon, lat=lat, description=description, address=address or None,
        phone=usable_phone(form.get("phone")), language=language,
        # the reader's language comes from ?lang= or Accept-Language, not the form: a
        # retry with another header is still the same request
        language_sent=False, channel="open311",
        attributes=validate_attributes(session, code, attributes))
