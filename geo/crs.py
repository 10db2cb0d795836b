"""Coordinate reference systems used by the project."""

# Everything is stored and exchanged as WGS84 longitude/latitude (GeoJSON order).
WGS84 = 4326

# Mean Earth radius (IUGG), used for great-circle distances.
EARTH_RADIUS_M = 6_371_008.8
