"""The outbox: planning from events, exactly-once delivery, retries, quiet hours, reports."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from dispatch import notifications
from dispatch.errors import Forbidden, NotFound
from dispatch.events import Actor, record_event
from dispatch.models import Complaint, Notification, PushSubscription
from dispatch.quiet_hours import hold_until
from notify.sms import SendResult
from tests.factories import PLACES

KST_NIGHT = datetime(2026, 11, 28, 14, 30, tzinfo=UTC)  # 23:30 in Seoul
KST_DAY = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 12:00 in Seoul


def rows_of(session, complaint, **where):
    query = select(Notification).where(Notification.complaint_id == complaint.id)
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return session.scalars(query.order_by(Notification.id)).all()


def release(row):
    """End a row's quiet-hours hold now."""
    row.hold_until = None
    row.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)


def due_dispatch_text(create_complaint, session):
    """A new complaint's 'dispatched' text, held by quiet hours, made due now."""
    complaint = create_complaint(phone="010-1234-5678")
    row = rows_of(session, complaint, template="dispatched")[0]
    release(row)
    return row


class FlakyGateway:
    """A gateway double for attempts bookkeeping (the real one is tested against Kannel)."""

    name = "flaky"

    def __init__(self, *results):
        self.results = list(results)
        self.sent = []

    def send(self, **message):
        self.sent.append(message)
        return self.results.pop(0) if self.results else SendResult(accepted=True)


def test_quiet_hours_window():
    assert hold_until(KST_DAY, "22:00-08:00", "Asia/Seoul") is None
    held = hold_until(KST_NIGHT, "22:00-08:00", "Asia/Seoul")
    assert held == datetime(2026, 11, 28, 23, 0, tzinfo=UTC)  # 08:00 next morning in Seoul
    assert hold_until(KST_NIGHT, "", "Asia/Seoul") is None
    assert hold_until(KST_NIGHT, "09:00-18:00", "Asia/Seoul") is None


def test_intake_writes_receipt_and_dispatch_texts(create_complaint, session, use_settings):
    use_settings(sms_backend="log")
    complaint = create_complaint(phone="010-1234-5678", language="en")
    session.commit()
    received, dispatched = rows_of(session, complaint)
    assert (received.template, received.urgent, received.recipient) == (
        "received", True, "+821012345678")
    assert complaint.public_id in received.body and "Jung-gu" in received.body
    assert "Jung-gu office" in dispatched.body and "tel. 120" in dispatched.body
    # The log backend "sends" at once, through the job queued after commit.
    assert {received.state, dispatched.state} == {"sent"}


def test_no_phone_no_text(create_complaint, session, use_settings):
    use_settings()
    complaint = create_complaint(phone=None)
    assert rows_of(session, complaint) == []


def test_quiet_hours_hold_all_but_the_receipt(create_complaint, session, use_settings,
                                               monkeypatch):
    use_settings(quiet_hours="00:00-23:59")
    complaint = create_complaint(phone="010-1234-5678")
    session.commit()
    received, dispatched = rows_of(session, complaint)
    assert received.hold_until is None and received.state == "sent"
    assert dispatched.hold_until is not None and dispatched.state == "pending"
    assert notifications.claim(session, use_settings(), dispatched.id, datetime.now(UTC)) == []
    later = dispatched.hold_until + timedelta(seconds=1)
    assert notifications.deliver(session, use_settings(), dispatched.id, now=later).state == "sent"


def test_office_phone_is_used_when_known(create_complaint, session, use_settings):
    from dispatch.areas import reset_router
    from dispatch.models import District

    use_settings()
    session.get(District, "11140").office_phone = "02-3396-4114"
    session.flush()
    reset_router()
    try:
        complaint = create_complaint(phone="010-1234-5678")
        assert "02-3396-4114" in rows_of(session, complaint, template="dispatched")[0].body
    finally:
        reset_router()


def test_result_goes_to_parent_and_duplicates_once_per_phone(create_complaint, session,
                                                             use_settings):
    settings = use_settings()
    parent = create_complaint(phone="010-1111-2222", language="ko")
    child = create_complaint(phone="010-3333-4444", language="vi")
    same_phone = create_complaint(phone="010-1111-2222", language="ko")
    for duplicate in (child, same_phone):
        duplicate.parent_id = parent.id
    session.flush()
    event = record_event(session, parent, kind="resolved", actor=Actor.system(),
                         at=datetime.now(UTC), public_note="램프를 교체했습니다.")
    session.flush()
    results = session.scalars(select(Notification).where(Notification.event_id == event.id)
                              .order_by(Notification.id)).all()
    assert [(r.complaint_id, r.recipient) for r in results] == [
        (parent.id, "+821011112222"), (child.id, "+821033334444")]
    assert "램프를 교체했습니다." in results[0].body and "1(불만족)" in results[0].body
    assert child.public_id in results[1].body and "1 (kém)" in results[1].body
    assert all(r.data.get("asks_rating") for r in results)
    assert settings.sms_max_parts >= 1


