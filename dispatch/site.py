"""How far a position reported on a complaint (a move's GPS, a photo's EXIF) lies from its spot."""

from __future__ import annotations

from geoalchemy2.shape import to_shape

from dispatch.models import Complaint, LocationPrecision
from geo.points import haversine_m


def known_site(complaint: Complaint) -> tuple[float, float] | None:
    """The complaint's spot (lon, lat), or None when it knows only its dong.

    A report by text is stored at a point inside its dong that stands for the whole dong:
    a distance from it would call an inspector at the real spot "far from the site".
    """
    if complaint.location_precision != LocationPrecision.POINT.value:
        return None
    point = to_shape(complaint.location)
    return point.x, point.y


def distance_from_site(site: tuple[float, float] | None, lonlat: tuple[float, float],
                       max_distance_m: float) -> tuple[float | None, bool]:
    """(metres from ``site``, whether beyond ``max_distance_m``); (None, False) with no site."""
    if site is None:
        return None, False
    distance = round(haversine_m(*site, *lonlat), 1)
    return distance, distance > max_distance_m
