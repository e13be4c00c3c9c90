"""Coordinate systems: does an import in GCJ-02 / BD-09 land on the right WGS-84 spot?"""

import math

import pytest
from geopy.distance import great_circle
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import (
    bd09_to_wgs84,
    gcj02_to_wgs84,
    haversine_m,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.coords import bd09_to_gcj02, gcj02_to_bd09
from geo.distance import EARTH_RADIUS_M

# Tiananmen Square, Beijing. WGS-84 (39.90734, 116.39089) and the GCJ-02 position an online map
# conversion API returned for it, (39.90874539, 116.39713623), as recorded (marked "# api") in the
# transform_coord tests of an open-source R geocoding package; the same tests give the BD-09 position of
# GCJ-02 (39.908746, 116.397131) as (39.91508839, 116.40350426). The API value is independent of our
# formula, so a sub-metre match shows we reproduce what Amap/Tencent actually serve.
TIANANMEN_WGS84 = (39.90734, 116.39089)
TIANANMEN_GCJ02 = (39.90874539, 116.39713623)
TIANANMEN_GCJ02_B = (39.908746, 116.397131)
TIANANMEN_BD09_B = (39.91508839, 116.40350426)

# googollee/eviltransform python/test.py (commit 3416646): (wgsLat, wgsLng, gcjLat, gcjLng).
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # beijing
]


def test_tiananmen_wgs84_to_gcj02_within_a_metre():
    """Does Tiananmen Square convert WGS-84 → GCJ-02 within 1 m of the reference?"""
    assert haversine_m(*wgs84_to_gcj02(*TIANANMEN_WGS84), *TIANANMEN_GCJ02) < 1.0


def test_tiananmen_gcj02_to_wgs84_within_a_metre():
    """And back: GCJ-02 → WGS-84 within 1 m of the reference?"""
    assert haversine_m(*gcj02_to_wgs84(*TIANANMEN_GCJ02), *TIANANMEN_WGS84) < 1.0
    assert haversine_m(*to_wgs84(*TIANANMEN_GCJ02, "gcj02"), *TIANANMEN_WGS84) < 1.0


def test_tiananmen_bd09_both_ways_within_a_metre():
    """Does the Baidu step (GCJ-02 ↔ BD-09) match the reference both ways?"""
    assert haversine_m(*gcj02_to_bd09(*TIANANMEN_GCJ02_B), *TIANANMEN_BD09_B) < 1.0
    assert haversine_m(*bd09_to_gcj02(*TIANANMEN_BD09_B), *TIANANMEN_GCJ02_B) < 1.0
    bd = wgs84_to_bd09(*TIANANMEN_WGS84)
    assert haversine_m(*bd, *gcj02_to_bd09(*TIANANMEN_GCJ02)) < 1.0
    assert haversine_m(*bd09_to_wgs84(*bd), *TIANANMEN_WGS84) < 0.01
    assert haversine_m(*to_wgs84(*bd, "BD-09"), *TIANANMEN_WGS84) < 0.01


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM)
def test_published_vectors(wlat, wlon, glat, glon):
    """Do we agree with eviltransform's published vectors both ways (forward to 1 cm, inverse to 1 cm)?"""
    assert haversine_m(*wgs84_to_gcj02(wlat, wlon), glat, glon) < 0.01
    assert haversine_m(*gcj02_to_wgs84(glat, glon), wlat, wlon) < 0.01


def test_shift_is_hundreds_of_metres_in_china_and_zero_outside():
    """Is the GCJ-02 shift real in China (so the test above means something) and absent abroad?"""
    assert 300 < haversine_m(*wgs84_to_gcj02(*TIANANMEN_WGS84), *TIANANMEN_WGS84) < 1000
    assert wgs84_to_gcj02(48.8584, 2.2945) == (48.8584, 2.2945)
    assert gcj02_to_wgs84(48.8584, 2.2945) == (48.8584, 2.2945)
    assert to_wgs84(48.8584, 2.2945, "wgs84") == (48.8584, 2.2945)


def test_unknown_system_is_rejected():
    """Does an import with a misspelt coordinate system fail loudly?"""
    with pytest.raises(ValueError, match="unknown coordinate system"):
        to_wgs84(39.9, 116.4, "mars")


@settings(max_examples=200, deadline=None)
@given(st.floats(18.0, 53.0), st.floats(74.0, 134.0))
def test_inverses_round_trip_to_a_centimetre(lat, lon):
    """Anywhere in China, does WGS-84 → GCJ-02/BD-09 → WGS-84 come back within 1 cm?"""
    assert haversine_m(*gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon)), lat, lon) < 0.01
    assert haversine_m(*bd09_to_wgs84(*wgs84_to_bd09(lat, lon)), lat, lon) < 0.01


def test_haversine_matches_geopy_great_circle_on_the_same_sphere():
    """Is haversine_m the same metric as geopy's great_circle with the mean Earth radius?"""
    pairs = [((39.9, 116.4), (31.23, 121.47)), ((89.9, 0.0), (89.9, 180.0)), ((0.0, 179.99), (0.0, -179.99))]
    for a, b in pairs:
        gc = great_circle(a, b, radius=EARTH_RADIUS_M / 1000.0).meters
        assert haversine_m(*a, *b) == pytest.approx(gc, rel=1e-9, abs=1e-6)
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(EARTH_RADIUS_M * math.pi / 180.0)
    assert haversine_m(0.0, 0.0, 0.0, 180.0) == pytest.approx(EARTH_RADIUS_M * math.pi)
