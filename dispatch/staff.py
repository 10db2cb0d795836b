"""Staff accounts: creating, passwords, login and bearer tokens.

Changing an account (role, district, disabling) is ``dispatch.staff_admin``: it hands the
person's open work back, which is the workflow's business, not the login's.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dispatch.errors import InvalidStaff, Unauthorized, WrongPassword
from dispatch.i18n import is_language
from dispatch.models import DISTRICT_ROLES, District, Role, Staff, StaffToken

_hasher = PasswordHasher()
MAX_DISPLAY_NAME_CHARS = 200
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                           "\u200e\u200f\u061c")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 200  # the login form takes no more, so a longer one could never log in
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
        district or language, a taken username (case does not count), a display name with
        bidi controls, or a password outside 10–200 characters.
    """
    check_role_and_district(session, role, district_code)
    check_language(language)
    check_password_rules(password)
    username = username.strip()
    if not username or len(username) > 64:
        raise InvalidStaff("usernames have 1 to 64 characters", field="username")
    # Case does not make another name: RVIN_ADMIN beside rvin_admin is a look-alike (the
    # unique index on lower(username) holds this against races too).
    taken = find_by_username(session, username)
    if taken is not None:
        raise InvalidStaff(f"username {username!r} is taken (as {taken.username!r}; case "
                           "does not count)", field="username")
    display_name = (display_name or "").strip()
    staff = Staff(username=username,
                  display_name=checked_display_name(display_name) if display_name else username,
                  role=role, district_code=district_code,
                  password_hash=_hasher.hash(password), language=language, active=True)
    session.add(staff)
    session.flush()
    return staff


def find_by_username(session: Session, username: str) -> Staff | None:
    """The account of ``username`` whatever its case (an exact match first).

    An exact match wins for the accounts that differ only in case, made before usernames
    became case-insensitive (the migration kept them).
    """
    return session.scalar(select(Staff)
                          .where(func.lower(Staff.username) == func.lower(username))
                          .order_by((Staff.username == username).desc(), Staff.id).limit(1))


def checked_display_name(name: str) -> str:
    """Return ``name`` stripped, or refuse it: empty, too long, or with bidi controls.

    Bidirectional embeddings, overrides and isolates (and the invisible direction marks) turn
    text around on screen: "\u202eevil" shows as "live", so a name could pass for another.

    :raises InvalidStaff: naming ``display_name``.
    """
    name = name.strip()
    if not name or len(name) > MAX_DISPLAY_NAME_CHARS:
        raise InvalidStaff(f"names have 1 to {MAX_DISPLAY_NAME_CHARS} characters",
                           field="display_name")
    if any(char in _BIDI_CONTROLS for char in name):
        raise InvalidStaff("names may not hold bidirectional control characters "
                           "(U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C)",
                           field="display_name")
    return name


def check_role_and_district(session: Session, role: str, district_code: str | None) -> None:
    """Refuse an unknown role, a district role without a district, or an unknown district.

    :raises InvalidStaff: naming the field at fault.
    """
    if role not in {r.value for r in Role}:
        raise InvalidStaff(f"role must be one of {', '.join(r.value for r in Role)}",
                           field="role")
    if role in DISTRICT_ROLES and not district_code:
        raise InvalidStaff(f"a {role} belongs to a district; give its code",
                           field="district_code")
    if district_code and session.get(District, district_code) is None:
        raise InvalidStaff(f"unknown district {district_code!r}", field="district_code")


def check_language(language: str) -> None:
    """Refuse a language the service does not speak.

    :raises InvalidStaff: for any code but the six.
    """
    if not is_language(language):
        raise InvalidStaff(f"unknown language {language!r}", field="language")


def check_password_rules(password: str) -> None:
    """Refuse a password shorter than 10 or longer than 200 characters.

    :raises InvalidStaff: with the rule broken.
    """
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise InvalidStaff(f"passwords need {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} "
                           "characters", field="password")


def set_password(session: Session, staff: Staff, password: str, *,
                 keep_token: str | None = None) -> None:
    """Give ``staff`` a new password and revoke their tokens (all but ``keep_token``).

    :raises InvalidStaff: when the password breaks the rules.
    """
    check_password_rules(password)
    staff.password_hash = _hasher.hash(password)
    revoke_tokens(session, staff, keep_token=keep_token)


def change_own_password(session: Session, staff: Staff, token: str, current: str,
                        new: str) -> None:
    """Change one's own password, proving the current one; other sessions are logged out.

    :raises WrongPassword: the current password does not match (a stolen token alone
        cannot take over the account).
    :raises InvalidStaff: the new password breaks the rules.
    """
    try:
        _hasher.verify(staff.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise WrongPassword("the current password is wrong") from None
    set_password(session, staff, new, keep_token=token)


def revoke_tokens(session: Session, staff: Staff, *, keep_token: str | None = None) -> None:
    """Revoke every live token of ``staff`` except ``keep_token``."""
    query = update(StaffToken).where(StaffToken.staff_id == staff.id,
                                     StaffToken.revoked_at.is_(None))
    if keep_token is not None:
        query = query.where(StaffToken.token_hash != hash_token(keep_token))
    session.execute(query.values(revoked_at=datetime.now(UTC)))


def login(
    session: Session, username: str, password: str, ttl_hours: float
) -> tuple[str, StaffToken]:
    """Check a password and issue a new bearer token; return (token, its row).

    :raises Unauthorized: for an unknown user, a wrong password or a disabled account
        (one message for all three, so the answer reveals nothing).
    """
    staff = find_by_username(session, username)
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
    """Revoke a token and take its owner off duty (idempotent)."""
    session.execute(update(StaffToken).where(StaffToken.token_hash == hash_token(token),
                                             StaffToken.revoked_at.is_(None))
                    .values(revoked_at=datetime.now(UTC)))
    # Someone who logs out is not waiting for work: the assignment suggestions skip them
    # until the field app reports a position again.
    owner = select(StaffToken.staff_id).where(StaffToken.token_hash == hash_token(token))
    session.execute(update(Staff).where(Staff.id.in_(owner.scalar_subquery()))
                    .values(on_duty=False))
