"""Helpers shared by the geo tests (imported by name: tests/geo is on sys.path under pytest)."""

import math

from geo.distance import EARTH_RADIUS_M


def offset(lat: float, lon: float, distance_m: float, bearing_deg: float) -> tuple[float, float]:
    """The point ``distance_m`` metres from (lat, lon) degrees along ``bearing_deg``, on the geo sphere."""
    d = distance_m / EARTH_RADIUS_M
    b = math.radians(bearing_deg)
    p1 = math.radians(lat)
    l1 = math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    lon2 = (math.degrees(l2) + 540.0) % 360.0 - 180.0
    return math.degrees(p2), lon2
