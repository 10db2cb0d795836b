"""The notification outbox: planning rows from events, delivering them once, delivery reports.

``record_event`` calls ``plan_for_event`` so every event writes its messages in the same
transaction. Their insert wakes the outbox relay at commit (``dispatch.outbox_relay``),
which queues a drain job; the scheduler's sweeper catches whatever that misses (relay or
Redis down, quiet hours, retries, a gateway that was down).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, event, exists, func, or_, select, update
from sqlalchemy.orm import Session

# Imported for its Session listeners: registering them lazily, from inside a commit's
# after_commit hook, would change the listener list while SQLAlchemy walks it.
import dispatch.queue  # noqa: F401
from dispatch.areas import describe_areas, office_phone_or_fallback
from dispatch.categories import cached_categories
from dispatch.citizens import citizen_token
from dispatch.errors import Forbidden, NotFound
from dispatch.i18n import pick_name
from dispatch.models import (
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    Notification,
    NotificationChannel,
    NotificationState,
    PushSubscription,
    Role,
    SatisfactionRating,
    SmsOptOut,
    Staff,
)
from dispatch.quiet_hours import hold_until
from dispatch.runtime import current_settings
from dispatch.settings import Settings
from dispatch.tokens import same_secret
from notify import templates
from notify.push import PushResult, send_push
from notify.push import payload as push_payload
from notify.sms import KannelGateway, LogGateway, SendResult, SmsGateway, count_parts, fit_text
from notify.sms_parts import ellipsis_for

log = logging.getLogger(__name__)

RESULT_KINDS = {"resolved": "outcome_resolved", "unfounded": "outcome_unfounded",
                "referred": "outcome_referred"}
RATED_KINDS = {"resolved", "unfounded"}
BACK_TO_QUEUE = {"assigned", "on_site"}  # a release: no second "sent to the office" text
# Reporters whose receipt carries their status link: by text or through a 120 agent they
# have no app that keeps it (PWA and Open311 apps do).
FOLLOW_LINK_CHANNELS = {"sms", "phone"}
MAX_BACKOFF = timedelta(hours=1)
# While the SMS gateway cannot be reached, a text is tried at least this often, so it goes
# out within minutes of the gateway coming back.
GATEWAY_RETRY_CAP = timedelta(minutes=5)


# --- planning -------------------------------------------------------------------------


def plan_for_event(session: Session, event_row: ComplaintEvent,
                   settings: Settings | None = None) -> list[Notification]:
    """Add the outbox rows an event causes (none for most kinds); the caller's flush writes them."""
    settings = settings or current_settings()
    # Planning reads only rows that already exist; autoflushing the half-built change
    # before each read would cost a round trip per query on the intake hot path.
    with session.no_autoflush:
        rows = _plan(session, settings, event_row)
    for row in rows:
        session.add(row)
    if rows:
        session.info.setdefault("planned_notifications", []).extend(
            row for row in rows if row.hold_until is None)
    return rows


def _plan(session: Session, settings: Settings, event_row: ComplaintEvent) -> list[Notification]:
    complaint = event_row.complaint
    kind = event_row.kind
    rows: list[Notification] = []
    if kind == "received":
        rows += _sms_to(session, settings, event_row, [complaint], "received", urgent=True)
    elif kind == "dispatched":
        # Back in the queue after an inspector let it go: the reporter was told where it
        # went already; only the district's inspectors hear of it again.
        if event_row.from_status not in BACK_TO_QUEUE:
            rows += _sms_to(session, settings, event_row, [complaint], "dispatched")
        rows += _push_to(session, settings, event_row, _inspectors(session, settings, complaint),
                         "push_new")
    elif kind in RESULT_KINDS and not _follows_parent(event_row, complaint):
        rows += _sms_to(session, settings, event_row, reporters_of(session, complaint), "result")
    elif kind == "transferred":
        rows += _sms_to(session, settings, event_row, [complaint], "transferred")
        rows += _push_to(session, settings, event_row, _inspectors(session, settings, complaint),
                         "push_new")
    elif kind in ("duplicate", "linked_duplicate") and complaint.parent_id is not None:
        rows += _sms_to(session, settings, event_row, [complaint], "duplicate")
    elif kind == "reopened":
        rows += _sms_to(session, settings, event_row, [complaint], "reopened")
    elif kind == "assigned":
        assignee = _assignee_id(event_row)
        if assignee is not None:
            rows += _push_to(session, settings, event_row,
                             _with_subscriptions(session, settings, Staff.id == assignee),
                             "push_assigned")
    elif kind == "escalated":
        rows += _push_to(session, settings, event_row,
                         _escalation_recipients(session, settings, event_row, complaint),
                         "push_escalated")
    return rows


