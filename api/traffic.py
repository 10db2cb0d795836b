"""Traffic on the map and around a point, and the nearest public facilities (public, read-only)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.context import language, settings
from api.db import get_session
from api.presenters import local_time
from api.schemas import ApiErrorSchema
from api.schemas_traffic import (
    FacilityListSchema,
    NearestArgsSchema,
    SummaryArgsSchema,
    SummarySchema,
    TrafficCollectionSchema,
    TrafficQueryArgsSchema,
)
from dispatch.facilities import nearest_facilities
from dispatch.i18n import pick_name
from dispatch.traffic import feed_freshness, links_in_bbox
from dispatch.traffic_summary import summarize_traffic

blp = Blueprint("traffic", __name__, url_prefix="/api/v1",
                description="Road traffic every 5 minutes, summaries and nearby facilities.")


def _lang(args: dict) -> str:
    return args.get("lang") or language()


def incident_feature(row, lang: str, timezone: str) -> dict:
    """An incident row as a GeoJSON Feature in the reader's language."""
    incident = row.incident
    return {"type": "Feature", "id": incident.id, "geometry": row.area, "properties": {
        "id": incident.id, "kind": incident.kind,
        "description": pick_name(incident.descriptions, lang, ""),
        "descriptions": incident.descriptions,
        "starts_at": _iso(local_time(incident.starts_at, timezone)),
        "ends_at": _iso(local_time(incident.ends_at, timezone)),
        "detour": row.detour}}


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


@blp.route("/traffic")
class Traffic(MethodView):
    @blp.arguments(TrafficQueryArgsSchema, location="query")
    @blp.response(200, TrafficCollectionSchema)
    @blp.alt_response(422, schema=ApiErrorSchema, description="bad or too large bbox")
    def get(self, args):
        """Road links in view with their current speed and congestion level

        A link whose newest reading is older than the stale limit (or the whole feed,
        when nothing new arrived) has ``stale: true``, ``level: "stale"`` and
        ``speed_kmh: null``; the old value is only in ``last_speed_kmh``.
        """
        config = settings()
        lang = _lang(args)
        session = get_session()
        freshness = feed_freshness(session, config.traffic_stale_minutes)
        links, truncated = links_in_bbox(session, args["bbox"], config.traffic_stale_minutes)
        features = []
        for link in links:
            stale = freshness.stale or link.stale
            features.append({"type": "Feature", "id": link.link_id, "geometry": link.geometry,
                             "properties": {
                "link_id": link.link_id, "road": pick_name(link.names, lang, link.name),
                "road_class": link.road_class, "direction": link.direction,
                "level": "stale" if stale else link.level,
                "speed_kmh": None if stale else link.speed_kmh,
                "travel_time_s": None if stale else link.travel_time_s,
                "last_speed_kmh": link.speed_kmh,
                "observed_at": _iso(local_time(link.observed_at, config.timezone)),
                "stale": stale}})
        return {"type": "FeatureCollection", "features": features, "truncated": truncated,
                "stale": freshness.stale, "stale_after_minutes": freshness.stale_after_minutes,
                "feed_updated_at": local_time(freshness.updated_at, config.timezone)}


@blp.route("/traffic/summary")
class TrafficSummary(MethodView):
    @blp.arguments(SummaryArgsSchema, location="query")
    @blp.response(200, SummarySchema)
    @blp.alt_response(422, schema=ApiErrorSchema, description="bad position or radius")
    def get(self, args):
        """Traffic and incidents around a point, as one sentence and in parts"""
        config = settings()
        lang = _lang(args)
        summary = summarize_traffic(get_session(), args["lon"], args["lat"], args["radius"],
                                    lang, config.traffic_stale_minutes)

        def roads(level):
            return [{"name": r.name, "links": r.links, "mean_speed_kmh": r.mean_speed_kmh}
                    for r in summary.roads[level]]

        return {"text": summary.text, "language": lang, "stale": summary.freshness.stale,
                "feed_updated_at": local_time(summary.freshness.updated_at, config.timezone),
                "jammed": roads("jammed"), "slow": roads("slow"), "moving": roads("free"),
                "incidents": [incident_feature(row, lang, config.timezone)
                              for row in summary.incidents]}


@blp.route("/facilities/nearest")
class FacilitiesNearest(MethodView):
    @blp.arguments(NearestArgsSchema, location="query")
    @blp.response(200, FacilityListSchema)
    @blp.alt_response(422, schema=ApiErrorSchema, description="bad position, kind or limit")
    def get(self, args):
        """The facilities nearest to a point, with straight-line distance in metres"""
        lang = _lang(args)
        found = nearest_facilities(get_session(), args["lon"], args["lat"],
                                   kind=args.get("kind"), limit=args["limit"],
                                   max_distance_m=args["max_distance_m"])
        return {"facilities": [{
            "id": near.facility.id, "kind": near.facility.kind,
            "name": pick_name(near.facility.names, lang, near.facility.name),
            "address": near.facility.address, "district": near.facility.district_code,
            "location": {"type": "Point", "coordinates": [near.lon, near.lat]},
            "distance_m": round(near.distance_m)} for near in found]}
