"""The complaint lifecycle: one table of moves (who may make which, from where, to where).

Every move checks the caller's role and district, the complaint's version (optimistic
concurrency), writes an event through ``record_event`` (which also plans the messages),
and, for a parent, carries a closing move over to its duplicates.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dispatch.categories import cached_categories, due_time
from dispatch.errors import (
    AlreadyInDistrict,
    EvidenceRequired,
    Forbidden,
    InvalidAssignee,
    InvalidOutcome,
    InvalidTransition,
    NotFound,
    StaleVersion,
    UnknownDistrict,
    VersionRequired,
)
from dispatch.events import Actor, record_event
from dispatch.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintEscalation,
    ComplaintStatus,
    District,
    Dong,
    Staff,
)
from dispatch.settings import Settings

S = ComplaintStatus
OPEN = OPEN_STATUSES
CLOSED = (S.RESOLVED, S.UNFOUNDED, S.REFERRED, S.CANCELLED, S.DUPLICATE)
CITIZEN = "citizen"

# Outcome codes allowed when closing, by the closing status.
OUTCOMES = {
    S.RESOLVED: ("fixed", "repaired", "removed", "collected", "towed", "warned", "fined",
                 "other"),
    S.UNFOUNDED: ("not_found", "no_violation", "already_fixed", "other"),
    S.REFERRED: ("other_agency", "private_property", "police", "other"),
}
# Every code a closing move may record (a cancel records the move's name, not one of these).
OUTCOME_CODES = frozenset(code for codes in OUTCOMES.values() for code in codes)
MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class Move:
    """One kind of change: the statuses it starts from, where it leads, who may make it."""

    name: str
    sources: tuple[S, ...]
    target: S | None  # None: the target depends on the move (e.g. back to before)
    roles: tuple[str, ...]
    closes: bool = False


# The one place that says which role may make which move.
MOVES: dict[str, Move] = {move.name: move for move in (
    Move("accept", (S.DISPATCHED, S.TRANSFERRED), S.ASSIGNED, ("inspector",)),
    # Also from on site: the inspector there may fall ill or end a shift, and the
    # supervisor must be able to hand the ticket to a colleague (who goes out again).
    Move("assign", (S.DISPATCHED, S.TRANSFERRED, S.ASSIGNED, S.ON_SITE), S.ASSIGNED,
         ("supervisor", "dispatcher", "admin")),
    Move("release", (S.ASSIGNED, S.ON_SITE), S.DISPATCHED, ("inspector", "supervisor", "admin")),
    Move("on_site", (S.ASSIGNED,), S.ON_SITE, ("inspector", "supervisor")),
    Move("resolve", (S.ASSIGNED, S.ON_SITE), S.RESOLVED, ("inspector", "supervisor"),
         closes=True),
    Move("unfounded", (S.DISPATCHED, S.TRANSFERRED, S.ASSIGNED, S.ON_SITE), S.UNFOUNDED,
         ("inspector", "supervisor"), closes=True),
    Move("refer", (S.DISPATCHED, S.TRANSFERRED, S.ASSIGNED, S.ON_SITE), S.REFERRED,
         ("inspector", "supervisor", "dispatcher", "admin"), closes=True),
    # The assigned inspector may transfer too: on site is where one finds the spot belongs
    # to the district across the street.
    Move("transfer", (S.RECEIVED, S.DISPATCHED, S.TRANSFERRED, S.ASSIGNED, S.ON_SITE),
         S.TRANSFERRED, ("inspector", "supervisor", "dispatcher", "admin")),
    Move("cancel", (S.RECEIVED, S.DISPATCHED, S.TRANSFERRED), S.CANCELLED, (CITIZEN,),
         closes=True),
    Move("reopen", (S.RESOLVED, S.UNFOUNDED), S.DISPATCHED, (CITIZEN,)),
)}

# Moves only the assigned inspector (or a supervisor/dispatcher/admin) may make.
_ASSIGNEE_MOVES = {"on_site", "resolve", "unfounded", "refer", "release", "transfer"}


@dataclass(frozen=True)
class MoveRequest:
    """What the caller asks: the move, its basis version, and the move's details."""

    move: str
    # the versions If-Match names (any may match); one int is the same as a set of one
    version: int | Collection[int] | None = None
    outcome: str | None = None
    public_note: str | None = None
    internal_note: str | None = None
    lonlat: tuple[float, float] | None = None
    assignee_id: int | None = None
    district_code: str | None = None


