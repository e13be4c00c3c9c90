"""Battlemap geo engine: places, zones, fences — pure Python (shapely, geopy, numpy), no Flask.

Coordinates are WGS-84 degrees. Functions and methods take **(lat, lon)** (geopy's order); zone rings are
**(lon, lat)** pairs (shapely's x, y). Distances are great-circle metres (:func:`haversine_m`, mean
Earth radius 6 371 008.8 m). Times are epoch milliseconds from the fixes themselves, never the wall clock.
"""

from .coords import bd09_to_wgs84, gcj02_to_wgs84, to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from .distance import EARTH_RADIUS_M, haversine_m
from .fence import FenceEvent, FenceSettings, FenceTracker, Fix
from .index import GeoIndex, PlaceHit, PlaceSpec, ZoneHit, ZoneSpec
from .replay import read_track_csv, replay, replay_fixes

__all__ = [
    "EARTH_RADIUS_M",
    "FenceEvent",
    "FenceSettings",
    "FenceTracker",
    "Fix",
    "GeoIndex",
    "PlaceHit",
    "PlaceSpec",
    "ZoneHit",
    "ZoneSpec",
    "bd09_to_wgs84",
    "gcj02_to_wgs84",
    "haversine_m",
    "read_track_csv",
    "replay",
    "replay_fixes",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
