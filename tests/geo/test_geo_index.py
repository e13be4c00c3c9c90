"""The index: do its answers equal a brute-force haversine scan, anywhere on Earth?"""

import math

import numpy as np
import pytest
import shapely
from geo_helpers import offset
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from geo import GeoIndex, PlaceHit, PlaceSpec, ZoneHit, ZoneSpec, haversine_m

# Latitudes that favour the hard places: poles, the equator; longitudes near the antimeridian.
lats = st.one_of(st.floats(-90.0, 90.0), st.floats(84.0, 90.0), st.floats(-90.0, -84.0))
lons = st.one_of(st.floats(-180.0, 180.0), st.floats(177.0, 180.0), st.floats(-180.0, -177.0))
radii = st.one_of(st.floats(0.0, 3000.0), st.just(500.0), st.floats(3000.0, 200_000.0))


@st.composite
def places_and_query(draw, max_places=30):
    """Random places worldwide plus a query point, often close to one of them."""
    n = draw(st.integers(0, max_places))
    places = [
        PlaceSpec(i * 7 + 3, draw(lats), draw(lons), draw(radii)) for i in range(n)
    ]
    if places and draw(st.booleans()):
        p = draw(st.sampled_from(places))
        q = offset(p.lat, p.lon, draw(st.floats(0.0, 1.5 * p.radius_m + 10)), draw(st.floats(0, 360)))
    else:
        q = (draw(lats), draw(lons))
    return places, q


def brute(places, lat, lon, limit):
    """(distance, id) of places with distance <= limit(place), nearest first; and those on the fence."""
    rows = [(haversine_m(lat, lon, p.lat, p.lon), p.id, p) for p in places]
    return sorted((d, pid) for d, pid, p in rows if d <= limit(p)), rows


def ids(hits):
    return [h.place_id for h in hits]


def assert_same_hits(got, expected):
    """Same places, nearest first, with the brute-force distances (order of float ties may differ)."""
    assert sorted(ids(got)) == sorted(pid for _, pid in expected)
    want = {pid: d for d, pid in expected}
    for h in got:
        assert h.distance_m == pytest.approx(want[h.place_id], rel=1e-9, abs=1e-6)
    assert [h.distance_m for h in got] == sorted(h.distance_m for h in got)


def near_boundary(rows, limit):
    """True when some place sits within a micrometre of the limit: float ties, skip the example."""
    return any(abs(d - limit(p)) < 1e-6 for d, _, p in rows)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(places_and_query(), st.sampled_from([0.0, 0.0, 75.0, -40.0, 2500.0]))
def test_fences_at_equals_brute_force(data, extra_m):
    """Are fences_at's places exactly those whose radius + extra contains the point, nearest first?"""
    places, (lat, lon) = data
    idx = GeoIndex.build(places)
    expected, rows = brute(places, lat, lon, lambda p: p.radius_m + extra_m)
    assume(not near_boundary(rows, lambda p: p.radius_m + extra_m))
    assert_same_hits(idx.fences_at(lat, lon, extra_m), expected)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(places_and_query(), st.one_of(st.floats(0.0, 5000.0), st.floats(5000.0, 2.1e7)))
def test_places_within_equals_brute_force(data, radius_m):
    """Does places_within return exactly the places within the radius, for tiny to planet-wide radii?"""
    places, (lat, lon) = data
    idx = GeoIndex.build(places)
    expected, rows = brute(places, lat, lon, lambda p: radius_m)
    assume(not near_boundary(rows, lambda p: radius_m))
    assert_same_hits(idx.places_within(lat, lon, radius_m), expected)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(places_and_query(), st.integers(1, 6))
def test_nearest_equals_brute_force(data, k):
    """Are nearest's k places the k nearest by great-circle distance (ties by id)?"""
    places, (lat, lon) = data
    idx = GeoIndex.build(places)
    rows = sorted((haversine_m(lat, lon, p.lat, p.lon), p.id) for p in places)
    got = idx.nearest(lat, lon, k)
    assert len(got) == min(k, len(places))
    for h, (d, _) in zip(got, rows, strict=False):
        assert h.distance_m == pytest.approx(d, abs=1e-6)  # equal distances may swap ids