def allowed_moves(staff: Staff, complaint: Complaint) -> list[str]:
    """The moves ``staff`` may make on ``complaint`` now (what the apps offer as buttons)."""
    status = S(complaint.status)
    return [name for name, move in MOVES.items()
            if staff.role in move.roles and status in move.sources
            and not (staff.role == "inspector" and name in _ASSIGNEE_MOVES
                     and complaint.assignee_id != staff.id)]


def lock_staff(session: Session, staff_ids) -> None:
    """Hold the staff rows a move depends on (FOR SHARE) and re-read them.

    Take them before the complaint, in id order: the order an account change takes them
    (its own row, then the tickets it hands back). Without this an inspector could accept,
    or be assigned, a ticket while being disabled or moved: the change did not see the
    uncommitted assignment and handed nothing back.
    """
    ids = sorted({staff_id for staff_id in staff_ids if staff_id is not None})
    if ids:
        session.scalars(select(Staff).where(Staff.id.in_(ids)).order_by(Staff.id)
                        .with_for_update(read=True)
                        .execution_options(populate_existing=True)).all()


def load_for_staff(session: Session, staff: Staff, public_id: str, *,
                   lock: bool = False) -> Complaint:
    """Return a complaint this member of staff may see.

    :raises NotFound: when it does not exist or lies in another district (so its
        existence does not leak to other districts).
    """
    query = select(Complaint).where(Complaint.public_id == public_id[:32])
    if lock:
        query = query.with_for_update()
    complaint = session.scalar(query)
    if complaint is None or not may_see(staff, complaint):
        raise NotFound(f"no complaint {public_id[:32]!r}")
    return complaint


def load_for_citizen(session: Session, public_id: str, *, lock: bool = False) -> Complaint:
    """Return a complaint by public id (the caller has checked the citizen token).

    :raises NotFound: when there is no such complaint.
    """
    query = select(Complaint).where(Complaint.public_id == public_id[:32])
    if lock:
        query = query.with_for_update()
    complaint = session.scalar(query)
    if complaint is None:
        raise NotFound(f"no complaint {public_id[:32]!r}")
    return complaint


def may_see(staff: Staff, complaint: Complaint) -> bool:
    """Dispatchers and admins see everything; others only their district."""
    return staff.is_city_wide or complaint.district_code == staff.district_code


def may_see_phone(staff: Staff, complaint: Complaint) -> bool:
    """The reporter's number: to the assigned inspector and the district's supervisor only."""
    if complaint.assignee_id == staff.id:
        return True
    return staff.role == "supervisor" and staff.district_code == complaint.district_code