def test_long_public_note_is_shortened_but_the_question_stays(create_complaint, session,
                                                                use_settings):
    from notify.sms import count_parts

    settings = use_settings(sms_max_parts=3)
    complaint = create_complaint(phone="010-1234-5678")
    event = record_event(session, complaint, kind="unfounded", actor=Actor.system(),
                         at=datetime.now(UTC), public_note="확인 " * 400)
    session.flush()
    [row] = session.scalars(select(Notification).where(Notification.event_id == event.id))
    assert count_parts(row.body) <= settings.sms_max_parts
    assert "…" in row.body and row.body.endswith("답장해 주세요.")


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "[Seoul 120] Complaint {id}: resolved. Outcome: towed. Car moved away. How "
           "satisfied are you? Reply with a number from 1 (poor) to 5 (very good)."),
    ("ko", "[서울120] 민원 {id}: 처리가 완료되었습니다. 처리 결과: 견인함. Car moved away. "
           "처리에 만족하셨나요? 1(불만족)~5(매우 만족) 숫자로 답장해 주세요."),
    ("ja", "[ソウル120] 苦情 {id}：対応が完了しました。結果：レッカー移動済み。 Car moved away。 "
           "対応にご満足いただけましたか？1（不満）〜5（大変満足）の数字で返信してください。"),
])
def test_the_result_names_the_outcome_and_ends_the_note_before_the_question(
        create_complaint, session, use_settings, language, expected):
    use_settings()
    complaint = create_complaint(phone="010-1234-5678", language=language)
    event = record_event(session, complaint, kind="resolved", actor=Actor.system(),
                         at=datetime.now(UTC), public_note="Car moved away",
                         data={"outcome": "towed"})
    session.flush()
    [row] = session.scalars(select(Notification).where(Notification.event_id == event.id))
    assert row.body == expected.format(id=complaint.public_id)


@pytest.mark.parametrize(("kind", "template"), [
    ("transferred", "transferred"), ("reopened", "reopened"), ("referred", "result"),
    ("duplicate", "duplicate"), ("cancelled", None), ("on_site", None)])
def test_event_kinds(create_complaint, session, use_settings, kind, template):
    use_settings()
    parent = create_complaint(phone="010-9999-0000")
    complaint = create_complaint(phone="010-1234-5678", language="ja")
    complaint.parent_id = parent.id
    event = record_event(session, complaint, kind=kind, actor=Actor.system(),
                         at=datetime.now(UTC))
    session.flush()
    rows = session.scalars(select(Notification).where(Notification.event_id == event.id)).all()
    assert [r.template for r in rows] == ([template] if template else [])
    if template == "duplicate":
        assert parent.public_id in rows[0].body
    if kind == "referred":
        assert "asks_rating" not in rows[0].data


def test_unique_key_refuses_a_second_row(create_complaint, session, use_settings):
    use_settings()
    complaint = create_complaint(phone="010-1234-5678")
    first = rows_of(session, complaint, template="received")[0]
    twin = Notification(complaint_id=complaint.id, event_id=first.event_id,
                        recipient=first.recipient, channel="sms", template="received",
                        language="ko", body="x", data={}, urgent=True, state="pending",
                        attempts=0, next_attempt_at=first.created_at,
                        created_at=first.created_at)
    nested = session.begin_nested()
    session.add(twin)
    with pytest.raises(IntegrityError):
        session.flush()
    nested.rollback()


def test_delivering_twice_sends_once(create_complaint, session, use_settings):
    settings = use_settings(quiet_hours="00:00-23:59")
    row = due_dispatch_text(create_complaint, session)
    gateway = FlakyGateway()
    assert notifications.deliver(session, settings, row.id, gateway=gateway).state == "sent"
    assert notifications.deliver(session, settings, row.id, gateway=gateway) is None
    from dispatch.jobs_notify import deliver_notification

    assert deliver_notification(row.id) == "skipped"
    assert len(gateway.sent) == 1
    assert gateway.sent[0]["report_url"].endswith("?type=%d&smsc_id=%F")


def test_temporary_failures_retry_with_backoff_then_fail(create_complaint, session,
                                                         use_settings):
    settings = use_settings(quiet_hours="00:00-23:59", notify_max_attempts=3,
                            notify_retry_seconds=10)
    row = due_dispatch_text(create_complaint, session)
    down = SendResult(accepted=False, temporary=True, error="gateway unreachable")
    gateway = FlakyGateway(down, down, down)
    now = datetime.now(UTC)
    notifications.deliver(session, settings, row.id, gateway=gateway, now=now)
    assert (row.state, row.attempts, row.next_attempt_at) == (
        "pending", 1, now + timedelta(seconds=10))
    assert notifications.deliver(session, settings, row.id, gateway=gateway, now=now) is None
    now += timedelta(seconds=10)
    notifications.deliver(session, settings, row.id, gateway=gateway, now=now)
    assert row.next_attempt_at == now + timedelta(seconds=20)
    notifications.deliver(session, settings, row.id, gateway=gateway, now=now + timedelta(
        seconds=20))
    assert row.state == "failed" and row.last_error.startswith("gave up after 3 attempts")


