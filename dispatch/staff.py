"""Staff accounts: creating, disabling, password login and bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatch.errors import InvalidStaff, Unauthorized
from dispatch.models import DISTRICT_ROLES, District, Role, Staff, StaffToken

_hasher = PasswordHasher()
MIN_PASSWORD_CHARS = 10
# Verifying against this keeps a login for an unknown user as slow as for a known one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_token(token: str) -> str:
    """Return the stored form of a bearer token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_staff(session: Session, *, username: str, password: str, role: str,
                 display_name: str | None = None, district_code: str | None = None,
                 language: str = "ko") -> Staff:
    """Add a member of staff with an argon2-hashed password.

    :raises InvalidStaff: unknown role, district missing for a district role, unknown
        district, a taken username or a password shorter than 10 characters.
    """
    if role not in {r.value for r in Role}:
        raise InvalidStaff(f"role must be one of {', '.join(r.value for r in Role)}")
    if role in DISTRICT_ROLES and not district_code:
        raise InvalidStaff(f"a {role} belongs to a district; give its code")
    if district_code and session.get(District, district_code) is None:
        raise InvalidStaff(f"unknown district {district_code!r}")
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidStaff(f"passwords need at least {MIN_PASSWORD_CHARS} characters")
    if session.scalar(select(Staff).where(Staff.username == username)) is not None:
        raise InvalidStaff(f"username {username!r} is taken")
    staff = Staff(username=username, display_name=display_name or username, role=role,
                  district_code=district_code if role in DISTRICT_ROLES else district_code,
                  password_hash=_hasher.hash(password), language=language, active=True)
    session.add(staff)
    session.flush()
    return staff


def disable_staff(session: Session, username: str) -> Staff:
    """Disable an account and revoke all its tokens.

    :raises InvalidStaff: when there is no such user.
    """
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        raise InvalidStaff(f"no staff {username!r}")
    staff.active = False
    session.execute(update(StaffToken).where(StaffToken.staff_id == staff.id,
                                             StaffToken.revoked_at.is_(None))
                    .values(revoked_at=datetime.now(UTC)))
    session.flush()
    return staff


def login(
    session: Session, username: str, password: str, ttl_hours: float
) -> tuple[str, StaffToken]:
    """Check a password and issue a new bearer token; return (token, its row).

    :raises Unauthorized: for an unknown user, a wrong password or a disabled account
        (one message for all three, so the answer reveals nothing).
    """
    staff = session.scalar(select(Staff).where(Staff.username == username))
    try:
        _hasher.verify(staff.password_hash if staff else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        staff = None
    if staff is None or not staff.active:
        raise Unauthorized("wrong username or password")
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    row = StaffToken(staff=staff, token_hash=hash_token(token), created_at=now,
                     expires_at=now + timedelta(hours=ttl_hours))
    session.add(row)
    session.flush()
    return token, row


def staff_for_token(session: Session, token: str) -> Staff:
    """Return the active staff member a bearer token belongs to.

    :raises Unauthorized: for an unknown, expired or revoked token or a disabled account.
    """
    row = session.scalar(select(StaffToken).where(StaffToken.token_hash == hash_token(token)))
    if row is None:
        raise Unauthorized("unknown token; log in again")
    if row.revoked_at is not None:
        raise Unauthorized("this token was revoked; log in again", reason="revoked")
    if row.expires_at <= datetime.now(UTC):
        raise Unauthorized("this token has expired; log in again", reason="expired")
    if not row.staff.active:
        raise Unauthorized("this account is disabled", reason="disabled")
    return row.staff


def logout(session: Session, token: str) -> None:
    """Revoke a token (idempotent)."""
    session.execute(update(StaffToken).where(StaffToken.token_hash == hash_token(token),
                                             StaffToken.revoked_at.is_(None))
                    .values(revoked_at=datetime.now(UTC)))