def _escalation_recipients(session: Session, settings: Settings, event_row: ComplaintEvent,
                           complaint: Complaint) -> list[tuple[int, str]]:
    """The district's supervisors own its deadlines; the city's dispatchers only stand in.

    Every dispatcher used to get a push per ticket and threshold: a storm's backlog was
    hundreds each. They watch the city map (overdue markers); they are pushed a breach only
    in a district where no supervisor can be reached.
    """
    supervisors = _with_subscriptions(session, settings, (
        Staff.role == Role.SUPERVISOR.value) & (Staff.district_code == complaint.district_code))
    if supervisors or (event_row.data or {}).get("threshold") != "breached":
        return supervisors
    return _with_subscriptions(session, settings, Staff.role == Role.DISPATCHER.value)


def reporters_of(session: Session, complaint: Complaint) -> list[Complaint]:
    """The complaint and its open duplicates that have a phone: everyone who gets the result.

    Called for the parent's closing event, before its duplicates are closed with it; a
    duplicate closed by an earlier result was told then.
    """
    children = session.scalars(
        select(Complaint).where(Complaint.parent_id == complaint.id,
                                Complaint.status == ComplaintStatus.DUPLICATE.value,
                                Complaint.reporter_phone.is_not(None))
        .order_by(Complaint.id)).all()
    return [complaint, *children]


def _follows_parent(event_row: ComplaintEvent, complaint: Complaint) -> bool:
    """A duplicate closed because its parent closed: the parent's result text covered it."""
    return complaint.parent_id is not None and bool((event_row.data or {}).get("parent"))


def _assignee_id(event_row: ComplaintEvent) -> int | None:
    assignee = (event_row.data or {}).get("assignee")  # written by workflow's assign move
    return assignee if isinstance(assignee, int) else None


# session.info key: {district code: [(staff id, language)]} of inspectors with a push
# subscription, as read in this transaction (the intake reads it in its one look-up).
PUSH_INSPECTORS = "push_inspectors"


def remember_push_inspectors(session: Session, district_code: str,
                             inspectors: list[tuple[int, str]]) -> None:
    """Note the district's inspectors to push to, read by the caller in this transaction."""
    session.info.setdefault(PUSH_INSPECTORS, {})[district_code] = inspectors


def _inspectors(session: Session, settings: Settings,
                complaint: Complaint) -> list[tuple[int, str]]:
    known = session.info.get(PUSH_INSPECTORS, {}).get(complaint.district_code)
    if known is not None and settings.vapid_private_key:
        return known
    return _with_subscriptions(session, settings, (Staff.role == Role.INSPECTOR.value)
                               & (Staff.district_code == complaint.district_code))


def _with_subscriptions(session: Session, settings: Settings,
                        condition) -> list[tuple[int, str]]:
    """(staff id, language) of active staff matching ``condition`` who have a subscription."""
    if not settings.vapid_private_key:
        return []  # push is off: no query on the intake path
    has_subscription = exists().where(PushSubscription.staff_id == Staff.id)
    return [tuple(row) for row in session.execute(
        select(Staff.id, Staff.language).where(condition, Staff.active, has_subscription))]