def apply_move(session: Session, settings: Settings, complaint: Complaint,
               request: MoveRequest, actor: Staff | None, *,
               now: datetime | None = None, evidence_photos: int | None = None) -> Complaint:
    """Make ``request.move`` on ``complaint`` as ``actor`` (None: the reporter).

    Load the complaint with ``lock=True`` so concurrent moves queue up and the second
    one sees the new version. Flushes; the caller commits.

    :raises InvalidTransition: the move is not allowed from the current status.
    :raises Forbidden: the role may not make it, or not on this complaint.
    :raises StaleVersion: ``request.version`` is not the complaint's version.
    :raises VersionRequired: staff moves need ``request.version``.
    :raises InvalidOutcome: a closing move without a valid outcome or public note (or a
        transfer without a reason).
    :raises InvalidAssignee: ``assign`` to no active inspector of the complaint's district.
    :raises UnknownDistrict, AlreadyInDistrict: ``transfer`` to no district, or to its own.
    :raises EvidenceRequired: resolving without an evidence photo.
    """
    now = now or datetime.now(UTC)
    move = MOVES.get(request.move)
    if move is None:
        raise InvalidTransition(f"unknown move {request.move!r}")
    role = actor.role if actor else CITIZEN
    if role not in move.roles:
        raise Forbidden(f"a {role} may not {move.name.replace('_', ' ')} a complaint")
    if actor is not None and not may_see(actor, complaint):
        raise NotFound(f"no complaint {complaint.public_id!r}")
    # Staff always send the version they saw; a citizen's move may go without one.
    if request.version is not None or actor is not None:
        check_version(complaint, request.version)
    current = S(complaint.status)
    if current not in move.sources:
        raise InvalidTransition(
            f"complaint {complaint.public_id} is {current.value}; "
            f"'{move.name}' is not possible from there", status=current.value, move=move.name)
    if actor and actor.role == "inspector" and move.name in _ASSIGNEE_MOVES \
            and complaint.assignee_id != actor.id:
        raise Forbidden("only the inspector assigned to this complaint may do this")

    target = move.target
    data: dict = {}
    if move.name in ("accept", "assign"):
        assignee = actor if move.name == "accept" else _assignee(session, complaint, request)
        complaint.assignee_id, complaint.assigned_at = assignee.id, now
        data["assignee"] = assignee.id
    elif move.name == "release":
        complaint.assignee_id = complaint.assigned_at = None
    elif move.name == "transfer":
        data.update(_transfer(session, complaint, request, now))
    elif move.name == "reopen":
        _check_reopen_window(settings, complaint, now)
        complaint.assignee_id = complaint.assigned_at = None
        complaint.closed_at = complaint.outcome = None
        if complaint.parent_id is not None:
            # A duplicate closed with its parent comes back as work of its own: still
            # linked, it was told the parent's later results and hidden from new reports.
            data["former_parent_id"] = complaint.parent_id
            complaint.parent_id = None
        data.update(_restart_sla(session, settings, complaint, now))
        target = S.DISPATCHED
    if move.closes:
        _check_closing(move, request, evidence_photos)
        complaint.outcome = request.outcome or move.name
        complaint.closed_at = now
        data["outcome"] = complaint.outcome

    _change(session, complaint, target, move_kind(move), actor, now, request, data)
    if move.closes and target in (S.RESOLVED, S.UNFOUNDED, S.REFERRED):
        close_children(session, complaint, target, actor, now, request)
    elif target == S.CANCELLED:
        hand_over_duplicates(session, complaint, current, now)
    session.flush()
    return complaint


def move_kind(move: Move) -> str:
    """The event kind a move writes: the target status, or ``reopened``."""
    return "reopened" if move.name == "reopen" else move.target.value


def _change(session: Session, complaint: Complaint, target: S, kind: str,
            actor: Staff | None, now: datetime, request: MoveRequest, data: dict, *,
            by: Actor | None = None) -> None:
    before = complaint.status
    complaint.status = target.value
    complaint.updated_at = now
    by = by or (Actor("staff", actor.id) if actor else Actor.citizen())
    record_event(session, complaint, kind=kind, actor=by, at=now,
                 from_status=before, to_status=target.value,
                 public_note=_note(request.public_note), internal_note=_note(
                     request.internal_note), lonlat=request.lonlat, data=data)