def test_antimeridian_and_pole_neighbours_are_found():
    """Is a place 100 m across the antimeridian, or across the North Pole, still in its fence?"""
    across = PlaceSpec(1, 10.0, 179.9995, 200)  # ~55 m east of the line
    polar = PlaceSpec(2, 89.9995, 0.0, 200)
    idx = GeoIndex.build([across, polar])
    lat, lon = offset(10.0, 179.9995, 100, 90)  # lands at lon ≈ -179.9996
    assert lon < 0
    assert ids(idx.fences_at(lat, lon)) == [1]
    assert ids(idx.fences_at(89.9995, 180.0)) == [2]  # other side of the pole, ~111 m away
    assert idx.fences_at(89.9995, 180.0)[0].distance_m == pytest.approx(111.2, abs=0.2)
    assert ids(idx.fences_at(10.0, 179.9995 - 360.0)) == [1]  # unnormalised longitude is wrapped


def test_high_latitude_fence_is_round_not_stretched():
    """At 78° N (Svalbard), is a 500 m fence 500 m east-west too, not 2.4 km as in a degree box?"""
    idx = GeoIndex.build([PlaceSpec(1, 78.22, 15.65, 500)])
    assert ids(idx.fences_at(*offset(78.22, 15.65, 495, 90))) == [1]
    assert ids(idx.fences_at(*offset(78.22, 15.65, 505, 90))) == []
    assert ids(idx.fences_at(*offset(78.22, 15.65, 505, 90), extra_m=10)) == [1]


def test_build_and_accessors():
    """Does the index report its size, version, places and reject bad input?"""
    idx = GeoIndex.build([PlaceSpec(5, 31.0, 121.0), PlaceSpec(6, 31.0, 121.01, 80)], version=42)
    assert len(idx) == 2 and idx.version == 42
    assert idx.place(6) == PlaceSpec(6, 31.0, 121.01, 80.0)
    assert idx.place(5).radius_m == 500.0
    with pytest.raises(KeyError):
        idx.place(7)
    with pytest.raises(AttributeError):
        idx.version = 3
    with pytest.raises(ValueError, match="duplicate place id"):
        GeoIndex.build([PlaceSpec(1, 0, 0), PlaceSpec(1, 1, 1)])
    with pytest.raises(ValueError):
        GeoIndex.build([PlaceSpec(1, 91.0, 0)])
    with pytest.raises(ValueError):
        GeoIndex.build([PlaceSpec(1, 0, 0, -5)])
    with pytest.raises(ValueError):
        idx.fences_at(float("nan"), 0)
    empty = GeoIndex.build([])
    assert len(empty) == 0 and empty.fences_at(0, 0) == [] and empty.nearest(0, 0, 3) == []
    assert empty.zone_at(0, 0) is None


def test_batch_queries_equal_single_queries():
    """Do the batched fence and zone lookups return the same answers as one-at-a-time calls?"""
    rng = np.random.default_rng(7)
    places = [PlaceSpec(i, 31.2 + rng.normal(0, 0.02), 121.47 + rng.normal(0, 0.02), 500) for i in range(400)]
    zones = [square_zone(i, 31.2 + rng.normal(0, 0.03), 121.47 + rng.normal(0, 0.03), 1500) for i in range(30)]
    idx = GeoIndex.build(places, zones)
    qlat = 31.2 + rng.normal(0, 0.025, 500)
    qlon = 121.47 + rng.normal(0, 0.025, 500)
    fix, pid, dist = idx.fences_at_batch(qlat, qlon)
    zb = idx.zone_at_batch(qlat, qlon)
    total = 0
    for j in range(len(qlat)):
        single = idx.fences_at(qlat[j], qlon[j])
        total += len(single)
        assert pid[fix == j].tolist() == ids(single)
        assert dist[fix == j] == pytest.approx([h.distance_m for h in single])
        z = idx.zone_at(qlat[j], qlon[j])
        assert zb[j] == (z.zone_id if z else -1)
    assert total > 100 and (zb >= 0).sum() > 50  # the data actually exercised both paths


# -- zones ---------------------------------------------------------------------------------------------
def square_zone(zid, lat, lon, half_m, zone_type="procurement_led", holes=()):
    dlat = half_m / 111_195.0
    dlon = dlat / math.cos(math.radians(lat))
    shell = [(lon - dlon, lat - dlat), (lon + dlon, lat - dlat), (lon + dlon, lat + dlat), (lon - dlon, lat + dlat)]
    return ZoneSpec(zid, zone_type, shell, holes)