def _values(session: Session, settings: Settings, complaint: Complaint,
            language: str) -> dict[str, str]:
    district, dong = describe_areas(session, complaint.district_code, complaint.dong_code,
                                    settings.area_refresh_seconds)
    district_name = pick_name(district.names, language, district.name)
    category = cached_categories(session, settings.area_refresh_seconds).get(
        complaint.category_code)
    return {
        "public_id": complaint.public_id,
        "district": district_name,
        "dong": pick_name(dong.names, language, dong.name),
        "office": templates.phrase("office", language, district=district_name),
        "phone": office_phone_or_fallback(district),
        "category": pick_name(category.names if category else {}, language,
                              complaint.category_code),
    }


def _sms_to(session: Session, settings: Settings, event_row: ComplaintEvent,
            reporters: list[Complaint], template: str, *, urgent: bool = False
            ) -> list[Notification]:
    rows, seen = [], set()
    stopped = _opted_out(session, event_row, reporters)
    for reporter in reporters:
        phone = reporter.reporter_phone
        if not phone or phone in seen or phone in stopped:
            continue
        seen.add(phone)
        language = reporter.reporter_language
        body, data = _sms_text(session, settings, event_row, reporter, template, language)
        rows.append(_row(settings, event_row, reporter, NotificationChannel.SMS, phone,
                         template, language, body, urgent=urgent, data=data))
    return rows


def _opted_out(session: Session, event_row: ComplaintEvent,
               reporters: list[Complaint]) -> set[str]:
    """Phones among ``reporters`` that texted STOP after their latest complaint.

    A complaint filed after the STOP ends it; so the intake, whose complaint is the newest,
    never asks (no query on the hot path).
    """
    phones = {r.reporter_phone for r in reporters
              if r.reporter_phone and r.created_at < event_row.at}
    if not phones:
        return set()
    latest = (select(func.max(Complaint.created_at))
              .where(Complaint.reporter_phone == SmsOptOut.phone).scalar_subquery())
    return set(session.scalars(select(SmsOptOut.phone).where(
        SmsOptOut.phone.in_(phones), SmsOptOut.opted_out_at > latest)))


def _sms_text(session: Session, settings: Settings, event_row: ComplaintEvent,
              reporter: Complaint, template: str, language: str) -> tuple[str, dict]:
    values = _values(session, settings, reporter, language)
    data: dict = {}
    if template == "duplicate":
        # Every duplicate-making move names the parent in its event; reading it back would
        # cost a round trip on the intake path.
        parent_id = (event_row.data or {}).get("parent")
        if parent_id is None:
            parent = session.get(Complaint, reporter.parent_id)
            parent_id = parent.public_id if parent else ""
        values["parent_id"] = parent_id
    if template == "received" and reporter.channel in FOLLOW_LINK_CHANNELS:
        link = templates.phrase("follow_link", language, url=status_link(settings, reporter))
        return fit_text(f"{templates.render(template, language, **values)} {link}",
                        settings.sms_max_parts), data
    if template != "result":
        return fit_text(templates.render(template, language, **values),
                        settings.sms_max_parts), data
    values["status"] = templates.phrase(RESULT_KINDS[event_row.kind], language)
    # The closing move's code (a duplicate's reporters get the parent's, which its event names).
    code = (event_row.data or {}).get("outcome") or event_row.complaint.outcome
    values["outcome"] = templates.outcome_line(code, language)
    question = ""
    # Reopened and closed again after a rating: the one rating a complaint takes is given.
    if event_row.kind in RATED_KINDS and not _is_rated(session, reporter):
        question = " " + templates.render("satisfaction", language)
        data["asks_rating"] = True
    # The inspector's note is the only free text: shorten it, never the question.
    # Ended like a sentence: "Lamp replaced How satisfied…" read as one.
    note = templates.as_sentence(event_row.public_note or "", language)

    def with_note(text: str) -> str:
        return " ".join((templates.render("result", language, **values, note=text)
                         + question).split())

    # Counted whole: the note's characters decide GSM-7 or UCS-2 for the entire text.
    if note and count_parts(with_note(note)) > settings.sms_max_parts:
        note = _longest_fitting_note(note, with_note, settings.sms_max_parts)
    body = with_note(note)
    return fit_text(" ".join(body.split()), settings.sms_max_parts), data


