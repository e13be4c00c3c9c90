"""Chinese map coordinate systems ↔ WGS-84.

Phones report WGS-84. Amap (高德) and Tencent maps give GCJ-02 (国测局坐标, "Mars coordinates"), Baidu gives
BD-09 (百度坐标), both shifted by up to ~700 m. Imports must say which system their coordinates are in and
convert to WGS-84 with :func:`to_wgs84` before a place or zone enters the index.

The forward formulas (WGS-84 → GCJ-02 and GCJ-02 → BD-09) are the standard published ones, identical in
every open implementation (e.g. googollee/eviltransform). There is no closed-form inverse, so the inverses
here iterate the forward transform (fixed-point on the offset) until the round trip is within 1e-9 degrees
(~0.1 mm); the common one-step "approximate" inverse is off by 1–2 m.

Hand-written rather than a dependency: the PyPI packages for this (eviltransform, coord-convert, …) are
small, unmaintained single-file projects, and the formulas are 40 lines.

All functions take and return **(lat, lon) in degrees** (geopy order). Outside the rough bounding box of
mainland China that the providers use, GCJ-02 equals WGS-84.
"""

from __future__ import annotations

import math

__all__ = [
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_PI = math.pi
_X_PI = math.pi * 3000.0 / 180.0
_TOL_DEG = 1e-9
_MAX_ITER = 30

SYSTEMS = ("wgs84", "gcj02", "bd09")


def out_of_china(lat: float, lon: float) -> bool:
    """True when (lat, lon) is outside the bounding box in which GCJ-02 applies an offset."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * _PI) + 20.0 * math.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * _PI) + 40.0 * math.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * _PI) + 320.0 * math.sin(y * _PI / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * _PI) + 20.0 * math.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * _PI) + 40.0 * math.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * _PI) + 300.0 * math.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 (lat, lon) degrees → GCJ-02 (lat, lon) degrees. Identity outside China."""
    if out_of_china(lat, lon):
        return lat, lon
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * _PI
    magic = math.sin(radlat)
    magic = 1.0 - _EE * magic * magic
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * _PI)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * _PI)
    return lat + dlat, lon + dlon


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 (lat, lon) degrees → BD-09 (lat, lon) degrees (Baidu's extra shift, applied everywhere)."""
    x, y = lon, lat
    z = math.sqrt(x * x + y * y) + 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) + 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 (lat, lon) degrees → BD-09 (lat, lon) degrees."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


def _invert(forward, lat: float, lon: float) -> tuple[float, float]:
    """Solve forward(w) == (lat, lon) for w by fixed-point iteration on the (slowly varying) offset."""
    wlat, wlon = lat, lon
    for _ in range(_MAX_ITER):
        flat, flon = forward(wlat, wlon)
        elat, elon = flat - lat, flon - lon
        if abs(elat) < _TOL_DEG and abs(elon) < _TOL_DEG:
            break
        wlat -= elat
        wlon -= elon
    return wlat, wlon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 (lat, lon) degrees → WGS-84 (lat, lon) degrees, exact to ~0.1 mm by iteration."""
    if out_of_china(lat, lon):
        return lat, lon
    return _invert(wgs84_to_gcj02, lat, lon)


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """BD-09 (lat, lon) degrees → GCJ-02 (lat, lon) degrees, exact to ~0.1 mm by iteration."""
    return _invert(gcj02_to_bd09, lat, lon)


def bd09_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """BD-09 (lat, lon) degrees → WGS-84 (lat, lon) degrees, exact to ~0.1 mm by iteration."""
    return _invert(wgs84_to_bd09, lat, lon)


def to_wgs84(lat: float, lon: float, system: str) -> tuple[float, float]:
    """Convert (lat, lon) degrees given in ``system`` ('wgs84' | 'gcj02' | 'bd09') to WGS-84 (lat, lon).

    Raises ValueError for an unknown system name.
    """
    s = system.lower().replace("-", "").replace("_", "")
    if s == "wgs84":
        return float(lat), float(lon)
    if s == "gcj02":
        return gcj02_to_wgs84(lat, lon)
    if s == "bd09":
        return bd09_to_wgs84(lat, lon)
    raise ValueError(f"unknown coordinate system {system!r}; expected one of {', '.join(SYSTEMS)}")