def test_zone_with_hole_and_nested_zones():
    """Is a point in a hole outside, and does zone_at pick the smallest zone containing the point?"""
    big = square_zone(1, 31.2, 121.4, 3000, "private_hospital_dense")
    hole = [(121.39, 31.19), (121.41, 31.19), (121.41, 31.21), (121.39, 31.21)]
    donut = ZoneSpec(2, "primary_care_gap", big.shell, [hole])
    small = square_zone(3, 31.215, 121.415, 300, "procurement_led")
    idx = GeoIndex.build([], [big, small])
    assert idx.zone_at(31.215, 121.415) == ZoneHit(3, "procurement_led")
    assert [z.zone_id for z in idx.zones_at(31.215, 121.415)] == [3, 1]
    assert idx.zone_at(31.18, 121.38) == ZoneHit(1, "private_hospital_dense")
    assert idx.zone_at(31.5, 121.4) is None

    idx2 = GeoIndex.build([], [donut])
    assert idx2.zone_at(31.2, 121.4) is None  # in the hole
    assert idx2.zone_at(31.185, 121.4) == ZoneHit(2, "primary_care_gap")
    assert idx2.zone(2).zone_type == "primary_care_gap"


def test_zone_crossing_the_antimeridian():
    """Does a zone drawn across 180° (Fiji-style ring) contain points on both sides, and not elsewhere?"""
    z = ZoneSpec(9, "islands", [(179.0, -17.0), (-179.0, -17.0), (-179.0, -16.0), (179.0, -16.0)])
    idx = GeoIndex.build([], [z])
    assert idx.zone_at(-16.5, 179.5) == ZoneHit(9, "islands")
    assert idx.zone_at(-16.5, -179.5) == ZoneHit(9, "islands")
    assert idx.zone_at(-16.5, 0.0) is None
    assert idx.zone_at(-16.5, 178.5) is None


def test_invalid_zones():
    """Are a bowtie repaired and a degenerate zone rejected?"""
    bowtie = ZoneSpec(1, "t", [(0, 0), (1, 1), (1, 0), (0, 1)])
    idx = GeoIndex.build([], [bowtie])
    assert idx.zone_at(0.5, 0.1) is not None
    with pytest.raises(ValueError, match="no area"):
        GeoIndex.build([], [ZoneSpec(2, "t", [(0, 0), (1, 1), (2, 2)])])
    with pytest.raises(ValueError, match="duplicate zone id"):
        GeoIndex.build([], [bowtie, bowtie])


