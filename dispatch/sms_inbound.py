"""Incoming texts (MO) from Kannel: satisfaction ratings, complaints by text, or a helpful reply."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from dispatch.abuse import check_not_blocked
from dispatch.areas import describe_area
from dispatch.categories import cached_categories
from dispatch.errors import AlreadyRated, DispatchError, InvalidInboundSms, PhoneBlocked
from dispatch.events import Actor
from dispatch.i18n import pick_name
from dispatch.intake import ComplaintDraft, submit_complaint
from dispatch.models import (
    Channel,
    Complaint,
    District,
    Dong,
    Notification,
    SatisfactionRating,
    SmsInbound,
    SmsOptOut,
)
from dispatch.notifications import reply_to_sender
from dispatch.ratings import RATABLE_STATUSES, record_rating
from dispatch.settings import Settings
from notify.phones import InvalidPhoneNumber, normalise_phone
from notify.textparse import (
    MAX_TEXT_CHARS,
    AmbiguousPlace,
    Gazetteer,
    is_stop_request,
    looks_binary,
    match_category,
    parse_rating,
    reply_language,
    stop_reply_language,
)

log = logging.getLogger(__name__)

# A rating answers the most recent result text sent to that phone within this time.
RATING_WINDOW = timedelta(days=14)
# A number this soon after the phone's last rating repeats or corrects that answer: it must
# not rate the next older ticket, which the sender most likely did not mean.
RATING_REPEAT_WINDOW = timedelta(hours=1)
# The columns' sizes (sms_inbound.gateway_id, .sender): the one check of both, for the API too.
MAX_GATEWAY_ID_CHARS = 64
MAX_SENDER_CHARS = 32
_MO_NAMESPACE = uuid.UUID("5b0e8f0a-3c57-4a53-9a43-6d0d7c5f2a11")


def receive_text(session: Session, settings: Settings, *, gateway_id: str, sender: str,
                 receiver: str | None, text: str, redis=None,
                 now: datetime | None = None) -> SmsInbound | None:
    """Store and act on one incoming text; None when Kannel re-posted one we already have.

    Flushes; the caller commits (then the replies and receipts it planned are sent).

    :raises InvalidInboundSms: without a gateway id or sender.
    """
    now = now or datetime.now(UTC)
    gateway_id = (gateway_id or "").strip()
    sender = (sender or "").strip()
    if (not gateway_id or len(gateway_id) > MAX_GATEWAY_ID_CHARS or not sender
            or len(sender) > MAX_SENDER_CHARS or not (gateway_id + sender).isprintable()):
        raise InvalidInboundSms(
            f"an incoming text needs its gateway id (at most {MAX_GATEWAY_ID_CHARS} "
            f"printable characters) and sender (at most {MAX_SENDER_CHARS})")
    receiver = "".join(ch for ch in (receiver or "") if ch.isprintable())
    text = (text or "").replace("\x00", "")
    enormous = len(text) > MAX_TEXT_CHARS
    inbound = session.scalars(
        insert(SmsInbound).values(gateway_id=gateway_id, sender=sender,
                                  receiver=(receiver or "")[:32] or None,
                                  text=text[:MAX_TEXT_CHARS], outcome="pending",
                                  received_at=now)
        .on_conflict_do_nothing(index_elements=[SmsInbound.gateway_id])
        .returning(SmsInbound)).first()
    if inbound is None:
        return None  # Kannel retried a text we already took: nothing more to do
    try:
        phone = normalise_phone(sender)
    except InvalidPhoneNumber:
        inbound.outcome = "ignored"  # a short code or foreign sender we cannot answer
        return _done(session, inbound)
    try:
        check_not_blocked(session, phone)
    except PhoneBlocked:
        inbound.outcome = "ignored"  # staff blocked this number for abuse: no reply either
        return _done(session, inbound)
    if _over_limit(redis, settings, phone, now):
        inbound.outcome = "rate_limited"
        return _done(session, inbound)
    body = text.strip()
    if not body or enormous or looks_binary(body):
        inbound.outcome = "ignored"
        return _done(session, inbound)
    known = _latest_language(session, phone)
    language = reply_language(body, known)
    if is_stop_request(body):
        _opt_out(session, settings, inbound, phone, stop_reply_language(body, known), now)
        return _done(session, inbound)
    rating = parse_rating(body)
    if rating is not None and _record_rating(session, settings, inbound, phone, rating,
                                             language, now):
        return _done(session, inbound)
    if rating is None and _file_complaint(session, settings, inbound, phone, body, language):
        return _done(session, inbound)
    inbound.outcome = "not_understood"
    reply_to_sender(session, settings, inbound.id, phone, language, "sms_help",
                    url=report_page_url(settings))
    return _done(session, inbound)


def report_page_url(settings: Settings) -> str:
    """The citizen's report page (the PWA serves it at ``/``)."""
    return f"{settings.public_url.rstrip('/')}/"


