"""Point construction and validation (always lon, lat) and great-circle distances."""

from __future__ import annotations

import math

from shapely.geometry import Point

from geo.crs import EARTH_RADIUS_M
from geo.errors import InvalidGeometry


def validate_lonlat(lon: float, lat: float) -> tuple[float, float]:
    """Return ``(lon, lat)`` as floats after checking they are finite and in range.

    :raises InvalidGeometry: for NaN, infinities, booleans or values out of range.
    """
    if isinstance(lon, bool) or isinstance(lat, bool):
        raise InvalidGeometry("coordinates must be numbers")
    try:
        lon_f, lat_f = float(lon), float(lat)
    except (TypeError, ValueError) as exc:
        raise InvalidGeometry("coordinates must be numbers") from exc
    if not (math.isfinite(lon_f) and math.isfinite(lat_f)):
        raise InvalidGeometry("coordinates must be finite numbers")
    if not -180.0 <= lon_f <= 180.0:
        raise InvalidGeometry(f"longitude {lon_f} is outside -180..180")
    if not -90.0 <= lat_f <= 90.0:
        raise InvalidGeometry(f"latitude {lat_f} is outside -90..90")
    return lon_f, lat_f


def point_from_lonlat(lon: float, lat: float) -> Point:
    """Build a shapely Point from validated longitude and latitude.

    :raises InvalidGeometry: when the values are not a valid WGS84 position.
    """
    return Point(*validate_lonlat(lon, lat))


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS84 positions."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def degrees_covering(metres: float, lat: float) -> float:
    """Return an angle in degrees at least as wide as ``metres`` in any direction at ``lat``."""
    cos_lat = max(math.cos(math.radians(lat)), 0.01)
    return metres / (EARTH_RADIUS_M * math.pi / 180.0) / cos_lat