@st.composite
def star_zone(draw, zid):
    """A random star-shaped polygon (optionally with a hole) within a few km of Shanghai."""
    clat = draw(st.floats(31.15, 31.25))
    clon = draw(st.floats(121.40, 121.55))
    nv = draw(st.integers(3, 14))
    angles = sorted(draw(st.lists(st.floats(0, 2 * math.pi), min_size=nv, max_size=nv, unique=True)))
    rs = draw(st.lists(st.floats(300, 6000), min_size=nv, max_size=nv))
    shell = [(offset(clat, clon, r, math.degrees(a))[::-1]) for a, r in zip(angles, rs, strict=True)]
    holes = []
    if draw(st.booleans()):
        hr = min(rs) * 0.5
        holes = [[offset(clat, clon, hr, b)[::-1] for b in (0, 120, 240)]]
    return ZoneSpec(zid, draw(st.sampled_from(["a", "b", "c"])), shell, holes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_zones_at_equals_shapely_brute_force(data):
    """For random overlapping zones with holes, are zones_at/zone_at exactly the shapely containment?"""
    zones = [data.draw(star_zone(i)) for i in range(data.draw(st.integers(1, 6)))]
    geoms = {}
    for z in zones:
        g = shapely.Polygon(z.shell, z.holes)
        assume(g.is_valid and g.area > 0)
        geoms[z.id] = g
    idx = GeoIndex.build([], zones)
    areas = {z.id: idx._zone_areas[idx._zone_pos[z.id]] for z in zones}
    pts = data.draw(st.lists(st.tuples(st.floats(31.08, 31.32), st.floats(121.32, 121.63)),
                             min_size=20, max_size=20))
    for lat, lon in pts:
        inside = [zid for zid, g in geoms.items() if g.intersects(shapely.Point(lon, lat))]
        got = idx.zones_at(lat, lon)
        assert sorted(z.zone_id for z in got) == sorted(inside)
        assert [z.zone_id for z in got] == sorted(inside, key=lambda zid: (areas[zid], zid))
        best = idx.zone_at(lat, lon)
        assert (best.zone_id if best else None) == (got[0].zone_id if got else None)


def test_zone_area_ranking_uses_metres_not_degrees():
    """Near 60° N, is a square of 2 km sides smaller than a 'degree-smaller' but wider zone?"""
    a = square_zone(1, 60.0, 10.0, 1000)  # 4 km²
    dlat = 1500 / 111_195.0
    b = ZoneSpec(2, "t", [(9.96, 60.0 - dlat), (10.04, 60.0 - dlat), (10.04, 60.0 + dlat), (9.96, 60.0 + dlat)])
    idx = GeoIndex.build([], [a, b])
    assert idx.zone_at(60.0, 10.0).zone_id == 1


def test_hit_types_are_frozen():
    """Are the value types immutable, as the app shares them across threads?"""
    for obj, field in ((PlaceHit(1, 2.0), "place_id"), (ZoneHit(1, "x"), "zone_type"),
                       (PlaceSpec(1, 0, 0), "lat")):
        with pytest.raises(AttributeError):
            setattr(obj, field, 3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_zones_at_near_edges_and_vertices_equals_shapely(data):
    """Points on, and a hair either side of, zone edges and vertices: does the index's own side-of-edge
    test (or its GEOS fallback) give exactly shapely's answer, boundary counting as inside?"""
    zones = [data.draw(star_zone(i)) for i in range(data.draw(st.integers(1, 4)))]
    geoms = {}
    for z in zones:
        g = shapely.Polygon(z.shell, z.holes)
        assume(g.is_valid and g.area > 0)
        geoms[z.id] = g
    idx = GeoIndex.build([], zones)
    ring = list(data.draw(st.sampled_from(zones)).shell)
    for _ in range(25):
        i = data.draw(st.integers(0, len(ring) - 1))
        (x0, y0), (x1, y1) = ring[i], ring[(i + 1) % len(ring)]
        t = data.draw(st.sampled_from([0.0, 1.0, 0.5, data.draw(st.floats(0.0, 1.0))]))
        off = data.draw(st.sampled_from([0.0, 1e-13, -1e-13, 1e-9, -1e-9, 1e-7, -1e-7, 1e-4, -1e-4, 3e-3]))
        norm = math.hypot(x1 - x0, y1 - y0) or 1.0
        lon = x0 + t * (x1 - x0) - off * (y1 - y0) / norm
        lat = y0 + t * (y1 - y0) + off * (x1 - x0) / norm
        inside = sorted(zid for zid, g in geoms.items() if g.intersects(shapely.Point(lon, lat)))
        assert sorted(z.zone_id for z in idx.zones_at(lat, lon)) == inside
        best = idx.zone_at(lat, lon)
        assert (best.zone_id if best else None) == (idx.zones_at(lat, lon)[0].zone_id if inside else None)


def test_zone_cells_answer_like_geos_on_a_dense_sample():
    """Thousands of random points over overlapping zones with holes: the index's per-cell side-of-edge
    tests agree with GEOS everywhere, and most zone cells are answered without GEOS."""
    rng = np.random.default_rng(7)
    zones = []
    for i in range(40):
        clat, clon = 31.2 + rng.normal(0, 0.05), 121.45 + rng.normal(0, 0.05)
        n = int(rng.integers(5, 20))
        angles = np.sort(rng.uniform(0, 2 * math.pi, n))
        shell = [offset(clat, clon, r, math.degrees(a))[::-1]
                 for a, r in zip(angles, rng.uniform(800, 5000, n), strict=True)]
        holes = [[offset(clat, clon, 300, b)[::-1] for b in (0, 120, 240)]] if i % 4 == 0 else []
        zones.append(ZoneSpec(i, "t", shell, holes))
    idx = GeoIndex.build([], zones)
    kinds = [e[2] for _, part, _, _ in idx._zcells.values() for e in part]
    assert sum(k != 0 for k in kinds) > 0.5 * len(kinds)
    geoms = {z.id: shapely.Polygon(z.shell, z.holes) for z in zones}
    lats = rng.uniform(31.05, 31.35, 20000)
    lons = rng.uniform(121.3, 121.6, 20000)
    for lat, lon in zip(lats.tolist(), lons.tolist(), strict=True):
        want = sorted(zid for zid, g in geoms.items() if shapely.intersects_xy(g, lon, lat))
        assert sorted(z.zone_id for z in idx.zones_at(lat, lon)) == want
