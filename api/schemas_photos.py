"""Schemas of the photo endpoints."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from api.schemas import PointSchema

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
    expires = fields.Integer(load_default=None, strict=False)
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
