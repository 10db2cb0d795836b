"""The KPI panel: open and overdue by district, time to close, within SLA, duplicates, ratings."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validates_schema

from api.auth import current_staff, staff_required
from api.context import language, settings
from api.db import get_session
from api.presenters import local_time
from api.schemas import ApiErrorSchema, period_datetime
from dispatch.areas import describe_area
from dispatch.i18n import pick_name
from dispatch.kpi import compute_kpi

blp = Blueprint("kpi", __name__, url_prefix="/api/v1/kpi",
                description="Key figures over a period for dispatchers and supervisors.")

MAX_PERIOD = timedelta(days=366)
READERS = ("supervisor", "dispatcher", "admin")


class KpiArgsSchema(Schema):
    """The period (default: the last 30 days)."""

    since = period_datetime()
    until = period_datetime()

    @validates_schema
    def _check_period(self, data, **_kwargs):
        until = data.get("until") or datetime.now(UTC)
        since = data.get("since") or until - timedelta(days=30)
        if since >= until:
            raise ValidationError("since must be before until", "since")
        if until - since > MAX_PERIOD:
            raise ValidationError("the period may not exceed 366 days", "since")


class FiguresSchema(Schema):
    """Figures of one district or of the city."""

    code = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    received = fields.Integer()
    open_now = fields.Integer(allow_none=True, metadata={
        "description": "open now; null when the period ended before now"})
    overdue_now = fields.Integer(allow_none=True, metadata={
        "description": "open and past due now; null when the period ended before now"})
    closed = fields.Integer()
    closed_within_sla = fields.Integer()
    share_within_sla = fields.Float(allow_none=True)
    median_minutes_to_close = fields.Float(allow_none=True)
    duplicates_merged = fields.Integer()
    ratings = fields.Integer()
    satisfaction = fields.Float(allow_none=True)


class KpiSchema(Schema):
    """The panel."""

    since = fields.DateTime()
    until = fields.DateTime()
    city = fields.Nested(FiguresSchema)
    districts = fields.List(fields.Nested(FiguresSchema))


def _figures(item, name: str | None) -> dict:
    return {"code": item.code, "name": name, "received": item.received,
            "open_now": item.open_now, "overdue_now": item.overdue_now,
            "closed": item.closed, "closed_within_sla": item.closed_within_sla,
            "share_within_sla": item.share_within_sla,
            "median_minutes_to_close": item.median_minutes_to_close,
            "duplicates_merged": item.duplicates_merged,
            "ratings": item.ratings, "satisfaction": item.satisfaction}


def _panel(args: dict) -> dict:
    """The figures of the period in ``args`` that the logged-in member of staff may see."""
    # One reading of the clock: a second one, a moment later, made every default panel's
    # `until` lie in the past, and its "now" figures came back empty.
    now = datetime.now(UTC)
    until = args.get("until") or now
    since = args.get("since") or until - timedelta(days=30)
    session = get_session()
    kpi = compute_kpi(session, since, until, now=now)
    staff, reader = current_staff(), language()
    districts = [d for d in kpi.districts
                 if staff.is_city_wide or d.code == staff.district_code]
    named = []
    for item in districts:
        info = describe_area(session, "district", item.code)
        named.append(_figures(item, pick_name(info.names, reader, info.name)))
    timezone = settings().timezone
    return {"since": local_time(since, timezone), "until": local_time(until, timezone),
            "city": _figures(kpi.city, None) if staff.is_city_wide else None,
            "districts": named}


@blp.route("")
class KpiPanel(MethodView):
    @blp.arguments(KpiArgsSchema, location="query")
    @blp.response(200, KpiSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden")
    @staff_required(*READERS)
    def get(self, args):
        """Key figures over a period (a supervisor sees only their district)"""
        return _panel(args)


# The columns of the spreadsheet: the JSON field names, so a report script reads either.
CSV_COLUMNS = tuple(FiguresSchema().fields)


@blp.route("/export")
class KpiExport(MethodView):
    @blp.arguments(KpiArgsSchema, location="query")
    @blp.response(200, description="text/csv (UTF-8 with a byte-order mark, for Excel)")
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden")
    @staff_required(*READERS)
    def get(self, args):
        """The same figures as a spreadsheet (CSV): the city first, then each district"""
        panel = _panel(args)
        out = io.StringIO()
        # The byte-order mark makes Excel read the Korean district names as UTF-8.
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        rows = ([{**panel["city"], "code": "city"}] if panel["city"] else []) + panel["districts"]
        for row in rows:
            writer.writerow(["" if row[column] is None else row[column] for column in CSV_COLUMNS])
        # Named by the last day the period includes: ``until`` is exclusive, so November
        # (until 1 December, 00:00) is ...-20261130.csv.
        last_day = panel["until"] - timedelta(microseconds=1)
        name = f"dasan-kpi-{panel['since']:%Y%m%d}-{last_day:%Y%m%d}.csv"
        return Response(out.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}"'})