def _longest_fitting_note(note: str, with_note, max_parts: int) -> str:
    # The longest prefix of the note, with an ellipsis that keeps the whole text's coding,
    # that lets the text fit (bisection: a few renders, not one per character).
    def cut(keep: int) -> str:
        kept = note[:keep].rstrip()
        return kept + ellipsis_for(with_note(kept))

    low, high = 0, len(note) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if count_parts(with_note(cut(middle))) <= max_parts:
            low = middle
        else:
            high = middle - 1
    return cut(low) if low else ""


def _is_rated(session: Session, complaint: Complaint) -> bool:
    return bool(session.scalar(select(exists().where(
        SatisfactionRating.complaint_id == complaint.id))))


def status_link(settings: Settings, complaint: Complaint) -> str:
    """The reporter's status page, with the token that lets them cancel, reopen and rate."""
    token = citizen_token(settings.secret_key, complaint.public_id)
    return f"{settings.public_url.rstrip('/')}/status/{complaint.public_id}?t={token}"


def _push_to(session: Session, settings: Settings, event_row: ComplaintEvent,
             staff: list[tuple[int, str]], template: str) -> list[Notification]:
    if not settings.vapid_private_key:
        return []
    complaint = event_row.complaint
    rows = []
    for staff_id, language in staff:
        values = _values(session, settings, complaint, language)
        data = push_payload(templates.render_title(template, language, **values),
                            templates.render(template, language, **values),
                            f"/staff/complaints/{complaint.public_id}",
                            f"complaint-{complaint.public_id}")
        row = _row(settings, event_row, complaint, NotificationChannel.PUSH,
                   f"staff:{staff_id}", template, language, data["body"], urgent=True,
                   data=data)
        row.staff_id = staff_id
        row.title = data["title"]
        rows.append(row)
    return rows


def _row(settings: Settings, event_row: ComplaintEvent, complaint: Complaint,
         channel: NotificationChannel, recipient: str, template: str, language: str,
         body: str, *, urgent: bool, data: dict) -> Notification:
    now = datetime.now(UTC)
    held = None if urgent else hold_until(now, settings.quiet_hours, settings.timezone)
    return Notification(
        complaint=complaint, event=event_row, recipient=recipient, channel=channel.value,
        template=template, language=language, body=body, data=data, urgent=urgent,
        state=NotificationState.PENDING.value, attempts=0, hold_until=held,
        next_attempt_at=held or now, created_at=now)


def reply_to_sender(session: Session, settings: Settings, inbound_id: int, phone: str,
                    language: str, template: str, **values: str) -> Notification:
    """Queue an urgent text answering an incoming one (no complaint, no event)."""
    now = datetime.now(UTC)
    row = Notification(
        inbound_id=inbound_id, recipient=phone, channel=NotificationChannel.SMS.value,
        template=template, language=language,
        body=fit_text(templates.render(template, language, **values), settings.sms_max_parts),
        data={}, urgent=True, state=NotificationState.PENDING.value, attempts=0,
        next_attempt_at=now, created_at=now)
    session.add(row)
    session.info.setdefault("planned_notifications", []).append(row)
    return row


@event.listens_for(Session, "after_flush_postexec")
def _collect_planned(session: Session, _flush_context) -> None:
    """Remember the ids of rows planned in this transaction, once they have them."""
    planned = session.info.pop("planned_notifications", None)
    if planned:
        session.info.setdefault("planned_ids", []).extend(
            row.id for row in planned if row.id is not None)


