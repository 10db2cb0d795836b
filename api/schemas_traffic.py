"""Schemas of the traffic, incident and facility endpoints."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.mapview import BBoxField
from api.number_fields import DecimalFloat, DecimalInteger
from api.schemas import LanguageArgsSchema, period_datetime
from dispatch.facilities import DEFAULT_MAX_DISTANCE_M, KINDS, MAX_DISTANCE_M, MAX_NEAREST
from dispatch.incidents import MAX_DESCRIPTION_CHARS
from dispatch.models import IncidentKind
from dispatch.settings import LANGUAGES

# Larger than Seoul (0.42° x 0.27°), small enough that one answer stays bounded.
MAX_BBOX_SPAN_DEG = 0.6
MIN_RADIUS_M, MAX_RADIUS_M = 50, 5000


class LimitedBBoxField(BBoxField):
    """A bbox no wider or taller than ``MAX_BBOX_SPAN_DEG`` degrees."""

    def _deserialize(self, value, attr, data, **kwargs):
        box = super()._deserialize(value, attr, data, **kwargs)
        if box[2] - box[0] > MAX_BBOX_SPAN_DEG or box[3] - box[1] > MAX_BBOX_SPAN_DEG:
            raise ValidationError(f"bbox may span at most {MAX_BBOX_SPAN_DEG} degrees each way")
        return box


class TrafficQueryArgsSchema(LanguageArgsSchema):
    """The map's view box."""

    bbox = LimitedBBoxField(required=True, metadata={"description": "minLon,minLat,maxLon,maxLat"})


class IncidentQueryArgsSchema(LanguageArgsSchema):
    """An optional view box (default: the whole city)."""

    bbox = LimitedBBoxField(metadata={"description": "minLon,minLat,maxLon,maxLat"})


class PointArgsSchema(LanguageArgsSchema):
    """A WGS84 position."""

    lon = DecimalFloat(required=True, validate=validate.Range(-180, 180))
    lat = DecimalFloat(required=True, validate=validate.Range(-90, 90))


class SummaryArgsSchema(PointArgsSchema):
    """A point and a radius in metres."""

    radius = DecimalInteger(load_default=1000,
                            validate=validate.Range(MIN_RADIUS_M, MAX_RADIUS_M),
                            metadata={"description": f"metres, {MIN_RADIUS_M}-{MAX_RADIUS_M}"})


class NearestArgsSchema(PointArgsSchema):
    """A point, an optional kind and how many facilities."""

    kind = fields.String(validate=validate.OneOf(KINDS))
    limit = DecimalInteger(load_default=5, validate=validate.Range(1, MAX_NEAREST))
    max_distance_m = DecimalInteger(
        load_default=DEFAULT_MAX_DISTANCE_M, validate=validate.Range(1, MAX_DISTANCE_M),
        metadata={"description": "only facilities within this many metres (straight line)"})


class TrafficCollectionSchema(Schema):
    """Links as a GeoJSON FeatureCollection, with the feed's freshness."""

    type = fields.String()
    features = fields.List(fields.Dict())
    truncated = fields.Boolean()
    stale = fields.Boolean(metadata={"description": "true: no reading for stale_after_minutes"})
    feed_updated_at = fields.DateTime(allow_none=True)
    stale_after_minutes = fields.Integer()


class RoadSummarySchema(Schema):
    """One road near the point."""

    name = fields.String()
    links = fields.Integer()
    mean_speed_kmh = fields.Float(allow_none=True)


class SummarySchema(Schema):
    """Traffic around a point in one sentence and in parts."""

    text = fields.String()
    language = fields.String()
    stale = fields.Boolean()
    feed_updated_at = fields.DateTime(allow_none=True)
    jammed = fields.List(fields.Nested(RoadSummarySchema))
    slow = fields.List(fields.Nested(RoadSummarySchema))
    moving = fields.List(fields.Nested(RoadSummarySchema))
    incidents = fields.List(fields.Dict())


class FacilitySchema(Schema):
    """A facility and its straight-line distance."""

    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    address = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    location = fields.Dict()
    distance_m = fields.Integer()


class FacilityListSchema(Schema):
    """Nearest facilities, nearest first."""

    facilities = fields.List(fields.Nested(FacilitySchema))


class IncidentCreateSchema(Schema):
    """A new incident (dispatchers)."""

    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in IncidentKind]))
    geometry = fields.Dict(required=True, metadata={
        "description": "GeoJSON Point, LineString or Polygon (or Multi-) in WGS84"})
    detour = fields.Dict(allow_none=True, load_default=None,
                         metadata={"description": "GeoJSON LineString, or null"})
    descriptions = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.String(validate=validate.Length(min=1, max=MAX_DESCRIPTION_CHARS)),
        required=True, metadata={"description": '{"ko": "...", "en": "..."}'})
    starts_at = period_datetime(load_default=None, allow_none=True)
    ends_at = period_datetime(load_default=None, allow_none=True)

    @validates_schema
    def _check_window(self, data, **_kwargs):
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("ends_at must be after starts_at", "ends_at")


class IncidentUpdateSchema(Schema):
    """Fields to change; ``detour: null`` removes the detour, ``ends_at: null`` reopens."""

    kind = fields.String(validate=validate.OneOf([k.value for k in IncidentKind]))
    geometry = fields.Dict()
    detour = fields.Dict(allow_none=True)
    descriptions = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.String(validate=validate.Length(min=1, max=MAX_DESCRIPTION_CHARS)))
    starts_at = period_datetime()
    ends_at = period_datetime(allow_none=True)


class IncidentFeatureSchema(Schema):
    """An incident as a GeoJSON Feature; ``properties.detour`` is a LineString or null."""

    type = fields.String()
    id = fields.Integer()
    geometry = fields.Dict()
    properties = fields.Dict()
