"""Complaint intake: validate, route to dong and district, store with its events — once per key."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import Sequence, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from dispatch.abuse import PHONE_BLOCKED_MESSAGE, e164
from dispatch.areas import route_point
from dispatch.attributes import validated_attributes
from dispatch.categories import CategoryRules, category_rules, due_time
from dispatch.errors import (
    DispatchError,
    IdempotencyKeyReused,
    InvalidComplaint,
    InvalidLocation,
    OutsideYourDistrict,
    PhoneBlocked,
)
from dispatch.events import Actor, record_event
from dispatch.i18n import is_language
from dispatch.models import (
    OPEN_STATUSES,
    Channel,
    Complaint,
    ComplaintStatus,
    District,
    LocationPrecision,
)
from dispatch.notifications import remember_push_inspectors
from dispatch.settings import LANGUAGES, Settings
from geo.errors import InvalidGeometry
from geo.points import validate_lonlat

_COMPLAINT_IDS = Sequence("complaints_id_seq")
MAX_DESCRIPTION_CHARS = 4000
MAX_ADDRESS_CHARS = 500


@dataclass(frozen=True)
class ComplaintDraft:
    """A complaint as submitted, before validation and routing."""

    category: str
    lon: float
    lat: float
    description: str = ""
    address: str | None = None
    phone: str | None = None
    language: str = "ko"
    channel: str = Channel.PWA.value
    attributes: dict[str, str] = field(default_factory=dict)
    # False when the request did not name the language and it was negotiated (Accept-Language,
    # ?lang=) or guessed: then it is no part of what was sent, and a retry made after the user
    # switched the UI language is still the same request.
    language_sent: bool = True

    def fingerprint(self) -> str:
        """Hash of what the client sent, to tell a replay from a different request."""
        return _content_hash(self, self.language if self.language_sent else None)

    def matches(self, stored_hash: str | None) -> bool:
        """Whether ``stored_hash`` was made from this same request (also by an older release).

        Hashes stored before negotiated languages were left out hold the language the server
        picked; a retry of such a request (say, right after a deploy) may carry another
        header, so any of the six languages is accepted for it. A language the body names
        hashes the same in both forms.
        """
        if stored_hash == self.fingerprint():
            return True
        return not self.language_sent and stored_hash in {
            _content_hash(self, language) for language in LANGUAGES}


def _content_hash(draft: ComplaintDraft, language: str | None) -> str:
    # The fields as they always were (language_sent is not hashed), so a request whose body
    # names its language keeps the hash earlier releases stored for it.
    fields = asdict(draft)
    del fields["language_sent"]
    fields["language"] = language
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class IntakeResult:
    """The stored complaint and whether this call created it (False for a replay)."""

    complaint: Complaint
    created: bool


def submit_complaint(
    session: Session,
    settings: Settings,
    draft: ComplaintDraft,
    *,
    client_ref: uuid.UUID | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
    dong_only: bool = False,
    filer_district: str | None = None,
) -> IntakeResult:
    """Validate, route and store a complaint with its ``received`` and ``dispatched`` events.

    With a ``client_ref`` (the Idempotency-Key) the call is safe to repeat: the same
    key and content return the complaint stored first, even when the repeats race.
    ``dong_only``: the location stands for the whole dong (a report by text), so no nearby
    complaint is taken for the same problem; staff can still link it by hand.
    ``filer_district``: district staff filing for a caller; a spot in another district is
    refused, since they could neither see nor follow up the complaint there.
    Flushes; the caller commits.

    :raises IdempotencyKeyReused: the key was used before with different content.
    :raises InvalidLocation: coordinates that are not a WGS84 position.
    :raises OutsideServiceArea: the point is beyond the routing tolerance.
    :raises OutsideYourDistrict: the point lies outside ``filer_district``.
    :raises UnknownCategory, InvalidPhone, InvalidComplaint: for bad fields.
    """
    try:
        checked = _validate(session, settings, draft)
    except DispatchError:
        # A replay answers as the first request did, even if the rules changed since.
        existing = _find_by_client_ref(session, client_ref, draft) if client_ref else None
        if existing is None:
            raise
        return IntakeResult(existing, created=False)
    category, lon, lat, phone, attributes, routed = checked
    if filer_district is not None and routed.district_code != filer_district:
        _refuse_other_district(session, routed.district_code)

    now = now or datetime.now(UTC)
    actor = actor or Actor.citizen()
    found = _look_up(session, settings, client_ref, phone, category, routed.district_code,
                     lon, lat, now, find_duplicate=not dong_only)
    if found.replay_id is not None:
        existing = _replayed(session, found, draft)
        return IntakeResult(existing, created=False)
    if found.blocked:
        raise PhoneBlocked(PHONE_BLOCKED_MESSAGE)
    if found.push_inspectors is not None:
        remember_push_inspectors(session, routed.district_code,
                                 [tuple(pair) for pair in found.push_inspectors])
    # A second report of the same problem joins the first instead of sending a second
    # inspector; its reporter is told the outcome with the parent's.
    parent = found.parent_id is not None
    status = ComplaintStatus.DUPLICATE if parent else ComplaintStatus.DISPATCHED
    complaint_id = found.new_id
    values = dict(
        id=complaint_id,
        public_id=format_public_id(complaint_id, now, settings.timezone),
        client_ref=client_ref,
        request_hash=draft.fingerprint(),
        category_code=category.code,
        description=draft.description.strip(),
        location=from_shape(Point(lon, lat), srid=4326),
        address=(draft.address or "").strip() or None,
        location_precision=(LocationPrecision.DONG if dong_only else LocationPrecision.POINT).value,
        district_code=routed.district_code,
        dong_code=routed.dong_code,
        routing_distance_m=round(routed.distance_m, 1),
        # Routing happens in this same call, so the complaint is stored already
        # dispatched to its district (or joined to its parent); both moves are in the history.
        status=status.value,
        parent_id=found.parent_id,
        priority=category.priority,
        due_at=due_time(session, category, routed.district_code, now,
                        settings.area_refresh_seconds),
        reporter_phone=phone,
        reporter_language=draft.language,
        channel=draft.channel,
        attributes=attributes,
        version=1,
        created_at=now,
        updated_at=now,
    )
    # ON CONFLICT DO NOTHING instead of a savepoint: a request that loses a race on
    # the same client_ref inserts nothing, keeps its transaction usable, and answers
    # with the winner's complaint (two round trips fewer than SAVEPOINT/RELEASE).
    complaint = session.scalars(_INSERT_COMPLAINT, [values]).first()
    if complaint is None:
        existing = _find_by_client_ref(session, client_ref, draft)
        if existing is None:  # the winner rolled back; let the client retry
            raise IdempotencyKeyReused("a request with this Idempotency-Key is in progress; "
                                       "retry shortly")
        return IntakeResult(existing, created=False)
    record_event(session, complaint, kind="received", actor=actor, at=now,
                 to_status=ComplaintStatus.RECEIVED.value, data={"channel": draft.channel})
    routing = {"district": routed.district_code, "dong": routed.dong_code,
               "routing_distance_m": round(routed.distance_m, 1)}
    if parent:
        routing["parent"] = found.parent_public_id
    record_event(session, complaint, kind=status.value, actor=Actor.system(), at=now,
                 from_status=ComplaintStatus.RECEIVED.value, to_status=status.value,
                 data=routing)
    session.flush()
    return IntakeResult(complaint, created=True)


def _refuse_other_district(session: Session, district_code: str) -> None:
    """Refuse district staff's filing for a spot elsewhere, naming whose spot it is.

    :raises OutsideYourDistrict: always.
    """
    district = session.get(District, district_code)
    name = district.name if district else district_code
    raise OutsideYourDistrict(
        f"this spot is in {name} ({district_code}), not your district: hand the call to "
        "the city desk (dispatchers file for any district)",
        district=district_code, district_name=name)


# Built once, values passed at execution (ORM bulk insert with RETURNING): building it with
# .values() per request cost 5% of the request and missed the compiled-statement cache.
_INSERT_COMPLAINT = (insert(Complaint)
                     .on_conflict_do_nothing(index_elements=[Complaint.client_ref])
                     .returning(Complaint))


def _validate(session: Session, settings: Settings, draft: ComplaintDraft):
    """Check every field and route the point (in process: no query when caches are warm)."""
    try:
        lon, lat = validate_lonlat(draft.lon, draft.lat)
    except InvalidGeometry as exc:
        raise InvalidLocation(str(exc)) from exc
    category = category_rules(session, draft.category, settings.area_refresh_seconds)
    phone = _normalised_phone(draft.phone)
    if not is_language(draft.language):
        raise InvalidComplaint(f"language must be one of {', '.join(LANGUAGES)}",
                               field="language")
    if draft.channel not in {channel.value for channel in Channel}:
        raise InvalidComplaint(f"unknown channel {draft.channel!r}", field="channel")
    attributes = _validated_attributes(category, draft.attributes)
    routed = route_point(session, lon, lat, tolerance_m=settings.routing_tolerance_m,
                         refresh_seconds=settings.area_refresh_seconds)
    return category, lon, lat, phone, attributes, routed


@dataclass(frozen=True)
class _Found:
    new_id: int
    replay_id: int | None
    replay_hash: str | None
    blocked: bool
    parent_id: int | None
    parent_public_id: str | None
    push_inspectors: list[list] | None  # [[staff id, language]], None when push is off


# One round trip for all intake must know before it inserts: the next id, an earlier request
# with this key, whether the phone is blocked, the open complaint this one duplicates
# (same category and district — a parent's inspector closes its duplicates, and may not
# act in another district —, not itself a duplicate, located to a point rather than just
# its dong, within radius and window, nearest first), and,
# when push is on, the district's inspectors to tell (``notifications._inspectors``). Plain SQL
# compiled once: building this statement with the ORM cost more CPU than PostgreSQL running it.
_LOOK_UP = text("""
    SELECT nextval('complaints_id_seq') AS new_id,
           replay.id AS replay_id, replay.request_hash AS replay_hash,
           EXISTS (SELECT 1 FROM blocked_phones WHERE phone = :phone) AS blocked,
           parent.id AS parent_id, parent.public_id AS parent_public_id,
           CASE WHEN :push THEN (
               SELECT COALESCE(json_agg(json_build_array(staff.id, staff.language)
                                        ORDER BY staff.id), '[]')
               FROM staff
               WHERE staff.role = 'inspector' AND staff.district_code = :district
                 AND staff.active
                 AND EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.staff_id = staff.id)
               ) END AS push_inspectors
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (
        SELECT id, request_hash FROM complaints WHERE client_ref = CAST(:client_ref AS uuid)
    ) AS replay ON true
    LEFT JOIN LATERAL (
        SELECT c.id, c.public_id FROM complaints c
        WHERE :radius_m > 0 AND c.category_code = :category AND c.district_code = :district
          AND c.status = ANY(:open_statuses) AND c.parent_id IS NULL
          AND c.location_precision = 'point'
          AND c.created_at >= :since
          AND c.location && ST_Expand(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :box_degrees)
          AND ST_DWithin(c.location::geography,
                         ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :radius_m)
        ORDER BY ST_Distance(c.location::geography,
                             ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography), c.id
        LIMIT 1
    ) AS parent ON true
