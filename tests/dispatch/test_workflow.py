"""Workflow rules under real concurrency, and the move table itself."""

import threading
import uuid

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from dispatch import workflow
from dispatch.errors import StaleVersion
from dispatch.intake import ComplaintDraft, submit_complaint
from dispatch.models import Complaint, ComplaintEvent, ComplaintStatus, Staff
from dispatch.staff import create_staff


def test_every_move_starts_from_open_statuses_and_names_real_roles():
    roles = {"inspector", "supervisor", "dispatcher", "admin", workflow.CITIZEN}
    for move in workflow.MOVES.values():
        assert set(move.roles) <= roles
        assert move.sources
        if move.name != "reopen":
            assert all(source in workflow.OPEN for source in move.sources)


@pytest.mark.parametrize("status", list(ComplaintStatus))
def test_closed_statuses_allow_only_reopen(status):
    moves = [m.name for m in workflow.MOVES.values() if status in m.sources]
    if status in (ComplaintStatus.RESOLVED, ComplaintStatus.UNFOUNDED):
        assert moves == ["reopen"]
    elif status in workflow.CLOSED:
        assert moves == []


def test_two_inspectors_accepting_at_once_one_wins(engine, settings):
    suffix = uuid.uuid4().hex[:8]
    with Session(engine) as session:
        first = create_staff(session, username=f"a-{suffix}", password="x" * 12,
                             role="inspector", district_code="11140")
        second = create_staff(session, username=f"b-{suffix}", password="x" * 12,
                              role="inspector", district_code="11140")
        complaint = submit_complaint(session, settings, ComplaintDraft(
            category="other", lon=126.9779, lat=37.5663,
            description=f"race {suffix}")).complaint
        session.commit()
        public_id, ids = complaint.public_id, (first.id, second.id)
    outcomes, barrier = [], threading.Barrier(2)

    def accept(staff_id):
        with Session(engine) as session:
            staff = session.get(Staff, staff_id)
            barrier.wait()
            try:
                row = workflow.load_for_staff(session, staff, public_id, lock=True)
                workflow.apply_move(session, settings, row, workflow.MoveRequest(
                    move="accept", version=1), staff)
                session.commit()
                outcomes.append("won")
            except StaleVersion:
                session.rollback()
                outcomes.append("stale")

    threads = [threading.Thread(target=accept, args=(staff_id,)) for staff_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(outcomes) == ["stale", "won"]
        with Session(engine) as session:
            row = session.scalar(select(Complaint).where(Complaint.public_id == public_id))
            assert row.status == "assigned" and row.version == 2 and row.assignee_id in ids
    finally:
        with Session(engine) as session:
            cid = select(Complaint.id).where(Complaint.public_id == public_id)
            session.execute(delete(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(cid)))
            session.execute(delete(Complaint).where(Complaint.public_id == public_id))
            session.execute(delete(Staff).where(Staff.id.in_(ids)))
            session.commit()


def test_an_inspector_disabled_while_accepting_gets_the_ticket_handed_back(engine, settings):
    import time

    from dispatch.models import Notification, StaffToken
    from dispatch.staff_admin import StaffChanges, update_staff

    suffix = uuid.uuid4().hex[:8]
    with Session(engine) as session:
        inspector = create_staff(session, username=f"c-{suffix}", password="x" * 12,
                                 role="inspector", district_code="11140")
        complaint = submit_complaint(session, settings, ComplaintDraft(
            category="other", lon=126.9779, lat=37.5663,
            description=f"race {suffix}")).complaint
        session.commit()
        public_id, inspector_id = complaint.public_id, inspector.id
    handed_back = []
    mover = Session(engine)
    try:
        # The accept holds the inspector's row (as the API's move does) and is not committed
        # yet when the account change starts.
        staff = mover.get(Staff, inspector_id)
        workflow.lock_staff(mover, [inspector_id])
        row = workflow.load_for_staff(mover, staff, public_id, lock=True)
        workflow.apply_move(mover, settings, row, workflow.MoveRequest(
            move="accept", version=1), staff)

        def disable():
            with Session(engine) as session:
                target = session.scalar(select(Staff).where(Staff.id == inspector_id)
                                        .with_for_update(key_share=True))
                done = update_staff(session, target, StaffChanges(active=False))
                handed_back.extend(c.public_id for c in done.handed_back)
                session.commit()

        thread = threading.Thread(target=disable)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the account change must wait for the accept"
        mover.commit()
        thread.join(timeout=10)
        assert handed_back == [public_id]
        with Session(engine) as session:
            row = session.scalar(select(Complaint).where(Complaint.public_id == public_id))
            assert (row.status, row.assignee_id) == ("dispatched", None)
    finally:
        mover.close()
        with Session(engine) as session:
            cid = select(Complaint.id).where(Complaint.public_id == public_id)
            session.execute(delete(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(cid)))
            session.execute(delete(Notification).where(Notification.complaint_id.in_(cid)))
            session.execute(delete(Complaint).where(Complaint.public_id == public_id))
            session.execute(delete(StaffToken).where(StaffToken.staff_id == inspector_id))
            session.execute(delete(Staff).where(Staff.id == inspector_id))
            session.commit()


def test_district_sla_overrides_category_sla(session, settings):
    from dispatch.categories import forget_cached_categories
    from dispatch.models import DistrictSla

    session.add(DistrictSla(district_code="11140", category_code="garbage", sla_minutes=90))
    session.flush()
    forget_cached_categories()
    complaint = submit_complaint(session, settings, ComplaintDraft(
        category="garbage", lon=126.9779, lat=37.5663)).complaint
    assert (complaint.due_at - complaint.created_at).total_seconds() == 90 * 60
    forget_cached_categories()


def test_an_offline_action_replayed_applies_once(session, settings, create_staff):
    inspector = create_staff("inspector", "11140")
    complaint = submit_complaint(session, settings, ComplaintDraft(
        category="other", lon=126.9779, lat=37.5663)).complaint
    request = workflow.MoveRequest(move="accept", version=1)
    workflow.apply_move(session, settings, complaint, request, inspector)
    with pytest.raises(StaleVersion):
        # The PWA's outbox replays the queued accept after a lost answer: it is refused,
        # and the complaint keeps the one change.
        workflow.apply_move(session, settings, complaint, request, inspector)
    events = session.scalars(select(ComplaintEvent.kind).where(
        ComplaintEvent.complaint_id == complaint.id)).all()
    assert events.count("assigned") == 1 and complaint.version == 2


def test_two_admins_demoting_each_other_at_once_queue_up_instead_of_deadlocking(engine):
    from dispatch.errors import LastAdmin
    from dispatch.staff_admin import StaffChanges, lock_for_change, update_staff

    suffix = uuid.uuid4().hex[:8]
    with Session(engine) as session:
        admins = [create_staff(session, username=f"adm{n}-{suffix}", password="x" * 12,
                               role="admin") for n in (1, 2)]
        ids = [admin.id for admin in admins]
        # The pair must be the only active admins, or both could step down and the race
        # that leaves none would go unseen. The others are put back afterwards.
        others = session.scalars(select(Staff.id).where(
            Staff.role == "admin", Staff.active, Staff.id.not_in(ids))).all()
        session.execute(update(Staff).where(Staff.id.in_(others)).values(active=False))
        session.commit()
    outcomes, barrier = [], threading.Barrier(2)

    def demote(actor_id, target_id):
        with Session(engine) as session:
            actor = session.get(Staff, actor_id)
            barrier.wait()
            try:
                changes = StaffChanges(role="dispatcher")
                update_staff(session, lock_for_change(session, actor, target_id, changes),
                             changes)
                session.commit()
                outcomes.append("demoted")
            except LastAdmin:
                outcomes.append("last_admin")
            except Exception as exc:  # noqa: BLE001 - a deadlock would land here
                outcomes.append(repr(exc))

    threads = [threading.Thread(target=demote, args=pair)
               for pair in ((ids[0], ids[1]), (ids[1], ids[0]))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        # Both finish with an answer, neither dies of a deadlock, and exactly one steps
        # down: the second sees the first's change and is refused.
        assert sorted(outcomes) == ["demoted", "last_admin"], outcomes
        with Session(engine) as session:
            still_admin = session.scalars(select(Staff.id).where(
                Staff.role == "admin", Staff.active, Staff.id.in_(ids))).all()
        assert len(still_admin) == 1, still_admin
    finally:
        with Session(engine) as session:
            session.execute(delete(Staff).where(Staff.id.in_(ids)))
            session.execute(update(Staff).where(Staff.id.in_(others)).values(active=True))
            session.commit()
