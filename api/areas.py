"""Districts, dongs and "who owns this point"."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.context import language, settings
from api.db import get_session
from api.presenters import named
from api.schemas import (
    ApiErrorSchema,
    AreaQueryArgsSchema,
    FeatureCollectionSchema,
    LocateArgsSchema,
    LocationSchema,
)
from dispatch.areas import get_areas, list_area_features, route_point

blp = Blueprint("areas", __name__, url_prefix="/api/v1",
                description="Service areas: districts (gu) and administrative dongs.")

CACHE_HEADERS = {"Cache-Control": "public, max-age=300"}


def _collection(level: str, args: dict) -> dict:
    reader = language()
    features = []
    for item in list_area_features(get_session(), level, simplified=args["detail"] == "simple",
                                   district_code=args.get("district")):
        area = item["area"]
        properties = {**named(area.code, area.names, reader, area.name), "names": area.names}
        if level == "dong":
            properties["district_code"] = area.district_code
        else:
            properties["office_phone"] = area.office_phone
        features.append({"type": "Feature", "id": area.code, "properties": properties,
                         "geometry": item["geometry"]})
    return {"type": "FeatureCollection", "features": features}


@blp.route("/districts")
class Districts(MethodView):
    @blp.arguments(AreaQueryArgsSchema, location="query")
    @blp.response(200, FeatureCollectionSchema)
    def get(self, args):
        """List districts as GeoJSON"""
        return _collection("district", args), 200, CACHE_HEADERS


@blp.route("/dongs")
class Dongs(MethodView):
    @blp.arguments(AreaQueryArgsSchema, location="query")
    @blp.response(200, FeatureCollectionSchema)
    def get(self, args):
        """List administrative dongs as GeoJSON (``district=`` narrows to one district)"""
        return _collection("dong", args), 200, CACHE_HEADERS


@blp.route("/locate")
class Locate(MethodView):
    @blp.arguments(LocateArgsSchema, location="query")
    @blp.response(200, LocationSchema)
    @blp.alt_response(422, schema=ApiErrorSchema,
                      description="validation_error or outside_service_area")
    def get(self, args):
        """Find the district and dong that own a point"""
        config = settings()
        session = get_session()
        routed = route_point(session, args["lon"], args["lat"],
                             tolerance_m=config.routing_tolerance_m,
                             refresh_seconds=config.area_refresh_seconds)
        district, dong = get_areas(session, routed)
        reader = language()
        return {
            "district": named(district.code, district.names, reader, district.name),
            "dong": named(dong.code, dong.names, reader, dong.name),
            "distance_m": round(routed.distance_m, 1),
            "inside": routed.distance_m == 0.0,
        }