@event.listens_for(Session, "after_commit")
def _deliver_planned(session: Session) -> None:
    """After the commit, without a queue (tests, demos): send the new rows at once.

    With a queue the request does nothing more: the insert's trigger sent ``NOTIFY
    dasan_outbox`` with the commit, and the outbox relay wakes a drain job
    (``dispatch.outbox_relay``). Relay or Redis down loses nothing: the sweeper sends.
    """
    session.info.pop(PUSH_INSPECTORS, None)  # the next transaction reads them afresh
    ids = session.info.pop("planned_ids", None)
    if ids and not current_settings().queue_async:
        from dispatch.jobs_notify import deliver_planned

        deliver_planned(ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_planned(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop("planned_notifications", None)
        session.info.pop("planned_ids", None)
        session.info.pop(PUSH_INSPECTORS, None)


# --- delivery -------------------------------------------------------------------------

_gateways: dict[tuple, SmsGateway] = {}


def sms_gateway(settings: Settings) -> SmsGateway:
    """Return this process's gateway for the configured backend."""
    key = (settings.sms_backend, settings.kannel_sendsms_url, settings.kannel_username)
    if key not in _gateways:
        if settings.sms_backend == "kannel":
            _gateways[key] = KannelGateway(settings.kannel_sendsms_url, settings.kannel_username,
                                           settings.kannel_password_value)
        else:
            _gateways[key] = LogGateway()
    return _gateways[key]


def report_token(settings: Settings, notification_id: int) -> str:
    """The per-row secret in a delivery-report URL, so nobody can forge a report."""
    return hmac.new(settings.secret_key.encode(), f"dlr:{notification_id}".encode(),
                    hashlib.sha256).hexdigest()[:24]


def report_url(settings: Settings, notification_id: int) -> str:
    """Kannel's dlr-url for a row: our id and token in the path, Kannel's escapes in the query."""
    base = settings.sms_callback_url.rstrip("/")
    return (f"{base}/api/v1/sms/reports/{notification_id}/{report_token(settings, notification_id)}"
            "?type=%d&smsc_id=%F")


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Delay before attempt ``attempts + 1``: doubling from the configured first delay."""
    return min(timedelta(seconds=settings.notify_retry_seconds * 2 ** max(attempts - 1, 0)),
               MAX_BACKOFF)


def _due(now: datetime) -> tuple:
    """The conditions of a row that should be sent now."""
    return (Notification.state == NotificationState.PENDING.value,
            Notification.next_attempt_at <= now + timedelta(seconds=1),
            or_(Notification.hold_until.is_(None), Notification.hold_until <= now))


def count_due(session: Session, now: datetime | None = None) -> int:
    """How many rows should be sent now (the partial index on due pending rows answers)."""
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(*_due(now or datetime.now(UTC))))


def claim(session: Session, settings: Settings, notification_id: int | None, now: datetime,
          limit: int = 1) -> list[Notification]:
    """Take due pending rows (a given one, or the oldest ``limit``) and mark them ``sending``.

    One statement: SKIP LOCKED lets many workers drain the outbox side by side, and a second
    job for the same row simply finds nothing ([]). While a row is ``sending``, its
    ``next_attempt_at`` is when the sweeper stops waiting for an answer.
    """
    due = select(Notification.id).where(*_due(now)).with_for_update(skip_locked=True)
    if notification_id is not None:
        due = due.where(Notification.id == notification_id)
    else:
        due = due.order_by(Notification.next_attempt_at, Notification.id).limit(limit)
    # A CTE, materialized: run once. As `WHERE id IN (subquery)` the planner may rescan the
    # subquery per row of a nested-loop semi join, and each rescan skips the rows this very
    # statement has just updated and takes the next ones: `LIMIT 1` claimed (and sent) two
    # rows in a full test run.
    due = due.cte("due").prefix_with("MATERIALIZED")
    taken = session.scalars(
        update(Notification).where(Notification.id == due.c.id)
        .values(state=NotificationState.SENDING.value, attempts=Notification.attempts + 1,
                next_attempt_at=now + timedelta(seconds=settings.notify_settle_seconds))
        .returning(Notification)
        .execution_options(populate_existing=True, synchronize_session=False))
    return sorted(taken, key=lambda row: row.id)


def deliver(session: Session, settings: Settings, notification_id: int | None = None, *,
            gateway: SmsGateway | None = None, now: datetime | None = None
            ) -> Notification | None:
    """Claim one due row, send it and record the answer (commits the session twice).

    Returns the row (``pending`` again when a retry is due) or None when there was nothing
    to do.
    """
    rows = deliver_many(session, settings, notification_id, gateway=gateway, now=now)
    return rows[0] if rows else None


@dataclass(frozen=True)
class _Outgoing:
    """What a send needs, read before the claim commits (no database during the send)."""

    id: int
    channel: str
    recipient: str
    body: str
    data: dict
    subscriptions: tuple[tuple[int, dict], ...] = ()


def deliver_many(session: Session, settings: Settings, notification_id: int | None = None, *,
                 limit: int = 1, gateway: SmsGateway | None = None,
                 now: datetime | None = None) -> list[Notification]:
    """Claim up to ``limit`` due rows, send each, record the answers; commits twice.

    The claim commits the rows as ``sending`` before the gateway is called, so no lock or
    transaction is held during the send, and a worker killed (or its database lost)
    between the gateway's answer and the record never sends the row again: the delivery
    report settles it, or the sweeper, after DASAN_NOTIFY_SETTLE_SECONDS without one
    (``release_unsettled``). A killed worker's claimed but unsent rows wait that long too,
    which is why a batch is small.
    """
    now = now or datetime.now(UTC)
    rows = claim(session, settings, notification_id, now, limit)
    if not rows:
        return []
    outgoing = _outgoing(session, rows)
    session.commit()
    answers = [_send_one(settings, item, gateway) for item in outgoing]
    _record(session, settings, outgoing, answers, now)
    session.commit()
    return rows


def _outgoing(session: Session, rows: list[Notification]) -> list[_Outgoing]:
    """Snapshot what the sends need, with the push subscriptions of every push row."""
    staff_ids = {row.staff_id for row in rows if row.channel == NotificationChannel.PUSH.value}
    subscriptions: dict[int, list] = {}
    if staff_ids:
        for subscription in session.scalars(select(PushSubscription).where(
                PushSubscription.staff_id.in_(staff_ids)).order_by(PushSubscription.id)):
            subscriptions.setdefault(subscription.staff_id, []).append((subscription.id, {
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}))
    return [_Outgoing(row.id, row.channel, row.recipient, row.body, dict(row.data or {}),
                      tuple(subscriptions.get(row.staff_id, ())))
            for row in rows]


def _send(settings: Settings, item: _Outgoing, gateway: SmsGateway | None):
    """Call the gateway (SMS) or every subscription's push service; nothing is written."""
    if item.channel == NotificationChannel.SMS.value:
        gateway = gateway or sms_gateway(settings)
        return gateway.send(to=item.recipient, text=item.body, sender=settings.sms_sender,
                            reference=str(item.id), report_url=report_url(settings, item.id))
    message = {key: item.data.get(key) for key in ("title", "body", "url", "tag")}
    return [(subscription_id, send_push(
        subscription, message, vapid_private_key=settings.vapid_private_key,
        vapid_subject=settings.vapid_subject, timeout=settings.push_timeout_seconds))
        for subscription_id, subscription in item.subscriptions]


def _send_one(settings: Settings, item: _Outgoing, gateway: SmsGateway | None):
    """Send one row; None when an unexpected error leaves it unknown whether it went out.

    Such a row stays ``sending`` for its delivery report (or the settle time) to decide:
    sending it again at once could double it. The rest of the batch goes on.
    """
    try:
        return _send(settings, item, gateway)
    except Exception:  # noqa: BLE001 - one bad row must not hold back the batch
        log.exception("notification %s: unexpected error while sending; its delivery "
                      "report or the sweeper will settle it", item.id)
        return None


def _record(session: Session, settings: Settings, outgoing: list[_Outgoing], answers: list,
            now: datetime) -> None:
    rows = {row.id: row for row in session.scalars(
        select(Notification).where(Notification.id.in_([item.id for item in outgoing]))
        .with_for_update().execution_options(populate_existing=True))}
    for item, answer in zip(outgoing, answers, strict=True):
        row = rows[item.id]
        if answer is None:
            continue
        if item.channel == NotificationChannel.SMS.value:
            _record_sms(settings, row, answer, now)
        else:
            _record_push(session, settings, row, answer, now)
    session.flush()


def _record_sms(settings: Settings, row: Notification, result: SendResult,
                now: datetime) -> None:
    if row.state not in (NotificationState.SENDING.value, NotificationState.PENDING.value):
        # A delivery report came first and settled the row: keep what it said.
        if result.accepted:
            row.parts, row.sent_at = result.parts, row.sent_at or now
        return
    if result.accepted:
        row.state, row.sent_at = NotificationState.SENT.value, now
        row.provider_id, row.parts, row.last_error = result.provider_id, result.parts, None
    elif result.gateway_fault:
        _wait_for_gateway(settings, row, result.error or "gateway unreachable", now)
    else:
        _failed_attempt(settings, row, result.error or "unknown", result.temporary, now)


def _record_push(session: Session, settings: Settings, row: Notification,
                 results: list[tuple[int, PushResult]], now: datetime) -> None:
    for subscription_id, result in results:
        if result.gone:
            # The browser unsubscribed or the subscription expired: never try it again.
            session.execute(delete(PushSubscription).where(PushSubscription.id == subscription_id))
    answers = [result for _, result in results]
    if any(r.ok for r in answers):
        row.state, row.sent_at, row.last_error = NotificationState.SENT.value, now, None
    elif any(r.temporary for r in answers):
        _failed_attempt(settings, row, next(r.error for r in answers if r.temporary) or "",
                        True, now)
    else:
        row.state, row.finished_at = NotificationState.GONE.value, now
        row.last_error = "no push subscription left" if not answers else answers[0].error


def _failed_attempt(settings: Settings, row: Notification, error: str, temporary: bool,
                    now: datetime) -> None:
    row.last_error = error[:500]
    if temporary and row.attempts < settings.notify_max_attempts:
        row.state = NotificationState.PENDING.value
        row.next_attempt_at = now + backoff(settings, row.attempts)
        return
    row.state, row.finished_at = NotificationState.FAILED.value, now
    if temporary:
        row.last_error = f"gave up after {row.attempts} attempts: {row.last_error}"
    log.warning("notification %s failed: %s", row.id, row.last_error)


def _wait_for_gateway(settings: Settings, row: Notification, error: str,
                      now: datetime) -> None:
    """Keep a text pending while the gateway is down; give up only after the setting's hours.

    A gateway that is down says nothing about the message, so the attempt the claim
    counted is given back: an outage longer than the attempts' back-off must not fail
    every text written during it.
    """
    row.attempts = max(row.attempts - 1, 0)
    row.last_error = error[:500]
    waited = now - waiting_since(row)
    if waited >= timedelta(hours=settings.notify_gateway_give_up_hours):
        row.state, row.finished_at = NotificationState.FAILED.value, now
        row.last_error = (f"gave up after {settings.notify_gateway_give_up_hours:g} h without "
                          f"a reachable gateway: {row.last_error}")[:500]
        log.warning("notification %s failed: %s", row.id, row.last_error)
        return
    row.state = NotificationState.PENDING.value
    row.next_attempt_at = now + gateway_retry_delay(settings, waited)


def waiting_since(row: Notification) -> datetime:
    """When the row first became due: created, out of quiet hours, or sent again by hand."""
    resent = (row.data or {}).get("resent_at")
    moments = [row.created_at, row.hold_until,
               datetime.fromisoformat(resent) if resent else None]
    return max(moment for moment in moments if moment is not None)


def gateway_retry_delay(settings: Settings, waited: timedelta) -> timedelta:
    """Half the time waited so far (at least the first retry delay), at most 5 minutes."""
    return min(max(timedelta(seconds=settings.notify_retry_seconds), waited / 2),
               GATEWAY_RETRY_CAP)


def resend_failed(session: Session, since: datetime, until: datetime | None = None,
                  now: datetime | None = None) -> int:
    """Make failed rows that no gateway ever accepted pending again; return how many.

    Only rows never accepted (``sent_at`` empty): a text the gateway took may have
    reached the phone, and sending it again could double it. Rows whose recipient was
    erased by the personal-data purge cannot be sent and are left alone.
    """
    now = now or datetime.now(UTC)
    query = select(Notification).where(
        Notification.state == NotificationState.FAILED.value,
        Notification.sent_at.is_(None), Notification.recipient != "",
        Notification.finished_at >= since).with_for_update(skip_locked=True)
    if until is not None:
        query = query.where(Notification.finished_at < until)
    rows = session.scalars(query).all()
    for row in rows:
        row.state, row.finished_at, row.attempts = NotificationState.PENDING.value, None, 0
        row.next_attempt_at = now
        # The gateway's give-up clock starts again from now (see waiting_since).
        row.data = {**(row.data or {}), "resent_at": now.isoformat()}
        row.last_error = f"sent again by hand after: {row.last_error or 'failure'}"[:500]
    session.flush()
    return len(rows)


def release_unsettled(session: Session, settings: Settings,
                      now: datetime | None = None) -> int:
    """Send again the rows left ``sending`` past the settle time with no report; return how many.

    Their worker stopped between claiming and recording (killed, or its database lost),
    and no delivery report said the text got through: most likely it was never sent.
    """
    now = now or datetime.now(UTC)
    rows = session.scalars(select(Notification).where(
        Notification.state == NotificationState.SENDING.value,
        Notification.next_attempt_at <= now).with_for_update(skip_locked=True)).all()
    for row in rows:
        _failed_attempt(settings, row, f"no answer recorded and no delivery report within "
                        f"{settings.notify_settle_seconds} s of sending", True, now)
        log.warning("notification %s was left mid-send; sending it again", row.id)
    session.flush()
    return len(rows)


# --- delivery reports -----------------------------------------------------------------

DLR_DELIVERED, DLR_UNDELIVERED, DLR_BUFFERED, DLR_SMSC_ACK, DLR_SMSC_REJECT = 1, 2, 4, 8, 16


def apply_delivery_report(session: Session, settings: Settings, notification_id: int,
                          token: str, dlr_type: int | None, smsc_id: str | None = None,
                          now: datetime | None = None) -> Notification:
    """Record a Kannel delivery report on its row (repeats and late reports are harmless).

    :raises Forbidden: when the token does not belong to the id (a forged report).
    :raises NotFound: when no such notification exists.
    """
    if not same_secret(report_token(settings, notification_id), token):
        raise Forbidden("wrong delivery-report token")
    row = session.scalars(select(Notification).where(Notification.id == notification_id)
                          .with_for_update()).first()
    if row is None or row.channel != NotificationChannel.SMS.value:
        raise NotFound(f"no text message {notification_id}")
    now = now or datetime.now(UTC)
    if smsc_id and smsc_id != "%F" and smsc_id.isprintable():
        row.provider_id = smsc_id[:128]
    # Reports may arrive out of order (each is its own HTTP request): an SMSC ack
    # arriving after the final report must not hide it.
    if dlr_type in (DLR_SMSC_ACK, DLR_BUFFERED):
        if row.state in (NotificationState.PENDING.value, NotificationState.SENDING.value,
                         NotificationState.SENT.value):
            row.dlr_status = dlr_type
            row.state, row.sent_at = NotificationState.SENT.value, row.sent_at or now
    elif row.state in (NotificationState.FAILED.value, NotificationState.GONE.value):
        pass  # one undelivered part already spoiled the text; a late success cannot undo it
    elif dlr_type == DLR_DELIVERED:
        row.dlr_status = dlr_type
        row.state, row.finished_at = NotificationState.DELIVERED.value, now
    elif dlr_type in (DLR_UNDELIVERED, DLR_SMSC_REJECT):
        row.dlr_status = dlr_type
        row.state, row.finished_at = NotificationState.FAILED.value, now
        row.last_error = ("rejected by the SMSC" if dlr_type == DLR_SMSC_REJECT
                          else "not delivered to the phone")
    session.flush()
    return row


def notifications_of(session: Session, complaint: Complaint) -> list[Notification]:
    """Every notification of a complaint, oldest first (for staff)."""
    return list(session.scalars(select(Notification)
                                .where(Notification.complaint_id == complaint.id)
                                .order_by(Notification.id)))
