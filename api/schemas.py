"""Marshmallow schemas: what the API accepts and returns (the OpenAPI is built from them)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from api.context import settings
from api.number_fields import DecimalFloat
from dispatch.intake import MAX_ADDRESS_CHARS, MAX_DESCRIPTION_CHARS
from dispatch.models import Channel
from dispatch.moments import ERA_END, ERA_START, moment_problem
from dispatch.settings import LANGUAGES
from geo.errors import InvalidGeometry
from geo.points import validate_lonlat


class LocalDateTime(fields.AwareDateTime):
    """A date-time whose value without an offset is read in the service's time zone.

    Staff think in local time: ``since=2024-03-01`` is midnight in Seoul, not 09:00.
    """

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        moment = fields.DateTime._deserialize(self, value, attr, data, **kwargs)
        if moment.tzinfo is None or moment.utcoffset() is None:
            moment = moment.replace(tzinfo=ZoneInfo(settings().timezone))
        return moment


def _in_period(moment: datetime) -> None:
    problem = moment_problem(moment, ERA_START, ERA_END)
    if problem:
        raise ValidationError(problem)


def period_datetime(**kwargs) -> fields.AwareDateTime:
    """A date-time between 2000 and 2100 (in DASAN_TIMEZONE when no offset is given)
    whose UTC offset PostgreSQL can store (within ±15:59)."""
    return LocalDateTime(validate=_in_period, **kwargs)


class ApiErrorSchema(Schema):
    """Every error response: HTTP code and phrase, a stable machine code, a message."""

    code = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = fields.String(required=True, metadata={"description": "HTTP status phrase"})
    error = fields.String(required=True, metadata={
        "description": "stable machine-readable code, e.g. outside_service_area"})
    message = fields.String(metadata={"description": "human-readable explanation"})
    errors = fields.Dict(metadata={
        "description": "field-level messages by location (json, query, headers) and field"})
    details = fields.Dict(metadata={"description": "extra facts, e.g. the nearest district"})
    request_id = fields.String()


class PointSchema(Schema):
    """A GeoJSON Point in WGS84: ``{"type": "Point", "coordinates": [lon, lat]}``."""

    type = fields.String(required=True, validate=validate.Equal("Point"))
    coordinates = fields.List(
        DecimalFloat(allow_nan=False), required=True,
        validate=validate.Length(min=2, max=3, error="coordinates must be [lon, lat]"),
    )

    @validates_schema
    def _check_range(self, data, **_kwargs):
        coordinates = data.get("coordinates") or []
        if len(coordinates) >= 2:
            try:
                validate_lonlat(coordinates[0], coordinates[1])
            except InvalidGeometry as exc:
                raise ValidationError(
                    f"{exc} (GeoJSON order is [longitude, latitude])", "coordinates") from exc


class ComplaintCreateSchema(Schema):
    """A new complaint."""

    class Meta:
        unknown = EXCLUDE

    category = fields.String(required=True, validate=validate.Length(min=1, max=64))
    location = fields.Nested(PointSchema, required=True)
    description = fields.String(
        load_default="", validate=validate.Length(max=MAX_DESCRIPTION_CHARS))
    address = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_ADDRESS_CHARS))
    phone = fields.String(load_default=None, allow_none=True,
                          metadata={"description": "Korean mobile or E.164; never shown publicly"})
    language = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(LANGUAGES))
    # A report taken by phone is filed by an agent (POST /api/v1/staff/complaints), so
    # the record says who took it; an anonymous client cannot claim the phone channel.
    channel = fields.String(load_default=Channel.PWA.value,
                            validate=validate.OneOf([Channel.PWA.value]))
    attributes = fields.Dict(keys=fields.String(validate=validate.Length(max=64)),
                             values=fields.String(), load_default=dict)


class CallerComplaintSchema(ComplaintCreateSchema):
    """A complaint an agent takes by phone (the channel is always ``phone``)."""

    class Meta:
        unknown = EXCLUDE
        exclude = ("channel",)


class IdempotencyHeaderSchema(Schema):
    """The client's UUID for this complaint; repeating it never makes a second complaint."""

    class Meta:
        unknown = EXCLUDE

    idempotency_key = fields.UUID(data_key="Idempotency-Key", load_default=None)


class NamedCodeSchema(Schema):
    """A code with its name in the reader's language."""

    code = fields.String()
    name = fields.String()