def test_permanent_failure_fails_at_once(create_complaint, session, use_settings):
    settings = use_settings(quiet_hours="00:00-23:59")
    row = due_dispatch_text(create_complaint, session)
    gateway = FlakyGateway(SendResult(accepted=False, error="gateway answered 400: bad"))
    notifications.deliver(session, settings, row.id, gateway=gateway)
    assert (row.state, row.attempts, row.last_error) == ("failed", 1, "gateway answered 400: bad")


def test_delivery_reports(create_complaint, session, use_settings):
    settings = use_settings()
    complaint = create_complaint(phone="010-1234-5678")
    row = rows_of(session, complaint, template="received")[0]
    token = notifications.report_token(settings, row.id)
    with pytest.raises(Forbidden):
        notifications.apply_delivery_report(session, settings, row.id, "forged", 1)
    with pytest.raises(NotFound):
        missing = 10**12
        notifications.apply_delivery_report(session, settings, missing,
                                            notifications.report_token(settings, missing), 1)
    notifications.apply_delivery_report(session, settings, row.id, token, 8, "smsc-77")
    assert (row.state, row.provider_id) == ("sent", "smsc-77")
    notifications.apply_delivery_report(session, settings, row.id, token, 1)
    assert row.state == "delivered" and row.finished_at is not None
    notifications.apply_delivery_report(session, settings, row.id, token, 16)
    assert row.state == "failed" and row.last_error == "rejected by the SMSC"
    notifications.apply_delivery_report(session, settings, row.id, token, 1)
    assert row.state == "failed"  # a late success does not undo a failed part


def test_a_claim_takes_at_most_its_limit_and_each_row_once(create_complaint, session,
                                                          use_settings, settings):
    # Once, `LIMIT 1` claimed two rows in a full run: the subquery of `WHERE id IN (…)` was
    # rescanned and skipped the rows the statement had just updated (now a materialized CTE).
    use_settings(quiet_hours="00:00-23:59")
    complaints = [create_complaint(phone=f"010-2222-33{n:02d}", lonlat=PLACES[name][0])
                  for n, name in enumerate(("city_hall", "coex", "gimpo_airport"))]
    held = [rows_of(session, c, template="dispatched")[0] for c in complaints]
    for row in held:
        row.hold_until = row.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    now = datetime.now(UTC)
    due = session.scalars(select(Notification.id).where(*notifications._due(now))).all()
    assert len(due) >= 3
    claimed = []
    for limit in (1, 2, 1, 100):
        taken = notifications.claim(session, settings, None, now, limit)
        assert len(taken) <= limit
        claimed += [row.id for row in taken]
    assert sorted(claimed) == sorted(due)  # each once, none left behind
    session.rollback()


def test_sweeper_sends_what_is_due(create_complaint, session, use_settings):
    use_settings(quiet_hours="00:00-23:59")
    places = [PLACES[name][0] for name in ("city_hall", "coex", "gimpo_airport")]
    complaints = [create_complaint(phone=f"010-1234-56{n:02d}", lonlat=place)
                  for n, place in enumerate(places)]
    held = [rows_of(session, c, template="dispatched")[0] for c in complaints]
    assert all(r.state == "pending" for r in held)
    for row in held:
        row.hold_until = row.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    from dispatch.jobs_notify import sweep_notifications

    assert sweep_notifications() == 3
    for row in held:
        session.refresh(row)
    assert {row.state for row in held} == {"sent"}
    assert sweep_notifications() == 0


def test_new_complaint_pushes_to_subscribed_inspectors(create_complaint, create_staff, session,
                                                       use_settings, push_endpoint,
                                                       vapid_keys):
    use_settings(vapid_private_key=vapid_keys[0], vapid_public_key=vapid_keys[1])
    inspector = create_staff("inspector", "11140", language="en")
    create_staff("inspector", "11140")  # no subscription: no row
    other_district = create_staff("inspector", "11680")
    for member in (inspector, other_district):
        subscription = push_endpoint.subscription(f"/push/{member.id}")
        session.add(PushSubscription(staff_id=member.id, endpoint=subscription["endpoint"],
                                     p256dh=subscription["keys"]["p256dh"],
                                     auth=subscription["keys"]["auth"]))
    session.flush()
    complaint = create_complaint(phone=None)
    session.commit()
    [row] = rows_of(session, complaint, channel="push")
    assert (row.recipient, row.state, row.template) == (f"staff:{inspector.id}", "sent",
                                                        "push_new")
    [message] = push_endpoint.received
    assert message == {"title": f"New complaint {complaint.public_id}",
                       "body": "Street lamp out in Sogong-dong"
                       if "Sogong" in message["body"] else message["body"],
                       "url": f"/staff/complaints/{complaint.public_id}",
                       "tag": f"complaint-{complaint.public_id}"}


