"""Incidents and detours: anyone reads the current ones; dispatchers create, edit and end them."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_staff, staff_required
from api.context import language, settings
from api.db import get_session
from api.schemas import ApiErrorSchema, FeatureCollectionSchema, LanguageArgsSchema
from api.schemas_traffic import (
    IncidentCreateSchema,
    IncidentFeatureSchema,
    IncidentQueryArgsSchema,
    IncidentUpdateSchema,
)
from api.traffic import incident_feature
from dispatch import incidents

blp = Blueprint("incidents", __name__, url_prefix="/api/v1/incidents",
                description="Accidents, works, events and closures, with detours.")

EDITORS = ("dispatcher", "admin")


def _feature(incident, lang: str | None = None) -> dict:
    row = incidents.incident_row(get_session(), incident)
    return incident_feature(row, lang or language(), settings().timezone)


@blp.route("")
class Incidents(MethodView):
    @blp.arguments(IncidentQueryArgsSchema, location="query")
    @blp.response(200, FeatureCollectionSchema)
    @blp.alt_response(422, schema=ApiErrorSchema, description="bad or too large bbox")
    def get(self, args):
        """Incidents valid now (ended and expired ones are left out)"""
        lang = args.get("lang") or language()
        rows = incidents.list_active_incidents(get_session(), args.get("bbox"))
        return {"type": "FeatureCollection",
                "features": [incident_feature(row, lang, settings().timezone) for row in rows]}

    @blp.arguments(IncidentCreateSchema)
    @blp.response(201, IncidentFeatureSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="not a dispatcher")
    @blp.alt_response(422, schema=ApiErrorSchema, description="invalid_incident")
    @staff_required(*EDITORS)
    def post(self, body):
        """Record an incident (dispatchers and admins)"""
        session = get_session()
        incident = incidents.create_incident(session, current_staff(), **body)
        session.commit()
        return _feature(incident)


@blp.route("/<int:incident_id>")
class IncidentById(MethodView):
    @blp.arguments(LanguageArgsSchema, location="query")
    @blp.response(200, IncidentFeatureSchema)
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    def get(self, args, incident_id):
        """One incident, ended or not"""
        return _feature(incidents.get_incident(get_session(), incident_id), args.get("lang"))

    @blp.arguments(IncidentUpdateSchema)
    @blp.response(200, IncidentFeatureSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="not a dispatcher")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    @blp.alt_response(422, schema=ApiErrorSchema, description="invalid_incident")
    @staff_required(*EDITORS)
    def patch(self, body, incident_id):
        """Change an incident (dispatchers and admins)"""
        session = get_session()
        changes = {key: body[key] for key in ("kind", "geometry", "descriptions", "starts_at")
                   if key in body}
        for key in ("ends_at", "detour"):
            if key in body:
                changes[key] = body[key]
        incident = incidents.update_incident(session, incident_id, **changes)
        session.commit()
        return _feature(incident)


@blp.route("/<int:incident_id>/end")
class IncidentEnd(MethodView):
    @blp.response(200, IncidentFeatureSchema)
    @blp.alt_response(401, schema=ApiErrorSchema, description="unauthorized")
    @blp.alt_response(403, schema=ApiErrorSchema, description="not a dispatcher")
    @blp.alt_response(404, schema=ApiErrorSchema, description="not_found")
    @staff_required(*EDITORS)
    def post(self, incident_id):
        """End an incident now (dispatchers and admins); it leaves the map at once"""
        session = get_session()
        incident = incidents.end_incident(session, incident_id, current_staff())
        session.commit()
        return _feature(incident)
