"""Great-circle distance on a spherical Earth.

One metric is used everywhere in ``geo``: the haversine formula on a sphere of the IUGG mean Earth radius
(6 371 008.8 m). Its error against the WGS-84 ellipsoid is below 0.5 % — a few metres on a 500 m fence —
which is far inside GPS noise, and it is the same number the index, the fence tracker and the tests use,
so a place is never "inside" for one and "outside" for another.
"""

from __future__ import annotations

import math

__all__ = ["EARTH_RADIUS_M", "M_PER_DEG", "haversine_m"]

EARTH_RADIUS_M = 6_371_008.8
"""IUGG mean Earth radius in metres."""

M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0
"""Metres per degree of latitude (and of longitude at the equator) on that sphere: about 111 195 m."""

_DEG = math.pi / 180.0
_sin = math.sin
_cos = math.cos
_asin = math.asin
_sqrt = math.sqrt


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees, **(lat, lon) order** (geopy's).

    Works across the antimeridian and at the poles.
    """
    p1 = lat1 * _DEG
    p2 = lat2 * _DEG
    s1 = _sin((p2 - p1) * 0.5)
    s2 = _sin((lon2 - lon1) * _DEG * 0.5)
    h = s1 * s1 + _cos(p1) * _cos(p2) * s2 * s2
    if h > 1.0:  # rounding on antipodal points
        h = 1.0
    return 2.0 * EARTH_RADIUS_M * _asin(_sqrt(h))
