"""Schemas of the photo endpoints."""

from __future__ import annotations

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from api.input_guard import UnsafeJson, parse_json_text
from api.number_fields import DecimalFloat, DecimalInteger
from api.schemas import ComplaintCreatedSchema, PointSchema
from dispatch.intake import MAX_ADDRESS_CHARS, MAX_DESCRIPTION_CHARS
from dispatch.models import Channel
from dispatch.settings import LANGUAGES
from geo.errors import InvalidGeometry
from geo.points import validate_lonlat

# The multipart body of an upload, for the OpenAPI document (the view reads request.files).
UPLOAD_REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "photos": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": "JPEG, PNG, WebP or HEIC files (the field may repeat)",
                    },
                },
                "required": ["photos"],
            },
        },
    },
}

CITIZEN_TOKEN_HEADER = "X-Citizen-Token"  # noqa: S105 - a header name, not a secret


class CitizenTokenHeaderSchema(Schema):
    """The reporter's token from intake (staff send a bearer token instead)."""

    class Meta:
        unknown = EXCLUDE

    citizen_token = fields.String(data_key=CITIZEN_TOKEN_HEADER, load_default=None,
                                  validate=validate.Length(max=128))


class PhotoArgsSchema(Schema):
    """Which variant to serve, and the signature of a signed URL."""

    size = fields.String(load_default="full", validate=validate.OneOf(["full", "thumb"]))
    expires = DecimalInteger(load_default=None, strict=False)
    sig = fields.String(load_default=None, validate=validate.Length(max=128))


class PhotoSchema(Schema):
    """A photo of a complaint; the position, time and flags are shown to staff only."""

    id = fields.Integer()
    kind = fields.String(metadata={"description": "report (citizen) or evidence (staff)"})
    url = fields.String(metadata={"description": "signed URL of the image, usable in <img>"})
    thumb_url = fields.String(metadata={"description": "signed URL of the thumbnail"})
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    size_bytes = fields.Integer()
    uploaded_by = fields.String()
    created_at = fields.DateTime()
    taken_at = fields.DateTime(allow_none=True, metadata={"description": "staff only"})
    location = fields.Nested(PointSchema, allow_none=True,
                             metadata={"description": "GPS from the EXIF; staff only"})
    distance_m = fields.Float(allow_none=True, metadata={
        "description": "metres from the complaint's location; staff only"})
    flags = fields.List(fields.String(), metadata={
        "description": "far_from_site, taken_before_complaint; staff only"})


class PhotoListSchema(Schema):
    """Photos of a complaint, with the flags of its evidence photos (staff only)."""

    photos = fields.List(fields.Nested(PhotoSchema))
    flags = fields.List(fields.String())


class JsonObjectOfStrings(fields.String):
    """A form field holding a JSON object of strings, parsed once (into a dict) here."""

    MAX_CHARS = 4000

    def _deserialize(self, value, attr, data, **kwargs) -> dict:
        text = super()._deserialize(value, attr, data, **kwargs) or "{}"
        if len(text) > self.MAX_CHARS:
            raise ValidationError(f"Longer than maximum length {self.MAX_CHARS}.")
        try:
            parsed = parse_json_text(text)  # too deep: InvalidJson, as for a JSON body
        except UnsafeJson as exc:
            raise ValidationError("attributes hold a NUL character or an unpaired "
                                  "surrogate") from exc
        except ValueError as exc:
            raise ValidationError("attributes must be a JSON object") from exc
        if not isinstance(parsed, dict) or not all(
                isinstance(key, str) and isinstance(item, str) for key, item in parsed.items()):
            raise ValidationError("attributes must be a JSON object of strings")
        return parsed


class ComplaintFormSchema(Schema):
    """A new complaint as multipart form fields; the position may come from a photo's GPS."""

    class Meta:
        unknown = EXCLUDE

    category = fields.String(required=True, validate=validate.Length(min=1, max=64))
    lon = DecimalFloat(load_default=None, allow_nan=False, metadata={
        "description": "longitude; leave lon and lat out to take the first photo's GPS"})
    lat = DecimalFloat(load_default=None, allow_nan=False)
    description = fields.String(load_default="",
                                validate=validate.Length(max=MAX_DESCRIPTION_CHARS))
    address = fields.String(load_default=None, validate=validate.Length(max=MAX_ADDRESS_CHARS))
    phone = fields.String(load_default=None, validate=validate.Length(max=40),
                          metadata={"description": "Korean mobile or E.164; never shown"})
    language = fields.String(load_default=None, validate=validate.OneOf(LANGUAGES))
    # A report taken by phone is filed by an agent (POST /api/v1/staff/complaints), so
    # the record says who took it; an anonymous client cannot claim the phone channel.
    channel = fields.String(load_default=Channel.PWA.value,
                            validate=validate.OneOf([Channel.PWA.value]))
    attributes = JsonObjectOfStrings(load_default=dict, metadata={
        "description": "category attributes as a JSON object of strings"})

    @pre_load
    def _blank_is_absent(self, data, **_kwargs):
        # An HTML form sends its empty inputs as empty strings: the same as leaving them out.
        return {key: value for key, value in data.items()
                if not (isinstance(value, str) and not value.strip())}

    @validates_schema
    def _check_location(self, data, **_kwargs):
        lon, lat = data.get("lon"), data.get("lat")
        if (lon is None) != (lat is None):
            raise ValidationError("send both lon and lat, or neither", "lat" if lat is None
                                  else "lon")
        if lon is not None:
            try:
                validate_lonlat(lon, lat)
            except InvalidGeometry as exc:
                raise ValidationError(str(exc), "lon") from exc


class ComplaintWithPhotosSchema(ComplaintCreatedSchema):
    """The new complaint, its reporter token, its photos, and where its position came from."""

    photos = fields.List(fields.Nested(PhotoSchema))
    location_source = fields.String(metadata={"description": "form (lon/lat) or photo (GPS)"})


COMPLAINT_FORM_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    **{name: {"type": "string"} for name in (
                        "category", "description", "address", "phone", "language",
                        "channel", "attributes")},
                    "lon": {"type": "number"},
                    "lat": {"type": "number"},
                    "photos": UPLOAD_REQUEST_BODY["content"]["multipart/form-data"]["schema"][
                        "properties"]["photos"],
                },
                "required": ["category", "photos"],
            },
        },
    },
}