def test_intake_reads_the_inspectors_to_push_in_its_look_up(create_staff, session,
                                                            use_settings, vapid_keys):
    from sqlalchemy import event

    from dispatch.intake import ComplaintDraft, submit_complaint

    settings = use_settings(vapid_private_key=vapid_keys[0], vapid_public_key=vapid_keys[1])
    subscribed = create_staff("inspector", "11140", language="en")
    also = create_staff("inspector", "11140", language="vi")
    create_staff("inspector", "11140")  # no subscription
    inactive = create_staff("inspector", "11140")
    inactive.active = False
    supervisor = create_staff("supervisor", "11140")
    elsewhere = create_staff("inspector", "11680")
    for member in (subscribed, also, inactive, supervisor, elsewhere):
        session.add(PushSubscription(staff_id=member.id, p256dh="key", auth="auth",
                                     endpoint=f"https://push.invalid/{member.id}"))
    session.flush()
    statements = []
    connection = session.connection()
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, sql, …)
    event.listen(connection, "before_cursor_execute", listener)
    try:
        result = submit_complaint(session, settings, ComplaintDraft(
            "street_lamp", 126.9779, 37.5663, description="lamp out"))
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    rows = rows_of(session, result.complaint, channel="push")
    assert sorted((row.recipient, row.language) for row in rows) == sorted(
        [(f"staff:{subscribed.id}", "en"), (f"staff:{also.id}", "vi")])
    # One look-up, the complaint, its events, its outbox rows: no query of its own for staff.
    assert len(statements) == 4, statements
    assert not any("FROM staff" in sql for sql in statements[1:])
    # The same answer as the query that serves every other event.
    session.info.pop(notifications.PUSH_INSPECTORS)
    assert sorted(notifications._inspectors(session, settings, result.complaint)) == sorted(
        [(subscribed.id, "en"), (also.id, "vi")])


def test_gone_push_subscription_is_removed(create_complaint, create_staff, session,
                                           use_settings, push_endpoint, vapid_keys):
    use_settings(vapid_private_key=vapid_keys[0], vapid_public_key=vapid_keys[1])
    push_endpoint.mode = 410
    supervisor = create_staff("supervisor", "11140")
    subscription = push_endpoint.subscription()
    session.add(PushSubscription(staff_id=supervisor.id, endpoint=subscription["endpoint"],
                                 p256dh=subscription["keys"]["p256dh"],
                                 auth=subscription["keys"]["auth"]))
    complaint = create_complaint(phone=None)
    record_event(session, complaint, kind="escalated", actor=Actor.system(),
                 at=datetime.now(UTC))
    session.commit()
    [row] = rows_of(session, complaint, channel="push")
    assert (row.state, row.template) == ("gone", "push_escalated")
    assert session.scalar(select(func.count()).select_from(PushSubscription).where(
        PushSubscription.staff_id == supervisor.id)) == 0


def test_assignment_push_reaches_the_assignee(create_complaint, create_staff, session,
                                              use_settings, push_endpoint, vapid_keys):
    use_settings(vapid_private_key=vapid_keys[0])
    inspector = create_staff("inspector", "11140")
    subscription = push_endpoint.subscription()
    session.add(PushSubscription(staff_id=inspector.id, endpoint=subscription["endpoint"],
                                 p256dh=subscription["keys"]["p256dh"],
                                 auth=subscription["keys"]["auth"]))
    complaint = create_complaint(phone=None)
    session.commit()
    push_endpoint.received.clear()
    record_event(session, complaint, kind="assigned", actor=Actor.system(),
                 at=datetime.now(UTC), data={"assignee": inspector.id})
    session.commit()
    assert [m["url"] for m in push_endpoint.received] == [
        f"/staff/complaints/{complaint.public_id}"]
    assert session.get(Complaint, complaint.id) is not None