class ComplaintSchema(Schema):
    """The public view of a complaint (never the reporter's phone)."""

    public_id = fields.String()
    status = fields.String()
    category = fields.Nested(NamedCodeSchema)
    description = fields.String()
    address = fields.String()
    location = fields.Nested(PointSchema)
    district = fields.Nested(NamedCodeSchema)
    dong = fields.Nested(NamedCodeSchema)
    district_office_phone = fields.String(metadata={
        "description": "the district office's number, or 120 (the Dasan Call Center, which "
                       "connects every office) when none is on file"})
    routing_distance_m = fields.Float()
    priority = fields.Integer()
    channel = fields.String()
    attributes = fields.Dict()
    outcome = fields.String(allow_none=True, metadata={
        "description": "once closed: the outcome code (repaired, towed, no_violation, "
                       "other_agency, …; see docs/WORKFLOW.md); null while open or cancelled"})
    due_at = fields.DateTime()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class ComplaintCreatedSchema(ComplaintSchema):
    """The public view plus the reporter's secret token (shown only in this answer)."""

    citizen_token = fields.String(metadata={
        "description": "keep it: it lets the reporter follow, cancel, reopen and rate"})
    language = fields.String(metadata={"description": "the reporter's language (their texts)"})


class LanguageArgsSchema(Schema):
    """Optional ``lang`` query parameter."""

    lang = fields.String(validate=validate.OneOf(LANGUAGES))


class CallerLookupSchema(Schema):
    """The number a caller rings from."""

    class Meta:
        unknown = EXCLUDE

    phone = fields.String(required=True, validate=validate.Length(min=1, max=40))


class CallerReportSchema(ComplaintSchema):
    """One of a caller's reports, for the agent on the phone with them."""

    language = fields.String(metadata={"description": "the reporter's language"})


class CallerReportsSchema(Schema):
    """A caller's reports, newest first."""

    items = fields.List(fields.Nested(CallerReportSchema))


class LocateArgsSchema(LanguageArgsSchema):
    """A point to locate."""

    lon = DecimalFloat(required=True, allow_nan=False)
    lat = DecimalFloat(required=True, allow_nan=False)

    @validates_schema
    def _check_range(self, data, **_kwargs):
        if "lon" in data and "lat" in data:
            try:
                validate_lonlat(data["lon"], data["lat"])
            except InvalidGeometry as exc:
                raise ValidationError(str(exc), "lat" if "latitude" in str(exc) else "lon") from exc


class LocationSchema(Schema):
    """Which district and dong own a point."""

    district = fields.Nested(NamedCodeSchema)
    dong = fields.Nested(NamedCodeSchema)
    distance_m = fields.Float(metadata={"description": "0 inside an area; else metres outside"})
    inside = fields.Boolean()


class AreaQueryArgsSchema(LanguageArgsSchema):
    """Area list options."""

    detail = fields.String(load_default="simple", validate=validate.OneOf(["simple", "full"]))
    district = fields.String(validate=validate.Length(max=16))


class AttributeValueSchema(Schema):
    """One choice of a list attribute: the key clients send, its name to show."""

    key = fields.String()
    name = fields.String()


class CategoryAttributeSchema(Schema):
    """An extra field a category asks for (e.g. lamp-post number)."""

    code = fields.String()
    name = fields.String()
    datatype = fields.String(metadata={
        "description": "Open311's: string, number, datetime, text, singlevaluelist (send "
                       "one key) or multivaluelist (send keys joined by ',')"})
    values = fields.List(fields.Nested(AttributeValueSchema), metadata={
        "description": "the choices of a list datatype, named in the reader's language"})
    required = fields.Boolean()
    order = fields.Integer()
    private = fields.Boolean(metadata={
        "description": "staff only: never in public or Open311 views (e.g. a vehicle plate)"})


class CategorySchema(Schema):
    """A complaint category."""

    code = fields.String()
    name = fields.String()
    names = fields.Dict()
    description = fields.String()
    group = fields.String()
    icon = fields.String()
    priority = fields.Integer()
    sla_minutes = fields.Integer()
    duplicate_radius_m = fields.Integer()
    attributes = fields.List(fields.Nested(CategoryAttributeSchema))


class FeatureCollectionSchema(Schema):
    """A GeoJSON FeatureCollection (``truncated`` when a limit cut it short)."""

    type = fields.String()
    features = fields.List(fields.Dict())
    truncated = fields.Boolean()