""")
_OPEN_STATUSES = sorted(status.value for status in OPEN_STATUSES)


def _look_up(session: Session, settings: Settings, client_ref: uuid.UUID | None,
             phone: str | None, category: CategoryRules, district_code: str,
             lon: float, lat: float, now: datetime, *, find_duplicate: bool = True) -> _Found:
    """Run ``_LOOK_UP`` for this draft (four queries were four round trips)."""
    # radius 0 turns the duplicate search off
    radius = (category.duplicate_radius_m
              if find_duplicate and category.duplicate_window_hours > 0 else 0)
    row = session.execute(_LOOK_UP, {
        "client_ref": str(client_ref) if client_ref is not None else None, "phone": phone,
        "radius_m": radius, "category": category.code, "open_statuses": _OPEN_STATUSES,
        "since": now - timedelta(hours=max(category.duplicate_window_hours, 0)),
        "lon": lon, "lat": lat,
        "push": bool(settings.vapid_private_key), "district": district_code,
        # a generous box for the index (a degree of longitude is shorter than one of
        # latitude here); ST_DWithin decides exactly
        "box_degrees": radius / 111_000 * 1.5}).one()
    return _Found(*row)


def _replayed(session: Session, found: _Found, draft: ComplaintDraft) -> Complaint:
    if not draft.matches(found.replay_hash):
        public_id = session.scalar(select(Complaint.public_id)
                                   .where(Complaint.id == found.replay_id))
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used for a different complaint; "
            "make a new key for a new complaint",
            complaint=public_id,
        )
    return session.get(Complaint, found.replay_id)


def _find_by_client_ref(session: Session, client_ref: uuid.UUID,
                        draft: ComplaintDraft) -> Complaint | None:
    # Two plain columns first (cheap; this runs on every keyed intake), the entity
    # only for an actual replay.
    found = session.execute(select(Complaint.id, Complaint.request_hash, Complaint.public_id)
                            .where(Complaint.client_ref == client_ref)).first()
    if found is None:
        return None
    if not draft.matches(found.request_hash):
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used for a different complaint; "
            "make a new key for a new complaint",
            complaint=found.public_id,
        )
    return session.get(Complaint, found.id)


def _normalised_phone(raw: str | None) -> str | None:
    return e164(raw) if raw else None


def _validated_attributes(category: CategoryRules, given: dict[str, str]) -> dict[str, str]:
    # The one rule of every channel (PWA, agent desk, Open311): dispatch/attributes.py.
    return validated_attributes(category.code, category.attributes, given)


def format_public_id(complaint_id: int, at: datetime, timezone: str) -> str:
    """Return the ticket number citizens see: local date and a serial, e.g. ``261128-0000042``."""
    from zoneinfo import ZoneInfo

    return f"{at.astimezone(ZoneInfo(timezone)):%y%m%d}-{complaint_id:07d}"
