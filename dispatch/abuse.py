"""Blocking abusive phone numbers from filing complaints."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import InvalidPhone, NotFound, PhoneBlocked
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


def block_phone(session: Session, raw_phone: str, reason: str, by: Staff) -> BlockedPhone:
    """Block a number (idempotent: blocking again updates the reason)."""
    phone = e164(raw_phone)
    row = session.get(BlockedPhone, phone)
    if row is None:
        row = BlockedPhone(phone=phone)
        session.add(row)
    row.reason, row.blocked_by = reason, by.id
    session.flush()
    return row


def unblock_phone(session: Session, raw_phone: str) -> None:
    """Remove a block.

    :raises NotFound: when the number is not blocked.
    """
    row = session.get(BlockedPhone, e164(raw_phone))
    if row is None:
        raise NotFound("this number is not blocked")
    session.delete(row)
    session.flush()


def list_blocked(session: Session) -> list[BlockedPhone]:
    """Return every block, newest first."""
    return list(session.scalars(select(BlockedPhone).order_by(BlockedPhone.created_at.desc())))


PHONE_BLOCKED_MESSAGE = "this phone number may not file complaints; call 120 for help"


def check_not_blocked(session: Session, phone: str | None) -> None:
    """Refuse a normalised number that staff have blocked.

    :raises PhoneBlocked: when it is blocked.
    """
    if phone and session.get(BlockedPhone, phone) is not None:
        raise PhoneBlocked(PHONE_BLOCKED_MESSAGE)