def _done(session: Session, inbound: SmsInbound) -> SmsInbound:
    session.flush()
    return inbound


def _over_limit(redis, settings: Settings, phone: str, now: datetime) -> bool:
    """Count texts per sender and hour in Redis; a flood from one phone stops costing us."""
    if redis is None:
        return False
    key = f"dasan:mo:{phone}:{now:%Y%m%d%H}"
    try:
        pipe = redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 3700)
        count, _ = pipe.execute()
    except RedisError:
        return False  # taking a citizen's text matters more than limiting it
    return int(count) > settings.sms_mo_per_hour


def _opt_out(session: Session, settings: Settings, inbound: SmsInbound, phone: str,
             language: str, now: datetime) -> None:
    """Record that the phone wants no more texts about its complaints, and confirm it once."""
    session.execute(insert(SmsOptOut).values(phone=phone, opted_out_at=now, inbound_id=inbound.id)
                    .on_conflict_do_update(index_elements=[SmsOptOut.phone],
                                           set_={"opted_out_at": now,
                                                 "inbound_id": inbound.id}))
    inbound.outcome = "opt_out"
    reply_to_sender(session, settings, inbound.id, phone, language, "sms_stopped")


def _latest_language(session: Session, phone: str) -> str | None:
    """The language of this phone's latest complaint (None for a stranger)."""
    return session.scalar(select(Complaint.reporter_language)
                          .where(Complaint.reporter_phone == phone)
                          .order_by(Complaint.created_at.desc()).limit(1))


def _record_rating(session: Session, settings: Settings, inbound: SmsInbound, phone: str,
                   score: int, language: str, now: datetime) -> bool:
    """Rate the ticket of the latest open rating question, and thank the sender."""
    asked_at, complaint = _latest_question(session, phone, now)
    last = _recent_rating(session, phone, now)
    if last is not None and (asked_at is None or asked_at <= last.rated_at):
        # The latest question was answered minutes ago: this is that answer again.
        inbound.outcome, inbound.complaint_id = "rating_repeat", last.complaint_id
        reply_to_sender(session, settings, inbound.id, phone, language, "rating_already",
                        public_id=last.public_id, score=str(last.score))
        return True
    if complaint is None:
        return False
    try:
        record_rating(session, complaint, score, at=now, channel="sms", inbound_id=inbound.id)
    except AlreadyRated:
        return False  # rated from the PWA in the meantime
    inbound.outcome, inbound.complaint_id = "rating", complaint.id
    reply_to_sender(session, settings, inbound.id, phone, language, "rating_thanks",
                    public_id=complaint.public_id, score=str(score))
    return True


def _latest_question(session: Session, phone: str,
                     now: datetime) -> tuple[datetime | None, Complaint | None]:
    """When the latest still open rating question went to this phone, and its complaint."""
    rated = exists().where(SatisfactionRating.complaint_id == Complaint.id)
    found = session.execute(
        select(Notification.created_at, Complaint)
        .join(Complaint, Complaint.id == Notification.complaint_id)
        .where(Notification.recipient == phone, Notification.template == "result",
               Notification.data["asks_rating"].astext == "true",
               Notification.created_at >= now - RATING_WINDOW,
               Complaint.reporter_phone == phone, ~rated,
               # reopened since the question: the answer is not a rating
               Complaint.status.in_(RATABLE_STATUSES))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(1)
        .with_for_update(of=Complaint, skip_locked=True)).first()
    return (found[0], found[1]) if found else (None, None)