def test_workflow_close_texts_each_reporter_once(create_complaint, create_staff, session,
                                                  use_settings):
    from dispatch.workflow import MoveRequest, apply_move

    settings = use_settings()
    parent = create_complaint(phone="010-1111-0001", language="en")
    child = create_complaint(phone="010-1111-0002", language="ko")  # same place: a duplicate
    assert child.parent_id == parent.id
    assert [r.template for r in rows_of(session, child)] == ["received", "duplicate"]
    assert parent.public_id in rows_of(session, child, template="duplicate")[0].body
    supervisor = create_staff("supervisor", parent.district_code)
    apply_move(session, settings, parent, MoveRequest(
        "unfounded", version=parent.version, outcome="not_found",
        public_note="Nothing was wrong with the lamp."), supervisor)
    session.commit()
    results = session.scalars(select(Notification).where(Notification.template == "result",
                                                         Notification.complaint_id.in_(
                                                             [parent.id, child.id]))).all()
    assert sorted((r.complaint_id, r.recipient) for r in results) == [
        (parent.id, "+821011110001"), (child.id, "+821011110002")]
    assert all(r.data.get("asks_rating") for r in results)
    bodies = {r.complaint_id: r.body for r in results}
    assert "Nothing was wrong with the lamp." in bodies[parent.id]
    # The duplicate's reporter hears the parent's outcome, in their own language.
    assert "Outcome: not found on site." in bodies[parent.id]
    assert "처리 결과: 현장에서 찾지 못함." in bodies[child.id]


@pytest.fixture
def async_queue(use_settings, settings):
    from dispatch.queue import redis_connection

    connection = redis_connection(settings.redis_url)
    connection.flushdb()
    yield use_settings(queue_async=True)
    connection.flushdb()


def test_with_a_queue_the_commit_queues_nothing_and_one_drain_sends_everything(
        engine, async_queue):
    from rq import Queue, SimpleWorker
    from sqlalchemy.orm import Session

    from dispatch.intake import ComplaintDraft, submit_complaint
    from dispatch.jobs_notify import DRAIN_QUEUED_KEY, wake_outbox
    from dispatch.queue import NOTIFY, redis_connection

    queue = Queue(NOTIFY, connection=redis_connection(async_queue.redis_url))
    # A real commit: the drain works on connections of its own, as in a worker.
    with Session(bind=engine, expire_on_commit=False) as session:
        complaint = submit_complaint(session, async_queue, ComplaintDraft(
            "street_lamp", 126.9779, 37.5663, description="drain test",
            phone="010-1234-5678")).complaint
        session.commit()
    try:
        # The request does not talk to Redis: the relay hears the commit (test_outbox_relay).
        assert queue.job_ids == []
        assert wake_outbox() is True
        assert wake_outbox() is False  # a burst of wake-ups queues one drain
        assert len(queue.job_ids) == 1
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        with Session(bind=engine) as session:
            rows = rows_of(session, complaint)
            assert [(row.state, row.attempts) for row in rows] == [("sent", 1), ("sent", 1)]
        # The drain cleared its mark as it started, so the next commit wakes a new one.
        assert not queue.connection.exists(DRAIN_QUEUED_KEY)
        assert wake_outbox() is True
    finally:
        with engine.begin() as connection:
            connection.execute(delete(Complaint).where(Complaint.id == complaint.id))