def _note(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidOutcome(f"notes may be at most {MAX_NOTE_CHARS} characters")
    return text or None


def _check_closing(move: Move, request: MoveRequest, evidence_photos: int | None) -> None:
    if move.target == S.CANCELLED:
        return
    allowed = OUTCOMES[move.target]
    if request.outcome not in allowed:
        raise InvalidOutcome(f"outcome must be one of {', '.join(allowed)}",
                             field="outcome", allowed=list(allowed))
    if not (request.public_note or "").strip():
        raise InvalidOutcome("closing needs a public note for the reporter",
                             field="public_note")
    if move.target == S.RESOLVED and not evidence_photos:
        raise EvidenceRequired("attach at least one evidence photo before resolving")


def reopen_deadline(settings: Settings, complaint: Complaint) -> datetime | None:
    """Until when the reporter may reopen ``complaint`` (None: it cannot be reopened)."""
    if S(complaint.status) not in MOVES["reopen"].sources:
        return None
    closed_at = complaint.closed_at or complaint.updated_at
    return closed_at + timedelta(days=settings.reopen_days)


def _check_reopen_window(settings: Settings, complaint: Complaint, now: datetime) -> None:
    deadline = reopen_deadline(settings, complaint)
    if deadline is not None and now > deadline:
        raise InvalidTransition(
            f"a complaint can be reopened within {settings.reopen_days} days of closing; "
            "please file a new one", move="reopen")


def _restart_sla(session: Session, settings: Settings, complaint: Complaint,
                 now: datetime) -> dict:
    """A reopened complaint is new work: a fresh deadline, and its escalations may fire again.

    Without this it came back already overdue, and the once-per-threshold escalation
    record kept the district's supervisor from ever hearing of it again.
    """
    rules = cached_categories(session, settings.area_refresh_seconds).get(
        complaint.category_code)
    if rules is not None:
        complaint.due_at = due_time(session, rules, complaint.district_code, now,
                                    settings.area_refresh_seconds)
    # No autoflush: flushing the half-made move here would write the complaint (and raise
    # its version) twice.
    with session.no_autoflush:
        session.execute(delete(ComplaintEscalation).where(
            ComplaintEscalation.complaint_id == complaint.id))
    return {"due_at": complaint.due_at.isoformat()}


def _assignee(session: Session, complaint: Complaint, request: MoveRequest) -> Staff:
    assignee = session.get(Staff, request.assignee_id) if request.assignee_id else None
    if (assignee is None or not assignee.active or assignee.role != "inspector"
            or assignee.district_code != complaint.district_code):
        raise InvalidAssignee("assignee must be an active inspector of the complaint's "
                              "district", field="assignee_id")
    return assignee


def _transfer(session: Session, complaint: Complaint, request: MoveRequest,
              now: datetime) -> dict:
    target = session.get(District, request.district_code or "")
    if target is None:
        raise UnknownDistrict("unknown district to transfer to", field="district_code")
    if target.code == complaint.district_code:
        raise AlreadyInDistrict("the complaint is already in that district",
                                field="district_code")
    if not (request.internal_note or request.public_note or "").strip():
        raise InvalidOutcome("say why the complaint is transferred", field="internal_note")
    data = move_to_district(session, complaint, target.code)
    complaint.assignee_id = complaint.assigned_at = None
    _move_duplicates_along(session, complaint, now)
    return data


def _move_duplicates_along(session: Session, parent: Complaint, now: datetime) -> None:
    """A transferred complaint's open duplicates go to its new district with it.

    Left behind, they would be closed by the new district's inspector while counted in
    the old district's figures. Their reporters hear nothing now: they get the result.
    """
    # No autoflush: flushing the half-made transfer here (the queries below would) would
    # write the parent, and raise its version, twice.
    with session.no_autoflush:
        children = list(session.scalars(select(Complaint).where(
            Complaint.parent_id == parent.id, Complaint.status == S.DUPLICATE.value)
            .with_for_update()))
        for child in children:
            data = move_to_district(session, child, parent.district_code)
            child.updated_at = now
            record_event(session, child, kind="followed_parent", actor=Actor.system(), at=now,
                         from_status=child.status, to_status=child.status,
                         data={**data, "parent": parent.public_id})


def move_to_district(session: Session, complaint: Complaint, district_code: str) -> dict:
    """Put ``complaint`` in another district; return the event data saying from where to where.

    The dong follows: the new district's dong nearest the spot, so the new queue's dong
    filter finds it and texts and views name a dong of the right district. It is read
    before any change, so the complaint is written (and its version raised) once.
    """
    dong = session.scalar(select(Dong.code).where(Dong.district_code == district_code)
                          .order_by(func.ST_Distance(Dong.boundary, complaint.location))
                          .limit(1))
    data = {"from_district": complaint.district_code, "to_district": district_code}
    complaint.district_code = district_code
    if dong is not None:
        data.update(from_dong=complaint.dong_code, to_dong=dong)
        complaint.dong_code = dong
    return data


def close_children(session: Session, parent: Complaint, target: S, actor: Staff | None,
                   now: datetime, request: MoveRequest) -> list[Complaint]:
    """Close the open duplicates of ``parent`` with its outcome; return them."""
    children = list(session.scalars(select(Complaint).where(
        Complaint.parent_id == parent.id, Complaint.status == S.DUPLICATE.value)
        .with_for_update()))
    for child in children:
        child.outcome, child.closed_at = parent.outcome, now
        _change(session, child, target, target.value, actor, now,
                MoveRequest(request.move, public_note=request.public_note),
                {"outcome": parent.outcome, "parent": parent.public_id})
    return children


def hand_over_duplicates(session: Session, parent: Complaint, parent_status: S,
                         now: datetime) -> Complaint | None:
    """A cancelled complaint's duplicates still need someone on site: the oldest takes over.

    It goes to the parent's district queue with the parent's standing (dispatched or
    transferred, which texts its reporter and pushes to the inspectors); the other
    duplicates follow it. Returns the new lead, or None without duplicates.
    """
    children = list(session.scalars(select(Complaint).where(
        Complaint.parent_id == parent.id, Complaint.status == S.DUPLICATE.value)
        .order_by(Complaint.created_at, Complaint.id).with_for_update()))
    if not children:
        return None
    lead, followers = children[0], children[1:]
    data = {"took_over_from": parent.public_id, "reason": "parent_cancelled"}
    if lead.district_code != parent.district_code:  # a transfer of the parent holds for it too
        data.update(move_to_district(session, lead, parent.district_code))
    lead.parent_id = None
    standing = S.TRANSFERRED if parent_status == S.TRANSFERRED else S.DISPATCHED
    _change(session, lead, standing, standing.value, None, now, MoveRequest("take_over"),
            data, by=Actor.system())
    for child in followers:
        child.parent_id = lead.id
        _change(session, child, S.DUPLICATE, "relinked_duplicate", None, now,
                MoveRequest("take_over"), {"parent": lead.public_id,
                                            "former_parent": parent.public_id},
                by=Actor.system())
    return lead


def hand_back_assignments(session: Session, staff: Staff, reason: str,
                          now: datetime | None = None) -> list[Complaint]:
    """Put the open tickets assigned to ``staff`` back in their district's queue; return them.

    For an inspector who leaves, moves to another district or changes role: their tickets
    would otherwise wait, assigned to nobody who will come, until the SLA sweep escalates
    them. Each goes back ``dispatched`` (the district's inspectors are pushed, the reporter
    is not texted again) with a system event naming the reason.
    """
    now = now or datetime.now(UTC)
    tickets = list(session.scalars(select(Complaint).where(
        Complaint.assignee_id == staff.id,
        Complaint.status.in_((S.ASSIGNED.value, S.ON_SITE.value)))
        .order_by(Complaint.id).with_for_update()))
    for complaint in tickets:
        complaint.assignee_id = complaint.assigned_at = None
        _change(session, complaint, S.DISPATCHED, S.DISPATCHED.value, None, now,
                MoveRequest("release"), {"released_from": staff.id, "reason": reason},
                by=Actor.system())
    return tickets


def check_version(complaint: Complaint, version: int | Collection[int] | None) -> None:
    """Refuse a change made without the version, or on a version that is no longer current.

    ``version`` may name several versions (an If-Match list): any of them may match.

    :raises VersionRequired: no version was sent.
    :raises StaleVersion: someone changed the complaint since the sender read it.
    """
    if version is None:
        raise VersionRequired("send the version you saw (If-Match) with every change")
    versions = {version} if isinstance(version, int) else set(version)
    if complaint.version in versions:
        return
    if versions:
        sent = ", ".join(str(number) for number in sorted(versions))
        message = (f"complaint {complaint.public_id} changed (version {complaint.version}, "
                   f"you sent {sent}); reload it")
    else:  # only weak or foreign tags: If-Match compares strongly, so none can match
        message = (f"If-Match named no version of complaint {complaint.public_id} (a weak "
                   f"W/ tag never matches); it is at version {complaint.version}: send the "
                   f'ETag as given, If-Match: "{complaint.version}" if that is the one you saw')
    raise StaleVersion(message, current_version=complaint.version, status=complaint.status)


def link_duplicate(session: Session, child: Complaint, parent: Complaint, actor: Staff,
                   version: int | Collection[int] | None,
                   now: datetime | None = None) -> Complaint:
    """Make ``child`` a duplicate of ``parent`` (by hand).

    :raises InvalidTransition: either is closed, they are the same, or the parent is
        itself a duplicate.
    :raises StaleVersion: ``version`` is not the child's version.
    """
    now = now or datetime.now(UTC)
    check_version(child, version)
    if child.id == parent.id or parent.parent_id is not None:
        raise InvalidTransition("a complaint cannot be a duplicate of itself or of a duplicate")
    if S(child.status) not in OPEN or S(parent.status) not in OPEN:
        raise InvalidTransition("both complaints must be open to link them")
    if child.category_code != parent.category_code:
        raise InvalidTransition("only complaints of the same category can be linked")
    if child.district_code != parent.district_code:
        # The parent's inspector closes its duplicates: they must be theirs to close.
        raise InvalidTransition("only complaints of the same district can be linked; "
                                "transfer one of them first")
    child.parent_id = parent.id
    child.assignee_id = child.assigned_at = None
    _change(session, child, S.DUPLICATE, "linked_duplicate", actor, now,
            MoveRequest("link"), {"parent": parent.public_id})
    # Grandchildren follow: a parent that becomes a duplicate hands its own over, each
    # locked and with its event (as hand_over_duplicates does), so a concurrent change of
    # one waits instead of failing the whole link.
    with session.no_autoflush:
        grandchildren = list(session.scalars(select(Complaint).where(
            Complaint.parent_id == child.id, Complaint.status == S.DUPLICATE.value)
            .order_by(Complaint.id).with_for_update()))
    for grandchild in grandchildren:
        grandchild.parent_id = parent.id
        _change(session, grandchild, S.DUPLICATE, "relinked_duplicate", actor, now,
                MoveRequest("link"), {"parent": parent.public_id,
                                      "former_parent": child.public_id})
    session.flush()
    return child


def unlink_duplicate(session: Session, child: Complaint, actor: Staff,
                     version: int | Collection[int] | None,
                     now: datetime | None = None) -> Complaint:
    """Undo a duplicate link: the complaint goes back to its district's queue.

    :raises InvalidTransition: when it is not a duplicate.
    """
    now = now or datetime.now(UTC)
    check_version(child, version)
    if child.status != S.DUPLICATE.value:
        raise InvalidTransition("this complaint is not a duplicate")
    parent_id, child.parent_id = child.parent_id, None
    _change(session, child, S.DISPATCHED, "unlinked_duplicate", actor, now,
            MoveRequest("unlink"), {"former_parent": parent_id})
    session.flush()
    return child


