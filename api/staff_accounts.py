"""The staff list: admins add and change accounts; supervisors and dispatchers read it."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.auth import StaffSchema, current_staff, staff_required
from api.context import settings
from api.db import get_session
from api.presenters import local_time
from api.schemas import ApiErrorSchema
from dispatch import staff as staff_accounts
from dispatch import staff_admin
from dispatch.models import Role
from dispatch.settings import LANGUAGES

blp = Blueprint("staff-accounts", __name__, url_prefix="/api/v1/staff/accounts",
                description="Staff accounts: list (supervisors: their district), add and "
                            "change (admins).")

READERS = ("supervisor", "dispatcher", "admin")
ROLES = [role.value for role in Role]


class AccountSchema(StaffSchema):
    """A member of staff as their managers see them (never the password)."""

    active = fields.Boolean()
    on_duty = fields.Boolean()
    last_seen_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class AccountUpdateSchema(AccountSchema):
    """The account after a change, and the tickets that went back to the queue."""

    handed_back = fields.List(fields.String(), metadata={
        "description": "public ids of the open tickets put back in their district's queue"})


class AccountQuerySchema(Schema):
    """Filters of the staff list."""

    role = fields.String(validate=validate.OneOf(ROLES))
    district = fields.String(validate=validate.Length(min=1, max=10))
    active = fields.Boolean()


class NewAccountSchema(Schema):
    """A new account; the password is given to the person out of band."""

    username = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        error="1 to 64 letters, digits, dots, dashes or underscores"))
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    district_code = fields.String(allow_none=True, validate=validate.Length(min=1, max=10))
    language = fields.String(load_default="ko", validate=validate.OneOf(LANGUAGES))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=staff_accounts.MIN_PASSWORD_CHARS,
                                                      max=staff_accounts.MAX_PASSWORD_CHARS))


class AccountChangesSchema(Schema):
    """What to change; fields left out stay as they are."""

    display_name = fields.String(validate=validate.Length(min=1, max=200))
    role = fields.String(validate=validate.OneOf(ROLES))
    district_code = fields.String(validate=validate.Length(min=1, max=10))
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    active = fields.Boolean()


class NewPasswordSchema(Schema):
    """A password set by an admin (a reset): the person's sessions end."""

    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=staff_accounts.MIN_PASSWORD_CHARS,
                                                      max=staff_accounts.MAX_PASSWORD_CHARS))


def _view(staff, handed_back=None) -> dict:
    zone = settings().timezone
    view = {"id": staff.id, "username": staff.username, "display_name": staff.display_name,
            "role": staff.role, "district_code": staff.district_code,
            "language": staff.language, "active": staff.active, "on_duty": staff.on_duty,
            "last_seen_at": local_time(staff.last_seen_at, zone) if staff.last_seen_at else None,
            "created_at": local_time(staff.created_at, zone)}
    if handed_back is not None:
        view["handed_back"] = [complaint.public_id for complaint in handed_back]
    return view


@blp.route("")
class Accounts(MethodView):
    @blp.arguments(AccountQuerySchema, location="query")
    @blp.response(200, AccountSchema(many=True))
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden")
    @staff_required(*READERS)
    def get(self, query):
        """List staff accounts (a supervisor sees their district's)"""
        return [_view(staff) for staff in staff_admin.list_staff(
            get_session(), current_staff(), role=query.get("role"),
            district_code=query.get("district"), active=query.get("active"))]

    @blp.arguments(NewAccountSchema)
    @blp.response(201, AccountSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden")
    @blp.alt_response(422, schema=ApiErrorSchema, description="invalid_staff")
    @staff_required("admin")
    def post(self, data):
        """Add a staff account"""
        session = get_session()
        staff = staff_accounts.create_staff(session, **data)
        session.commit()
        return _view(staff)


@blp.route("/<int:staff_id>")
class Account(MethodView):
    @blp.response(200, AccountSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    @staff_required(*READERS)
    def get(self, staff_id):
        """Show one staff account"""
        return _view(staff_admin.get_staff(get_session(), current_staff(), staff_id))

    @blp.arguments(AccountChangesSchema)
    @blp.response(200, AccountUpdateSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    @blp.alt_response(409, schema=ApiErrorSchema, description="last_admin")
    @blp.alt_response(422, schema=ApiErrorSchema, description="invalid_staff")
    @staff_required("admin")
    def patch(self, changes, staff_id):
        """Change an account's name, role, district, language or whether it is active.

        An inspector disabled, moved to another district or given another role hands
        their open tickets back to their district's queue (listed in ``handed_back``).
        """
        session = get_session()
        wanted = staff_admin.StaffChanges(**changes)
        staff = staff_admin.lock_for_change(session, current_staff(), staff_id, wanted)
        done = staff_admin.update_staff(session, staff, wanted)
        session.commit()
        return _view(done.staff, done.handed_back)


@blp.route("/<int:staff_id>/password")
class AccountPassword(MethodView):
    @blp.arguments(NewPasswordSchema)
    @blp.response(204)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    @blp.alt_response(422, schema=ApiErrorSchema, description="invalid_staff")
    @staff_required("admin")
    def post(self, data, staff_id):
        """Set a new password for an account (a reset); its sessions are logged out"""
        session = get_session()
        staff = staff_admin.get_staff(session, current_staff(), staff_id, lock=True)
        staff_accounts.set_password(session, staff, data["password"])
        session.commit()