def test_rows_survive_redis_being_down_and_the_sweeper_sends_them(
        create_complaint, session, use_settings):
    from dispatch.jobs_notify import sweep_notifications

    use_settings(queue_async=True, redis_url="redis://127.0.0.1:1/0")
    complaint = create_complaint(phone="010-1234-5678")
    session.commit()  # the queue is unreachable: the commit stands all the same
    rows = rows_of(session, complaint)
    assert [row.state for row in rows] == ["pending", "pending"]
    use_settings()
    assert sweep_notifications() == 2
    for row in rows:
        session.refresh(row)
    assert [row.state for row in rows] == ["sent", "sent"]


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after it runs (not even ``except Exception``)."""


class DiesAfterAccepting(FlakyGateway):
    """The gateway takes the text, then the worker dies before it can record that."""

    def send(self, **message):
        super().send(**message)
        raise WorkerKilled


def test_a_worker_killed_after_the_gateway_accepted_does_not_send_again(
        create_complaint, session, use_settings):
    settings = use_settings(quiet_hours="00:00-23:59", notify_settle_seconds=600)
    row = due_dispatch_text(create_complaint, session)
    session.commit()
    gateway = DiesAfterAccepting()
    now = datetime.now(UTC)
    with pytest.raises(WorkerKilled):
        notifications.deliver(session, settings, row.id, gateway=gateway, now=now)
    session.refresh(row)
    # Committed before the gateway was called: another worker sees it taken, not due.
    assert (row.state, row.attempts) == ("sending", 1)
    assert row.next_attempt_at == now + timedelta(seconds=600)
    assert notifications.deliver(session, settings, row.id, gateway=FlakyGateway()) is None
    assert notifications.release_unsettled(session, settings, now + timedelta(seconds=599)) == 0
    # The delivery report says what the dead worker could not.
    notifications.apply_delivery_report(session, settings, row.id,
                                        notifications.report_token(settings, row.id), 8)
    session.commit()
    assert row.state == "sent"
    assert notifications.release_unsettled(session, settings, now + timedelta(hours=1)) == 0
    assert len(gateway.sent) == 1


@pytest.mark.parametrize("later", [timedelta(seconds=30), timedelta(seconds=61)],
                         ids=["within-settle-time", "past-settle-time"])
def test_a_row_in_flight_is_never_claimed_again_by_the_senders(create_complaint, session,
                                                               use_settings, later):
    # Only release_unsettled may put a ``sending`` row back (with its back-off and its
    # attempt counted): a sender taking it, even past the settle time, could text twice.
    settings = use_settings(quiet_hours="00:00-23:59", notify_settle_seconds=60)
    row = due_dispatch_text(create_complaint, session)
    session.commit()
    now = datetime.now(UTC)
    with pytest.raises(WorkerKilled):
        notifications.deliver(session, settings, row.id, gateway=DiesAfterAccepting(), now=now)
    session.refresh(row)
    assert (row.state, row.attempts) == ("sending", 1)
    gateway = FlakyGateway()
    assert notifications.deliver(session, settings, row.id, gateway=gateway,
                                 now=now + later) is None
    taken = notifications.deliver_many(session, settings, limit=10, gateway=gateway,
                                       now=now + later)
    assert row.id not in [other.id for other in taken]
    session.refresh(row)
    assert (row.state, row.attempts) == ("sending", 1)
    assert [message["reference"] for message in gateway.sent].count(str(row.id)) == 0


def test_a_row_left_sending_without_a_report_is_sent_again_after_the_settle_time(
        create_complaint, session, use_settings):
    from dispatch.jobs_notify import sweep_notifications

    settings = use_settings(quiet_hours="00:00-23:59", notify_settle_seconds=60,
                            notify_retry_seconds=1)
    row = due_dispatch_text(create_complaint, session)
    claimed_at = datetime.now(UTC) - timedelta(seconds=61)
    row.next_attempt_at = claimed_at
    session.commit()
    with pytest.raises(WorkerKilled):
        notifications.deliver(session, settings, row.id, gateway=DiesAfterAccepting(),
                              now=claimed_at)
    session.refresh(row)
    assert row.state == "sending"
    # The sweeper releases it (the retry delay is within the drain's one-second grace)
    # and sends it again: without a report, never sent is likelier than sent.
    assert sweep_notifications() == 1
    session.refresh(row)
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, None)
    assert sweep_notifications() == 0


def test_releasing_a_row_left_sending_counts_its_attempt(create_complaint, session,
                                                         use_settings):
    settings = use_settings(quiet_hours="00:00-23:59", notify_settle_seconds=60,
                            notify_max_attempts=1)
    row = due_dispatch_text(create_complaint, session)
    session.commit()
    now = datetime.now(UTC)
    with pytest.raises(WorkerKilled):
        notifications.deliver(session, settings, row.id, gateway=DiesAfterAccepting(), now=now)
    assert notifications.release_unsettled(session, settings, now + timedelta(seconds=61)) == 1
    assert row.state == "failed"
    assert row.last_error == ("gave up after 1 attempts: no answer recorded and no delivery "
                              "report within 60 s of sending")


def test_a_report_that_arrives_before_the_worker_records_the_send_is_kept(
        create_complaint, session, use_settings):
    settings = use_settings(quiet_hours="00:00-23:59")
    row = due_dispatch_text(create_complaint, session)

    class ReportsAtOnce(FlakyGateway):
        def send(self, **message):
            # Kannel's report of the handset beats the worker's own record of the send.
            notifications.apply_delivery_report(
                session, settings, row.id, notifications.report_token(settings, row.id), 1)
            super().send(**message)
            return SendResult(accepted=True, parts=2)

    notifications.deliver(session, settings, row.id, gateway=ReportsAtOnce())
    assert (row.state, row.dlr_status, row.parts) == ("delivered", 1, 2)
    assert row.sent_at is not None


def test_no_lock_or_transaction_is_held_while_the_gateway_works(engine, use_settings):
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from dispatch.intake import ComplaintDraft, submit_complaint

    settings = use_settings(quiet_hours="00:00-23:59")
    with Session(bind=engine, expire_on_commit=False) as session:
        complaint = submit_complaint(session, settings, ComplaintDraft(
            "street_lamp", 126.9779, 37.5663, description="lock test",
            phone="010-1234-5678")).complaint
        session.commit()
        row = rows_of(session, complaint, template="dispatched")[0]
        release(row)
        session.commit()
    seen = []

    class LooksFromAnotherConnection(FlakyGateway):
        def send(self, **message):
            with engine.connect() as other:
                # NOWAIT: a lock held by the sending worker would raise here.
                seen.append(other.execute(text(
                    "SELECT state FROM notifications WHERE id = :id FOR UPDATE NOWAIT"),
                    {"id": row.id}).scalar())
                seen.append(other.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state = 'idle in transaction'")).scalar())
            return super().send(**message)

    try:
        with Session(bind=engine, expire_on_commit=False) as session:
            assert notifications.deliver(session, settings, row.id,
                                         gateway=LooksFromAnotherConnection()).state == "sent"
        assert seen == ["sending", 0]
    finally:
        with engine.begin() as connection:
            connection.execute(delete(Complaint).where(Complaint.id == complaint.id))


@pytest.mark.parametrize(("channel", "language", "words"), [
    ("sms", "ko", "진행 확인·취소·재요청"), ("phone", "vi", "Theo dõi, hủy hoặc mở lại"),
    ("phone", "en", "Follow, cancel or reopen it here")])
def test_reporters_by_text_or_phone_get_their_status_link_in_the_receipt(
        create_complaint, session, use_settings, client, channel, language, words):
    from notify.sms import count_parts

    settings = use_settings(public_url="https://dasan.example.seoul.kr/")
    complaint = create_complaint(phone="010-1234-5678", channel=channel, language=language)
    receipt = rows_of(session, complaint, template="received")[0]
    token = notifications.citizen_token(settings.secret_key, complaint.public_id)
    link = f"https://dasan.example.seoul.kr/status/{complaint.public_id}?t={token}"
    assert words in receipt.body and receipt.body.endswith(link)
    assert count_parts(receipt.body) <= settings.sms_max_parts
    # The link's token is the reporter's key: it opens the page and lets them act.
    path = link.removeprefix("https://dasan.example.seoul.kr")
    assert client.get(path).status_code == 200
    cancelled = client.post(f"/api/v1/complaints/{complaint.public_id}/cancel", json={},
                            headers={"X-Citizen-Token": token})
    assert cancelled.status_code == 200


def test_app_reporters_get_no_status_link_in_the_receipt(create_complaint, session,
                                                          use_settings):
    use_settings(public_url="https://dasan.example.seoul.kr")
    for channel in ("pwa", "open311"):
        complaint = create_complaint(phone="010-1234-5678", channel=channel,
                                     lonlat=PLACES["coex"][0] if channel == "pwa"
                                     else PLACES["gimpo_airport"][0])
        receipt = rows_of(session, complaint, template="received")[0]
        assert "/status/" not in receipt.body


def test_an_unexpected_error_on_one_text_leaves_it_sending_and_the_batch_goes_on(
        create_complaint, session, use_settings):
    settings = use_settings(quiet_hours="00:00-23:59")
    first = due_dispatch_text(create_complaint, session)
    second = rows_of(session, create_complaint(phone="010-9999-8888",
                                               lonlat=PLACES["coex"][0]),
                     template="dispatched")[0]
    release(second)
    session.commit()

    class BreaksOnTheFirst(FlakyGateway):
        def send(self, **message):
            if message["reference"] == str(first.id):
                raise RuntimeError("the gateway library tripped over its answer")
            return super().send(**message)

    gateway = BreaksOnTheFirst()
    rows = notifications.deliver_many(session, settings, limit=10, gateway=gateway)
    assert {row.id for row in rows} >= {first.id, second.id}
    assert (first.state, second.state) == ("sending", "sent")
    assert [message["reference"] for message in gateway.sent] == [
        str(row.id) for row in rows if row.id != first.id]


def test_an_unreachable_gateway_uses_no_attempts_and_waits_at_most_5_minutes(
        create_complaint, session, use_settings):
    settings = use_settings(quiet_hours="00:00-23:59", notify_max_attempts=2,
                            notify_retry_seconds=30, notify_gateway_give_up_hours=24)
    row = due_dispatch_text(create_complaint, session)
    down = SendResult(accepted=False, temporary=True, gateway_fault=True,
                      error="gateway unreachable: ConnectionError")
    gateway = FlakyGateway(*[down] * 40)
    now = notifications.waiting_since(row)
    # Three hours of outage: far more than 2 attempts' back-off, yet the text waits.
    for _ in range(40):
        notifications.deliver(session, settings, row.id, gateway=gateway, now=now)
        assert (row.state, row.attempts) == ("pending", 0)
        assert row.next_attempt_at - now <= timedelta(minutes=5)
        now = row.next_attempt_at
    assert now - notifications.waiting_since(row) > timedelta(hours=2)
    assert notifications.deliver(session, settings, row.id, gateway=gateway, now=now).state \
        == "sent"


def test_an_unreachable_gateway_fails_the_text_only_after_the_give_up_time(
        create_complaint, session, use_settings):
    settings = use_settings(quiet_hours="00:00-23:59", notify_gateway_give_up_hours=1)
    row = due_dispatch_text(create_complaint, session)
    down = SendResult(accepted=False, temporary=True, gateway_fault=True, error="HTTP 503")
    start = notifications.waiting_since(row)
    notifications.deliver(session, settings, row.id, gateway=FlakyGateway(down),
                          now=start + timedelta(minutes=59))
    assert row.state == "pending"
    notifications.deliver(session, settings, row.id, gateway=FlakyGateway(down),
                          now=start + timedelta(minutes=65))
    assert row.state == "failed" and row.last_error.startswith("gave up after 1 h without")


def test_a_message_the_gateway_refuses_still_fails(create_complaint, session, use_settings):
    settings = use_settings(quiet_hours="00:00-23:59", notify_max_attempts=2)
    row = due_dispatch_text(create_complaint, session)
    refused = SendResult(accepted=False, error="gateway answered 400: invalid number")
    notifications.deliver(session, settings, row.id, gateway=FlakyGateway(refused))
    assert (row.state, row.attempts) == ("failed", 1)


def test_resend_failed_makes_unsent_failures_pending_again(create_complaint, session,
                                                           use_settings):
    settings = use_settings(quiet_hours="00:00-23:59", notify_gateway_give_up_hours=1)
    row = due_dispatch_text(create_complaint, session)
    down = SendResult(accepted=False, temporary=True, gateway_fault=True, error="HTTP 503")
    failed_at = notifications.waiting_since(row) + timedelta(hours=2)
    notifications.deliver(session, settings, row.id, gateway=FlakyGateway(down), now=failed_at)
    assert row.state == "failed"
    complaint = session.get(Complaint, row.complaint_id)
    accepted = rows_of(session, complaint, template="received")[0]
    accepted.state, accepted.finished_at = "failed", failed_at  # a DLR said undelivered
    session.flush()
    assert notifications.resend_failed(session, failed_at + timedelta(seconds=1)) == 0
    now = failed_at + timedelta(hours=3)
    assert notifications.resend_failed(session, failed_at - timedelta(minutes=1), now=now) == 1
    assert (row.state, row.attempts, row.finished_at) == ("pending", 0, None)
    assert accepted.state == "failed"  # the gateway took it once: no second copy
    # The give-up clock starts again: one more failure an hour later does not fail it.
    notifications.deliver(session, settings, row.id, gateway=FlakyGateway(down),
                          now=now + timedelta(minutes=30))
    assert row.state == "pending"
    gateway = FlakyGateway()
    notifications.deliver(session, settings, row.id, gateway=gateway, now=row.next_attempt_at)
    assert row.state == "sent" and len(gateway.sent) == 1


def test_resend_failed_command(create_complaint, session, use_settings, settings, monkeypatch):
    from dispatch.cli import main as cli_main

    use_settings(quiet_hours="00:00-23:59")
    row = due_dispatch_text(create_complaint, session)
    row.state, row.finished_at = "failed", datetime.now(UTC)
    session.commit()
    monkeypatch.setenv("DASAN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DASAN_SECRET_KEY", settings.secret_key)
    # Keep SessionLocal on the test's connection (the command would bind a new engine).
    monkeypatch.setattr("dispatch.db.configure_database", lambda *_a, **_k: None)
    assert cli_main(["resend-failed", "--since", "2001-01-01"]) == 0
    session.refresh(row)
    assert row.state == "pending"
    with pytest.raises(SystemExit):
        cli_main(["resend-failed", "--since", "yesterday"])


def test_escalations_go_to_the_districts_supervisors_and_dispatchers_only_stand_in(
        create_complaint, create_staff, session, use_settings, push_endpoint, vapid_keys):
    use_settings(vapid_private_key=vapid_keys[0], vapid_public_key=vapid_keys[1])

    def subscribe(member, path):
        subscription = push_endpoint.subscription(path)
        session.add(PushSubscription(staff_id=member.id, endpoint=subscription["endpoint"],
                                     p256dh=subscription["keys"]["p256dh"],
                                     auth=subscription["keys"]["auth"]))

    dispatcher = create_staff("dispatcher")
    subscribe(dispatcher, "/push/dispatcher")
    complaint = create_complaint(phone=None)  # in 11140, no supervisor subscribed yet

    def escalate(threshold):
        record_event(session, complaint, kind="escalated", actor=Actor.system(),
                     at=datetime.now(UTC), data={"threshold": threshold})
        session.flush()
        return {row.staff_id for row in rows_of(session, complaint, channel="push",
                                                template="push_escalated")}

    assert escalate("due_soon") == set()  # nobody to stand in for a warning
    assert escalate("breached") == {dispatcher.id}  # no supervisor reachable: the city is
    supervisor = create_staff("supervisor", "11140")
    subscribe(supervisor, "/push/supervisor")
    session.execute(delete(Notification).where(Notification.complaint_id == complaint.id))
    assert escalate("breached") == {supervisor.id}