def _recent_rating(session: Session, phone: str, now: datetime):
    """This phone's rating of the last RATING_REPEAT_WINDOW (any channel), or None."""
    return session.execute(
        select(SatisfactionRating.rated_at, SatisfactionRating.score,
               Complaint.id.label("complaint_id"), Complaint.public_id)
        .join(Complaint, Complaint.id == SatisfactionRating.complaint_id)
        .where(Complaint.reporter_phone == phone,
               SatisfactionRating.rated_at >= now - RATING_REPEAT_WINDOW)
        .order_by(SatisfactionRating.rated_at.desc()).limit(1)).first()


def _file_complaint(session: Session, settings: Settings, inbound: SmsInbound, phone: str,
                    body: str, language: str) -> bool:
    keywords = {code: rules.keywords for code, rules in
                cached_categories(session, settings.area_refresh_seconds).items()}
    category = match_category(body, keywords)
    place = gazetteer(session, settings.area_refresh_seconds).find(body)
    if category is None or place is None:
        return False
    if isinstance(place, AmbiguousPlace):
        _ask_which_district(session, settings, inbound, phone, language, place)
        return True
    lon, lat = dong_point(session, place.dong_code)
    draft = ComplaintDraft(category=category, lon=lon, lat=lat, description=body,
                           address=body[:500], phone=phone, language=language,
                           # guessed from the text and the phone's history, not sent
                           language_sent=False, channel=Channel.SMS.value)
    try:
        # The gateway id makes the intake idempotent too, should the same text come twice.
        # The text names only the dong: its point-on-surface says nothing about where in
        # the dong the problem is, so the intake must not merge it with a nearby report.
        result = submit_complaint(session, settings, draft,
                                  client_ref=uuid.uuid5(_MO_NAMESPACE, inbound.gateway_id),
                                  actor=Actor("gateway"), dong_only=True)
    except DispatchError as exc:
        log.info("text %s could not become a complaint: %s", inbound.id, exc)
        return False
    inbound.outcome, inbound.complaint_id = "complaint", result.complaint.id
    return True


def _ask_which_district(session: Session, settings: Settings, inbound: SmsInbound, phone: str,
                        language: str, place: AmbiguousPlace) -> None:
    """Reply that the dong name is shared, naming the districts; a guess could misroute."""
    names = [pick_name(info.names, language, info.name) for info in (
        describe_area(session, "district", code, settings.area_refresh_seconds)
        for code in place.district_codes)]
    inbound.outcome = "ambiguous_place"
    reply_to_sender(session, settings, inbound.id, phone, language, "sms_which_district",
                    dong=place.matched, districts=", ".join(names),
                    example=f"{names[0]} {place.matched}")


_gazetteer: tuple[float, Gazetteer] | None = None
_points: dict[str, tuple[float, float]] = {}
_lock = threading.Lock()


def gazetteer(session: Session, max_age_s: float = 30.0) -> Gazetteer:
    """Return the dong-name gazetteer of this process, rebuilt at most every ``max_age_s``."""
    global _gazetteer
    cached = _gazetteer
    if cached is not None and time.monotonic() - cached[0] < max_age_s:
        return cached[1]
    with _lock:
        rows = session.execute(select(Dong.code, Dong.district_code, Dong.name, Dong.names))
        districts = session.execute(select(District.code, District.name, District.names))
        built = Gazetteer([(code, district, [name, *(names or {}).values()])
                           for code, district, name, names in rows],
                          {code: [name, *(names or {}).values()]
                           for code, name, names in districts})
        _gazetteer = (time.monotonic(), built)
        _points.clear()
        return built


def dong_point(session: Session, dong_code: str) -> tuple[float, float]:
    """A point surely inside the dong (point on surface), where a complaint by text is placed."""
    if dong_code not in _points:
        surface = func.ST_PointOnSurface(Dong.boundary)
        lon, lat = session.execute(select(func.ST_X(surface), func.ST_Y(surface))
                                   .where(Dong.code == dong_code)).one()
        _points[dong_code] = (float(lon), float(lat))
    return _points[dong_code]
