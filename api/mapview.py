"""The dispatcher's map: complaints in view and clusters (staff only, never personal data)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.auth import current_staff, staff_required
from api.context import settings
from api.db import get_session
from api.number_fields import DecimalInteger
from api.presenters import local_time
from api.schemas import ApiErrorSchema, FeatureCollectionSchema, period_datetime
from dispatch import mapview
from dispatch.errors import Forbidden
from dispatch.models import ComplaintStatus
from dispatch.numbers import parse_decimal

blp = Blueprint("map", __name__, url_prefix="/api/v1/map",
                description="The live map's data: complaints in a box and city-wide clusters.")


class BBoxField(fields.String):
    """``minLon,minLat,maxLon,maxLat`` in WGS84."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            numbers = [parse_decimal(part) for part in text.split(",")]
        except ValueError as exc:
            raise ValidationError("bbox must be four numbers: minLon,minLat,maxLon,maxLat") \
                from exc
        if len(numbers) != 4:  # parse_decimal already refuses NaN, infinities and 1e400
            raise ValidationError("bbox must be four numbers: minLon,minLat,maxLon,maxLat")
        min_lon, min_lat, max_lon, max_lat = numbers
        if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
            raise ValidationError("bbox must have min < max within -180..180 and -90..90")
        return min_lon, min_lat, max_lon, max_lat


class MapQueryArgsSchema(Schema):
    """Filters of the map."""

    bbox = BBoxField(metadata={"description": "minLon,minLat,maxLon,maxLat"})
    status = fields.List(fields.String(validate=validate.OneOf([s.value for s in
                                                                 ComplaintStatus])),
                         metadata={"description": "default: the open statuses"})
    category = fields.String(validate=validate.Length(max=64))
    district = fields.String(validate=validate.Length(max=16))
    overdue = fields.Boolean(load_default=False)
    since = period_datetime()
    until = period_datetime()

    @validates_schema
    def _check_period(self, data, **_kwargs):
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ValidationError("since must be before until", "until")


class ClusterArgsSchema(MapQueryArgsSchema):
    """Filters plus the map's zoom level."""

    zoom = DecimalInteger(load_default=11, validate=validate.Range(min=0, max=20))


def _filters(args: dict) -> mapview.MapFilter:
    staff = current_staff()
    district = args.get("district")
    if not staff.is_city_wide:
        if district and district != staff.district_code:
            raise Forbidden("you can see only your own district on the map")
        district = staff.district_code
    return mapview.MapFilter(
        bbox=args.get("bbox"), statuses=tuple(args.get("status") or mapview.OPEN),
        category=args.get("category"), district=district,
        overdue_only=args["overdue"], since=args.get("since"), until=args.get("until"))


@blp.route("/complaints")
class MapComplaints(MethodView):
    @blp.arguments(MapQueryArgsSchema, location="query")
    @blp.response(200, FeatureCollectionSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden (other district)")
    @staff_required()
    def get(self, args):
        """Complaints in view (most urgent first, at most 2,000)"""
        timezone = settings().timezone
        rows, truncated = mapview.complaints_in_view(get_session(), _filters(args))
        features = [{
            "type": "Feature", "id": row.public_id,
            "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
            "properties": {"public_id": row.public_id, "status": row.status,
                           "category": row.category_code, "district": row.district_code,
                           "priority": row.priority, "overdue": row.overdue,
                           "due_at": local_time(row.due_at, timezone).isoformat(),
                           "created_at": local_time(row.created_at, timezone).isoformat()},
        } for row in rows]
        return {"type": "FeatureCollection", "features": features, "truncated": truncated}


@blp.route("/clusters")
class MapClusters(MethodView):
    @blp.arguments(ClusterArgsSchema, location="query")
    @blp.response(200, FeatureCollectionSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="forbidden (other district)")
    @staff_required()
    def get(self, args):
        """City-wide clusters of complaints on a grid fitted to the zoom level"""
        cell = mapview.cluster_cell_degrees(args["zoom"])
        rows = mapview.clusters(get_session(), _filters(args), cell)
        features = [{
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(row.lon), float(row.lat)]},
            "properties": {"count": row.count, "overdue": int(row.overdue or 0),
                           "top_priority": int(row.top_priority)},
        } for row in rows]
        return {"type": "FeatureCollection", "features": features}
