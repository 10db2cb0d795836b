"""Staff login, logout, and the ``staff_required`` guard every staff endpoint uses."""

from __future__ import annotations

import functools

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.context import settings
from api.db import get_session
from api.limits import limiter, login_limit, username_key
from api.presenters import local_time
from api.schemas import ApiErrorSchema
from dispatch import staff as staff_accounts
from dispatch.errors import Forbidden, Unauthorized
from dispatch.models import Staff

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                description="Staff login with a password; bearer tokens.")


def bearer_token() -> str | None:
    """Return the bearer token of the request, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_staff(optional: bool = False) -> Staff | None:
    """Return the logged-in staff member.

    :raises Unauthorized: when there is no valid token and ``optional`` is false.
    """
    if "staff" in g:
        return g.staff
    token = bearer_token()
    if token is None:
        if optional:
            return None
        raise Unauthorized("log in first: send Authorization: Bearer <token>")
    g.staff = staff_accounts.staff_for_token(get_session(), token)
    return g.staff


# Marks a view function with the roles it admits; an empty tuple admits any staff.
ROLES_ATTRIBUTE = "_dasan_staff_roles"


def _check(roles: tuple[str, ...]) -> None:
    member = current_staff()
    if roles and member.role not in roles:
        raise Forbidden(f"a {member.role} may not do this")


def staff_required(*roles: str):
    """Decorate a view so only logged-in staff with one of ``roles`` (any, if none) pass.

    The roles are also recorded on the function, so ``enforce_staff_roles`` checks them
    before flask-smorest parses the body: an anonymous caller gets 401, not a
    validation report.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            _check(roles)
            return view(*args, **kwargs)

        setattr(wrapper, ROLES_ATTRIBUTE, tuple(roles))
        return wrapper

    return decorate


# Marks a view open to a complaint's reporter (citizen token) as well as to staff.
CITIZEN_ATTRIBUTE = "_dasan_citizen_or_staff"


def citizen_or_staff(view):
    """Mark a view that admits the reporter (``X-Citizen-Token``) or staff; it checks which.

    Anonymous callers get 401 from the view itself. The mark lets the access matrix test
    hold such views to that rule.
    """
    setattr(view, CITIZEN_ATTRIBUTE, True)
    return view


def admits_citizens(endpoint: str | None, method: str) -> bool:
    """Say whether the view of ``endpoint`` and ``method`` is marked ``citizen_or_staff``."""
    from flask import current_app

    view = current_app.view_functions.get(endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, method.lower(), None)
    return bool(getattr(view, CITIZEN_ATTRIBUTE, False))


def required_roles(endpoint: str | None, method: str) -> tuple[str, ...] | None:
    """Return the roles a view admits (None: not a staff view) for ``endpoint`` and ``method``."""
    from flask import current_app

    view = current_app.view_functions.get(endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, method.lower(), None)
    return getattr(view, ROLES_ATTRIBUTE, None)


def enforce_staff_roles() -> None:
    """before_request: apply ``staff_required`` before any argument parsing."""
    if request.method == "OPTIONS":
        return
    roles = required_roles(request.endpoint, request.method)
    if roles is not None:
        _check(roles)


class LoginSchema(Schema):
    """Username and password."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=1, max=200))


class StaffSchema(Schema):
    """A member of staff as the PWA sees them."""

    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    district_code = fields.String(allow_none=True)
    language = fields.String()


class TokenSchema(Schema):
    """A new bearer token."""

    token = fields.String()
    expires_at = fields.DateTime()
    staff = fields.Nested(StaffSchema)


@blp.route("/login")
class Login(MethodView):
    @limiter.limit(login_limit)
    @limiter.limit(login_limit, key_func=username_key)
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(429, schema=ApiErrorSchema, description="rate_limited (Retry-After)")
    def post(self, data):
        """Log in and get a bearer token"""
        session = get_session()
        token, row = staff_accounts.login(session, data["username"], data["password"],
                                          settings().token_ttl_hours)
        session.commit()
        return {"token": token, "expires_at": local_time(row.expires_at, settings().timezone),
                "staff": row.staff}


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @staff_required()
    def post(self):
        """Revoke the token of this request"""
        session = get_session()
        staff_accounts.logout(session, bearer_token())
        session.commit()


class PasswordChangeSchema(Schema):
    """The current password (proof) and the new one."""

    current_password = fields.String(required=True, load_only=True,
                                     validate=validate.Length(min=1, max=200))
    new_password = fields.String(
        required=True, load_only=True,
        validate=validate.Length(min=staff_accounts.MIN_PASSWORD_CHARS,
                                 max=staff_accounts.MAX_PASSWORD_CHARS))


def staff_key() -> str:
    """Rate-limit key of the logged-in member of staff (guessing a current password)."""
    return f"staff:{current_staff().id}"


@blp.route("/password")
class Password(MethodView):
    @limiter.limit(login_limit, key_func=staff_key)
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="wrong_password")
    @blp.alt_response(422, schema=ApiErrorSchema, description="invalid_staff")
    @blp.alt_response(429, schema=ApiErrorSchema, description="rate_limited (Retry-After)")
    @staff_required()
    def post(self, data):
        """Change one's own password; every other session of the account is logged out"""
        session = get_session()
        staff_accounts.change_own_password(session, current_staff(), bearer_token(),
                                           data["current_password"], data["new_password"])
        session.commit()


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, StaffSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @staff_required()
    def get(self):
        """Show the logged-in member of staff"""
        return current_staff()
