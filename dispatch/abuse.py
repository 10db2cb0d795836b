"""Blocking abusive phone numbers from filing complaints."""

from __future__ import annotations

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from dispatch.errors import Forbidden, InvalidPhone, NotFound, PhoneBlocked
from dispatch.models import BlockedPhone, Staff
from notify.phones import InvalidPhoneNumber, normalise_phone


def e164(raw: str) -> str:
    """Return ``raw`` as E.164 (Korean notation accepted).

    :raises InvalidPhone: neither a Korean number nor E.164.
    """
    try:
        return normalise_phone(raw)
    except InvalidPhoneNumber as exc:
        raise InvalidPhone(str(exc), field="phone") from exc


def visible_blocks(viewer: Staff):
    """The SQL condition for the blocks ``viewer`` manages: a supervisor, their district's.

    A block holds city-wide, but who blocked a number and why is the business of that
    district's office (and of the city's dispatchers and admins).
    """
    if viewer.is_city_wide:
        return true()
    return BlockedPhone.blocked_by.in_(
        select(Staff.id).where(Staff.district_code == viewer.district_code))


def _block_of(session: Session, phone: str, viewer: Staff) -> BlockedPhone | None:
    return session.scalar(select(BlockedPhone).where(BlockedPhone.phone == phone,
                                                     visible_blocks(viewer)))


def block_phone(session: Session, raw_phone: str, reason: str, by: Staff) -> BlockedPhone:
    """Block a number (idempotent: blocking again updates the reason).

    :raises Forbidden: the number is blocked already by an office this member does not manage.
    """
    phone = e164(raw_phone)
    row = session.get(BlockedPhone, phone)
    if row is None:
        row = BlockedPhone(phone=phone)
        session.add(row)
    elif _block_of(session, phone, by) is None:
        raise Forbidden("this number is blocked already by another office (a dispatcher can "
                        "change that block)")
    row.reason, row.blocked_by = reason, by.id
    session.flush()
    return row


def unblock_phone(session: Session, raw_phone: str, by: Staff) -> None:
    """Remove a block ``by`` manages.

    :raises NotFound: when the number is not blocked (or by another district's office).
    """
    row = _block_of(session, e164(raw_phone), by)
    if row is None:
        raise NotFound("this number is not blocked")
    session.delete(row)
    session.flush()


def list_blocked(session: Session, viewer: Staff) -> list[BlockedPhone]:
    """Return the blocks ``viewer`` manages, newest first."""
    return list(session.scalars(select(BlockedPhone).where(visible_blocks(viewer))
                                .order_by(BlockedPhone.created_at.desc())))


PHONE_BLOCKED_MESSAGE = "this phone number may not file complaints; call 120 for help"


def check_not_blocked(session: Session, phone: str | None) -> None:
    """Refuse a normalised number that staff have blocked.

    :raises PhoneBlocked: when it is blocked.
    """
    if phone and session.get(BlockedPhone, phone) is not None:
        raise PhoneBlocked(PHONE_BLOCKED_MESSAGE)
