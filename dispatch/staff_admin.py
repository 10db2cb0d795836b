"""Running the staff list: who sees whom, changing role, district or language, disabling.

An account change that takes an inspector off a district's work (disabled, moved, no
longer an inspector) hands their open tickets back to the queue in the same transaction,
so nothing waits for someone who will not come.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, true
from sqlalchemy.orm import Session

from dispatch.errors import InvalidStaff, LastAdmin, NotFound
from dispatch.models import DISTRICT_ROLES, Complaint, PushSubscription, Role, Staff
from dispatch.staff import (
    check_language,
    check_role_and_district,
    checked_display_name,
    find_by_username,
    revoke_tokens,
)
from dispatch.workflow import hand_back_assignments


@dataclass(frozen=True)
class StaffChanges:
    """Fields to change on an account; None leaves a field as it is."""

    display_name: str | None = None
    role: str | None = None
    district_code: str | None = None
    language: str | None = None
    active: bool | None = None


@dataclass(frozen=True)
class StaffUpdate:
    """The account after a change and the tickets it handed back to the queue."""

    staff: Staff
    handed_back: list[Complaint]


def visible_staff(viewer: Staff | None):
    """The SQL condition for the accounts ``viewer`` may list: a supervisor, their district's.

    ``None`` is the command line, run by whoever runs the service: every account.
    """
    if viewer is None or viewer.is_city_wide:
        return true()
    return Staff.district_code == viewer.district_code


def list_staff(session: Session, viewer: Staff, *, role: str | None = None,
               district_code: str | None = None, active: bool | None = None) -> list[Staff]:
    """The accounts ``viewer`` may see, filtered, by district then name."""
    query = select(Staff).where(visible_staff(viewer))
    if role is not None:
        query = query.where(Staff.role == role)
    if district_code is not None:
        query = query.where(Staff.district_code == district_code)
    if active is not None:
        query = query.where(Staff.active.is_(active))
    return list(session.scalars(query.order_by(Staff.district_code.nulls_first(),
                                               Staff.display_name, Staff.id)))


def get_staff(session: Session, viewer: Staff | None, staff_id: int, *,
              lock: bool = False) -> Staff:
    """One account ``viewer`` may see.

    :raises NotFound: no such account, or one of another district (not revealed).
    """
    query = select(Staff).where(Staff.id == staff_id, visible_staff(viewer))
    # FOR NO KEY UPDATE: a login's new token row (a foreign key to this one) is not held up.
    if lock:
        query = query.with_for_update(key_share=True)
    staff = session.scalar(query)
    if staff is None:
        raise NotFound(f"no staff account {staff_id}")
    return staff


def lock_for_change(session: Session, viewer: Staff | None, staff_id: int,
                    changes: StaffChanges) -> Staff:
    """Lock the account to change (and, if the change could remove an admin, every active
    admin) in id order, and return it re-read.

    One statement in one order: two admins demoting each other at once used to lock their
    targets first and each other's rows second, a deadlock. Now the second waits and then
    sees the first's change.

    :raises NotFound: no such account, or one of another district.
    """
    ids = select(Staff.id).where(Staff.id == staff_id, visible_staff(viewer))
    if changes.role is not None or changes.active is False:
        ids = ids.union(select(Staff.id).where(Staff.role == Role.ADMIN.value, Staff.active))
    session.scalars(select(Staff).where(Staff.id.in_(ids)).order_by(Staff.id)
                    .with_for_update(key_share=True)
                    .execution_options(populate_existing=True)).all()
    return get_staff(session, viewer, staff_id)


def update_staff(session: Session, staff: Staff, changes: StaffChanges,
                 now: datetime | None = None) -> StaffUpdate:
    """Apply ``changes`` to ``staff`` (locked by the caller); flushes, the caller commits.

    :raises InvalidStaff: an unknown role, district or language, a district role without
        a district, or an empty name.
    :raises LastAdmin: the change would leave no active admin.
    """
    now = now or datetime.now(UTC)
    was_inspector_of = staff.district_code if _works_tickets(staff) else None
    role = changes.role if changes.role is not None else staff.role
    district = changes.district_code if changes.district_code is not None else staff.district_code
    if role not in DISTRICT_ROLES and changes.district_code is None:
        district = None  # a city-wide role has no district left over from before
    check_role_and_district(session, role, district)
    if changes.language is not None:
        check_language(changes.language)
    if changes.display_name is not None:
        staff.display_name = checked_display_name(changes.display_name)
    active = staff.active if changes.active is None else changes.active
    if staff.role == Role.ADMIN and staff.active and (role != Role.ADMIN or not active):
        _keep_an_admin(session, staff)
    staff.role, staff.district_code, staff.active = role, district, active
    if changes.language is not None:
        staff.language = changes.language
    if not active:
        staff.on_duty = False
        revoke_tokens(session, staff)
        # Their browsers' endpoints are personal data and no longer get anything.
        session.execute(delete(PushSubscription).where(PushSubscription.staff_id == staff.id))
    handed_back: list[Complaint] = []
    if was_inspector_of is not None and not (_works_tickets(staff)
                                             and staff.district_code == was_inspector_of):
        reason = ("staff_disabled" if not active else
                  "staff_moved" if staff.role == Role.INSPECTOR else "staff_role_changed")
        handed_back = hand_back_assignments(session, staff, reason, now)
    session.flush()
    return StaffUpdate(staff, handed_back)


def disable_staff(session: Session, username: str) -> StaffUpdate:
    """Disable an account by username: tokens revoked, open tickets back in the queue.

    :raises InvalidStaff: when there is no such user.
    :raises LastAdmin: when it is the last active admin.
    """
    staff = find_by_username(session, username)
    if staff is None:
        raise InvalidStaff(f"no staff {username!r}", field="username")
    changes = StaffChanges(active=False)
    return update_staff(session, lock_for_change(session, None, staff.id, changes), changes)


def _works_tickets(staff: Staff) -> bool:
    return staff.active and staff.role == Role.INSPECTOR


def _keep_an_admin(session: Session, leaving: Staff) -> None:
    # The caller holds every active admin's row (lock_for_change, in id order), so two
    # admins demoting each other queue up and the second sees the first's change.
    others = session.scalar(select(func.count()).select_from(
        select(Staff.id).where(Staff.role == Role.ADMIN.value, Staff.active,
                               Staff.id != leaving.id).with_for_update(key_share=True).subquery()))
    if not others:
        raise LastAdmin("this is the only active admin; make another admin first")
