"""Geo engine benchmarks: fence-check latency, alternatives, baselines, index build, GPS-noise quality.

Run with ``.venv/bin/python -m bench.run geo``. Everything is seeded; timings are single-threaded wall
clock (``time.perf_counter_ns`` around each call). Sections:

1. Data: 100,000 places around five Chinese cities (Gaussian, σ ≈ 15–20 km, radii 200–1000 m, mostly
   500 m) and 3,000 zones (star polygons 0.5–6 km, a fifth with a hole). Fixes: 20,000 points near
   random places (σ 400 m), i.e. where reps actually are, which is the dense, expensive case.
2. Our fence check (``fences_at`` + ``zone_at``), one at a time and batched; the tracker's full
   ``update``; fence-grid cell sizes; alternatives (shapely STRtree, 3-D KD-tree, per-rep cache).
3. Baselines: naive geopy loop over all places; PostGIS ``ST_DWithin`` via one persistent connection.
4. Build time and memory for 100k and 1M places.
5. Noise simulation: walking and driving reps, jitter 10/30/60 m, dropouts, out-of-order, stale,
   outliers; precision/recall of ``enter`` against the same engine on the clean route.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import time
import tracemalloc

import numpy as np
import shapely

from geo import FenceSettings, FenceTracker, Fix, GeoIndex, PlaceSpec, ZoneSpec, haversine_m
from geo.distance import EARTH_RADIUS_M, M_PER_DEG

CITIES = {  # (lat, lon) WGS-84 city centres
    "beijing": (39.9042, 116.4074),
    "shanghai": (31.2304, 121.4737),
    "guangzhou": (23.1291, 113.2644),
    "shenzhen": (22.5431, 114.0579),
    "chengdu": (30.5728, 104.0668),
}
N_PLACES = 100_000
N_ZONES = 3_000
N_QUERIES = 20_000
SEED = 20240603


# -- data ----------------------------------------------------------------------------------------------
def make_places(n: int, seed: int = SEED) -> list[PlaceSpec]:
    """n places around the five cities: Gaussian σ 0.15° lat (~17 km); radii mostly 500 m."""
    rng = np.random.default_rng(seed)
    centres = np.array(list(CITIES.values()))
    which = rng.integers(0, len(centres), n)
    lat = centres[which, 0] + rng.normal(0, 0.15, n)
    lon = centres[which, 1] + rng.normal(0, 0.18, n)
    radius = rng.choice([500.0, 300.0, 200.0, 1000.0], n, p=[0.7, 0.15, 0.1, 0.05])
    return [PlaceSpec(i + 1, float(a), float(o), float(r))
            for i, (a, o, r) in enumerate(zip(lat.tolist(), lon.tolist(), radius.tolist(), strict=True))]


def _star(rng, lat, lon, r_m, nv):
    angles = np.sort(rng.uniform(0, 2 * math.pi, nv))
    radii = r_m * rng.uniform(0.5, 1.0, nv)
    k = 1.0 / M_PER_DEG
    return [(lon + r * math.sin(a) * k / math.cos(math.radians(lat)), lat + r * math.cos(a) * k)
            for a, r in zip(angles.tolist(), radii.tolist(), strict=True)]


def make_zones(n: int, seed: int = SEED) -> list[ZoneSpec]:
    """n star-shaped zones (0.5–6 km) around the cities; 20 % have a hole; types cycle over three."""
    rng = np.random.default_rng(seed + 1)
    centres = list(CITIES.values())
    types = ["procurement_led", "private_hospital_dense", "primary_care_gap"]
    zones = []
    for i in range(n):
        c = centres[i % len(centres)]
        lat = c[0] + rng.normal(0, 0.15)
        lon = c[1] + rng.normal(0, 0.18)
        r = float(rng.uniform(500, 6000))
        shell = _star(rng, lat, lon, r, int(rng.integers(8, 25)))
        holes = [_star(rng, lat, lon, r * 0.2, 6)] if rng.random() < 0.2 else []
        zones.append(ZoneSpec(i + 1, types[i % 3], shell, holes))
    return zones


def make_queries(places: list[PlaceSpec], n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """n fixes within ~400 m (σ) of random places — where reps actually are."""
    rng = np.random.default_rng(seed + 2)
    pick = rng.integers(0, len(places), n)
    lat = np.array([places[i].lat for i in pick]) + rng.normal(0, 400 / M_PER_DEG, n)
    lon = np.array([places[i].lon for i in pick]) + rng.normal(0, 400 / M_PER_DEG, n) / np.cos(
        np.radians(lat))
    return lat, lon


# -- timing helpers ------------------------------------------------------------------------------------
def time_each(fn, args: list[tuple], warmup: int = 500) -> np.ndarray:
    """Per-call wall time in µs of fn(*a) for each a (GC off while timing, as in timeit)."""
    for a in args[:warmup]:
        fn(*a)
    out = np.empty(len(args))
    clock = time.perf_counter_ns
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for j, a in enumerate(args):
            t0 = clock()
            fn(*a)
            out[j] = clock() - t0
    finally:
        if gc_was:
            gc.enable()
    return out / 1000.0


def pct(us: np.ndarray) -> tuple[float, float]:
    return float(np.median(us)), float(np.percentile(us, 99))


def row(name, value, unit, baseline=None, baseline_value=None, ratio=None):
    return {"name": name, "value": value, "unit": unit, "baseline": baseline, "baseline_value": baseline_value,
            "ratio": ratio}


def say(msg: str) -> None:
    print(f"  {msg}", flush=True)


# -- alternatives --------------------------------------------------------------------------------------
class StrTreeFences:
    """Alternative 1: shapely STRtree over lon/lat points; query box = max fence radius converted to
    degrees at the query latitude (a local metric projection of the query); exact haversine after."""

    def __init__(self, places):
        self.lat = np.radians([p.lat for p in places])
        self.lon = np.radians([p.lon for p in places])
        self.cos = np.cos(self.lat)
        self.rad = np.array([p.radius_m for p in places])
        self.ids = np.array([p.id for p in places])
        self.maxr = float(self.rad.max())
        self.tree = shapely.STRtree(shapely.points([p.lon for p in places], [p.lat for p in places]))

    def fences_at(self, lat, lon):
        dlat = self.maxr / M_PER_DEG
        dlon = dlat / math.cos(math.radians(lat))
        cand = self.tree.query(shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))
        qa, qo = math.radians(lat), math.radians(lon)
        s1 = np.sin((self.lat[cand] - qa) * 0.5)
        s2 = np.sin((self.lon[cand] - qo) * 0.5)
        d = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(s1 * s1 + math.cos(qa) * self.cos[cand] * s2 * s2))
        keep = d <= self.rad[cand]
        return self.ids[cand[keep]], d[keep]


class KdTreeFences:
    """Alternative 2: scipy cKDTree over 3-D unit vectors; ball query with the chord of the largest
    radius; exact haversine on the candidates (pure Python loop: few candidates)."""

    def __init__(self, places):
        from scipy.spatial import cKDTree

        la = np.radians([p.lat for p in places])
        lo = np.radians([p.lon for p in places])
        self.xyz = np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))
        self.places = places
        self.maxr = max(p.radius_m for p in places)
        self.chord = 2 * math.sin(self.maxr / (2 * EARTH_RADIUS_M)) * (1 + 1e-9)
        self.tree = cKDTree(self.xyz)

    def fences_at(self, lat, lon):
        la, lo = math.radians(lat), math.radians(lon)
        q = (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))
        out = []
        for i in self.tree.query_ball_point(q, self.chord):
            p = self.places[i]
            d = haversine_m(lat, lon, p.lat, p.lon)
            if d <= p.radius_m:
                out.append((d, p.id))
        return out


class CachedFences:
    """Alternative 3: per-rep candidate cache — places within (max radius + 1 km) of where the cache
    was filled, reused while the rep stays within 1 km of that spot; exact check on the cached list."""

    REFILL_M = 1000.0

    def __init__(self, index: GeoIndex):
        self.index = index
        self.cache: dict[int, tuple[float, float, list]] = {}
        self.reach = index._max_radius + self.REFILL_M

    def fences_at(self, rep, lat, lon):
        c = self.cache.get(rep)
        if c is None or haversine_m(lat, lon, c[0], c[1]) > self.REFILL_M:
            cand = [self.index._places[i] for _, i in self.index._within_raw(lat, lon, self.reach)]
            c = (lat, lon, cand)
            self.cache[rep] = c
        return [(d, p.id) for p in c[2] if (d := haversine_m(lat, lon, p.lat, p.lon)) <= p.radius_m]


def walking_tracks(places, n_reps: int, n_fixes: int, seed: int) -> list[list[tuple[float, float]]]:
    """Straight-ish walks (1.4 m/s, a fix every 10 s) starting at random places — for sequential tests."""
    rng = random.Random(seed)
    tracks = []
    for _ in range(n_reps):
        p = places[rng.randrange(len(places))]
        lat, lon, heading = p.lat, p.lon, rng.uniform(0, 360)
        pts = []
        for _ in range(n_fixes):
            heading += rng.gauss(0, 15)
            lat += 14 * math.cos(math.radians(heading)) / M_PER_DEG
            lon += 14 * math.sin(math.radians(heading)) / (M_PER_DEG * math.cos(math.radians(lat)))
            pts.append((lat, lon))
        tracks.append(pts)
    return tracks


# -- sections ------------------------------------------------------------------------------------------
def bench_latency(places, zones, results):
    t0 = time.perf_counter()
    idx = GeoIndex.build(places, zones)
    say(f"index: {len(idx)} places, {idx.zone_count} zones built in {time.perf_counter() - t0:.2f} s")
    qlat, qlon = make_queries(places, N_QUERIES)
    args = list(zip(qlat.tolist(), qlon.tolist(), strict=True))
    hits = [len(idx.fences_at(a, o)) for a, o in args[:5000]]
    in_zone = sum(idx.zone_at(a, o) is not None for a, o in args[:5000]) / 5000
    say(f"fixes near places: {statistics.mean(hits):.2f} fences contain a fix on average "
        f"(max {max(hits)}); {in_zone:.0%} of fixes are in some zone")

    def check(lat, lon):
        idx.fences_at(lat, lon)
        idx.zone_at(lat, lon)

    ours = time_each(check, args)
    med, p99 = pct(ours)
    say(f"fence check (fences_at + zone_at), one at a time: median {med:.2f} µs, p99 {p99:.2f} µs")
    # what FenceTracker.update does per fix: one call, raw tuples, no result objects, no sorting
    eng = time_each(idx._probe, args)
    emed, ep99 = pct(eng)
    say(f"engine fence check (as used by the tracker, raw tuples): median {emed:.2f} µs, p99 {ep99:.2f} µs")
    fen = time_each(idx.fences_at, args)
    zon = time_each(idx.zone_at, args)
    say(f"  of which fences_at median {np.median(fen):.2f} / p99 {np.percentile(fen, 99):.2f} µs; "
        f"zone_at median {np.median(zon):.2f} / p99 {np.percentile(zon, 99):.2f} µs")

    # batched
    per_fix = []
    for s in range(0, N_QUERIES, 1000):
        t = time.perf_counter_ns()
        idx.fences_at_batch(qlat[s:s + 1000], qlon[s:s + 1000])
        idx.zone_at_batch(qlat[s:s + 1000], qlon[s:s + 1000])
        per_fix.append((time.perf_counter_ns() - t) / 1000 / 1000)
    bmed, bp99 = float(np.median(per_fix)), float(np.max(per_fix))
    say(f"batched (1,000 fixes per call): median {bmed:.2f} µs per fix, worst batch {bp99:.2f} µs per fix")

    # tracker end-to-end on walking reps
    tracks = walking_tracks(places, 200, 100, SEED)
    tr = FenceTracker(FenceSettings())
    upd_args = []
    for rep, pts in enumerate(tracks):
        for j, (a, o) in enumerate(pts):
            upd_args.append((rep, Fix(a, o, 15.0, 1_700_000_000_000 + j * 10_000)))
    upd_args.sort(key=lambda t: t[1].ts_ms)  # reps interleaved, as on a server
    upd = time_each(lambda rep, f: tr.update(rep, f, idx), upd_args, warmup=0)
    umed, up99 = pct(upd)
    say(f"tracker.update (hygiene + fences + zones + state), walking reps: median {umed:.2f} µs, "
        f"p99 {up99:.2f} µs")

    results += [
        row("geo.fence_check.single.median", med, "µs"),
        row("geo.fence_check.single.p99", p99, "µs"),
        row("geo.fence_check.engine.median", emed, "µs"),
        row("geo.fence_check.engine.p99", ep99, "µs"),
        row("geo.fences_at.single.p99", float(np.percentile(fen, 99)), "µs"),
        row("geo.zone_at.single.p99", float(np.percentile(zon, 99)), "µs"),
        row("geo.fence_check.batched.median_per_fix", bmed, "µs"),
        row("geo.fence_check.batched.worst_batch_per_fix", bp99, "µs"),
        row("geo.tracker_update.median", umed, "µs"),
        row("geo.tracker_update.p99", up99, "µs"),
    ]
    return idx, args, fen, (med, p99), tracks


def bench_alternatives(places, idx, args, fen, tracks, results):
    fmed, fp99 = pct(fen)
    sub = args[:5000]
    alt = StrTreeFences(places)
    st = time_each(alt.fences_at, sub)
    say(f"alt STRtree (lon/lat box + haversine): median {np.median(st):.2f} µs, p99 {np.percentile(st, 99):.2f} µs")
    results.append(row("geo.alt.strtree.p99", float(np.percentile(st, 99)), "µs", "ours: fences_at p99",
                       fp99, fp99 / float(np.percentile(st, 99))))
    try:
        kd = KdTreeFences(places)
    except ImportError:
        say("alt KD-tree skipped: scipy is not installed (pip install -r requirements-dev.txt)")
    else:
        kt = time_each(kd.fences_at, sub)
        say(f"alt 3-D KD-tree (scipy cKDTree): median {np.median(kt):.2f} µs, p99 {np.percentile(kt, 99):.2f} µs")
        results.append(row("geo.alt.kdtree.p99", float(np.percentile(kt, 99)), "µs", "ours: fences_at p99",
                           fp99, fp99 / float(np.percentile(kt, 99))))
    cache = CachedFences(idx)
    seq = [(rep, a, o) for rep, pts in enumerate(tracks) for a, o in pts]
    ct = time_each(cache.fences_at, seq, warmup=0)
    grid_seq = time_each(idx.fences_at, [(a, o) for _, a, o in seq], warmup=0)
    say(f"alt per-rep candidate cache (walking tracks): median {np.median(ct):.2f} µs, "
        f"p99 {np.percentile(ct, 99):.2f} µs vs grid on the same fixes {np.median(grid_seq):.2f} / "
        f"{np.percentile(grid_seq, 99):.2f} µs")
    results.append(row("geo.alt.rep_cache.p99", float(np.percentile(ct, 99)), "µs", "ours: fences_at p99 same fixes",
                       float(np.percentile(grid_seq, 99)),
                       float(np.percentile(grid_seq, 99)) / float(np.percentile(ct, 99))))
    for cell in (125.0, 500.0):
        t0 = time.perf_counter()
        other = GeoIndex.build(places, fence_cell_m=cell)
        bt = time.perf_counter() - t0
        ot = time_each(other.fences_at, sub)
        say(f"fence grid {cell:.0f} m cells: build {bt:.2f} s, fences_at median {np.median(ot):.2f} µs, "
            f"p99 {np.percentile(ot, 99):.2f} µs (default 250 m: {fmed:.2f} / {fp99:.2f})")
        results.append(row(f"geo.alt.grid_{cell:.0f}m.p99", float(np.percentile(ot, 99)), "µs",
                           "ours: 250 m cells p99", fp99, fp99 / float(np.percentile(ot, 99))))
        del other


def bench_baselines(places, args, ours, results):
    med, p99 = ours
    # naive geopy: every place, every fix
    from geopy.distance import geodesic, great_circle

    pts = [(p.lat, p.lon, p.radius_m) for p in places]
    n_naive = 3
    t0 = time.perf_counter()
    for a, o in args[:n_naive]:
        [1 for la, lo, r in pts if great_circle((a, o), (la, lo)).meters <= r]
    naive = (time.perf_counter() - t0) / n_naive * 1e6
    say(f"naive geopy great_circle loop over all {len(places):,} places: {naive / 1e6:.2f} s per fix "
        f"(measured over {n_naive} full fixes)")
    sub = pts[:2000]
    t0 = time.perf_counter()
    for a, o in args[:5]:
        [1 for la, lo, r in sub if geodesic((a, o), (la, lo)).meters <= r]
    geod = (time.perf_counter() - t0) / 5 * len(pts) / len(sub) * 1e6
    say(f"naive geopy geodesic loop: {geod / 1e6:.2f} s per fix (5 fixes × 2,000 places, scaled ×{len(pts) // 2000} "
        f"— linear in places)")
    results += [
        row("geo.fence_check.single.median_vs_naive_geopy", med, "µs", "naive geopy great_circle loop (measured)",
            naive),
        row("geo.fence_check.single.median_vs_naive_geodesic", med, "µs",
            "naive geopy geodesic loop (extrapolated from 2k places)", geod),
    ]

    from bench._postgis import FENCE_SQL, ensure_postgis, load_places

    conn, why = ensure_postgis()
    if conn is None:
        say(f"PostGIS baseline SKIPPED: {why}")
        return
    with conn:
        t0 = time.perf_counter()
        load_places(conn, [p.id for p in places], [p.lat for p in places], [p.lon for p in places],
                    [p.radius_m for p in places])
        say(f"PostGIS: loaded {len(places):,} places + GiST index in {time.perf_counter() - t0:.1f} s")
        maxr = max(p.radius_m for p in places)
        cur = conn.cursor()
        check = set()
        for a, o in args[:200]:  # also a correctness cross-check against our index
            check.add(len(cur.execute(FENCE_SQL, (o, a, maxr), prepare=True).fetchall()))
        pg = time_each(lambda a, o: cur.execute(FENCE_SQL, (o, a, maxr), prepare=True).fetchall(),
                       args[:3000], warmup=200)
        pmed, pp99 = pct(pg)
        say(f"PostGIS ST_DWithin (geography, GiST, prepared, persistent connection): median {pmed:.0f} µs, "
            f"p99 {pp99:.0f} µs")
        results += [
            row("geo.fence_check.single.median_vs_postgis", med, "µs", "PostGIS ST_DWithin median", pmed),
            row("geo.fence_check.single.p99_vs_postgis", p99, "µs", "PostGIS ST_DWithin p99", pp99),
        ]


def bench_build(results):
    for n in (100_000, 1_000_000):
        places = make_places(n, SEED + n)
        gc.collect()
        t0 = time.perf_counter()
        idx = GeoIndex.build(places)
        bt = time.perf_counter() - t0
        del idx
        gc.collect()
        tracemalloc.start()
        idx = GeoIndex.build(places)
        retained, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del idx
        say(f"build {n:,} places: {bt:.2f} s; memory retained {retained / 2**20:.0f} MiB, "
            f"peak during build {peak / 2**20:.0f} MiB (tracemalloc; the PlaceSpec input not counted)")
        label = f"{n // 1000}k" if n < 1_000_000 else f"{n // 1_000_000}M"
        results += [
            row(f"geo.build.{label}.seconds", bt, "s"),
            row(f"geo.build.{label}.memory_retained", retained / 2**20, "MiB"),
            row(f"geo.build.{label}.memory_peak", peak / 2**20, "MiB"),
        ]
        del places
        gc.collect()


# -- noise simulation ----------------------------------------------------------------------------------
SIM_T0 = 1_700_000_000_000
GRAZE_M = 25.0
"""Graze-tolerant scoring: a clean route that gets less than this deep into a fence, or passes less than
this far outside it, is a graze — a popup there is neither required nor wrong (reported next to the strict
score, never instead of it)."""


def sim_places(seed: int) -> list[PlaceSpec]:
    """400 places in a 10 × 10 km square of Shanghai (4 per km²), radii 200–500 m."""
    rng = np.random.default_rng(seed)
    lat0, lon0 = CITIES["shanghai"]
    k = 5000 / M_PER_DEG
    lat = lat0 + rng.uniform(-k, k, 400)
    lon = lon0 + rng.uniform(-k, k, 400) / math.cos(math.radians(lat0))
    radius = rng.choice([500.0, 300.0, 200.0], 400, p=[0.6, 0.25, 0.15])
    return [PlaceSpec(i + 1, float(a), float(o), float(r))
            for i, (a, o, r) in enumerate(zip(lat.tolist(), lon.tolist(), radius.tolist(), strict=True))]


def _move(lat, lon, dist_m, bearing_deg):
    b = math.radians(bearing_deg)
    return (lat + dist_m * math.cos(b) / M_PER_DEG,
            lon + dist_m * math.sin(b) / (M_PER_DEG * math.cos(math.radians(lat))))


def _bearing(a, b):
    dy = (b[0] - a[0]) * M_PER_DEG
    dx = (b[1] - a[1]) * M_PER_DEG * math.cos(math.radians(a[0]))
    return math.degrees(math.atan2(dx, dy)), math.hypot(dx, dy)


def clean_route(rng: random.Random, places, mode: str) -> list[tuple[int, float, float]]:
    """A scripted day segment: travel between client visits (stops of 5–15 min), passing others.

    Returns (ts_ms, lat, lon) at the fix interval (10 s walking at 1.3 m/s, 5 s driving at 11 m/s).
    """
    speed, step_s, legs = (1.3, 10, 4) if mode == "walk" else (11.0, 5, 5)
    lat0, lon0 = CITIES["shanghai"]
    pos = _move(lat0, lon0, rng.uniform(0, 4000), rng.uniform(0, 360))
    t = SIM_T0 + rng.randrange(0, 3_600_000)
    out = [(t, *pos)]
    for _ in range(legs):
        # next visit: a place 0.8–3 km (walk) or 2–8 km (drive) away
        lo, hi = (800, 3000) if mode == "walk" else (2000, 8000)
        cands = [p for p in places if lo <= haversine_m(pos[0], pos[1], p.lat, p.lon) <= hi]
        target = rng.choice(cands)
        door = _move(target.lat, target.lon, rng.uniform(0, 40), rng.uniform(0, 360))
        # a dog-leg via a random corner so routes are not all straight lines
        corner_b, dist = _bearing(pos, door)
        corner = _move(pos[0], pos[1], dist / 2, corner_b + rng.uniform(-35, 35))
        for wp in (corner, door):
            b, dist = _bearing(pos, wp)
            n = max(1, int(dist / (speed * step_s)))
            for j in range(1, n + 1):
                t += step_s * 1000
                out.append((t, *_move(pos[0], pos[1], dist * j / n, b)))
            pos = wp
        for _ in range(int(rng.uniform(300, 900) / step_s)):  # the visit
            t += step_s * 1000
            out.append((t, *pos))
    return out


def noisy(rng: random.Random, route, sigma: float, mode: str):
    """Fixes as a phone would deliver them: AR(1)-correlated Gaussian jitter (σ per axis), reported
    accuracy ≈ the 68 % radius (1.5σ, ±25 %), 10 % dropouts plus 60–180 s outages, 2 % late
    (out-of-order) deliveries, 1 % stale re-deliveries of a 3–10 min old fix, 1 % wild outliers
    (0.3–2 km) of which half report a bad accuracy."""
    ex = ey = 0.0
    rho = 0.5
    fixes = []
    outage_until = 0
    for t, lat, lon in route:
        ex = rho * ex + math.sqrt(1 - rho * rho) * rng.gauss(0, sigma)
        ey = rho * ey + math.sqrt(1 - rho * rho) * rng.gauss(0, sigma)
        if t < outage_until:
            continue
        if rng.random() < 0.004:
            outage_until = t + rng.uniform(60, 180) * 1000
            continue
        if rng.random() < 0.10:
            continue
        acc = 1.5 * sigma * rng.uniform(0.75, 1.25)
        dx, dy = ex, ey
        if rng.random() < 0.01:
            r, b = rng.uniform(300, 2000), rng.uniform(0, 2 * math.pi)
            dx, dy = r * math.sin(b), r * math.cos(b)
            if rng.random() < 0.5:
                acc = rng.uniform(250, 1500)
        la = lat + dy / M_PER_DEG
        lo = lon + dx / (M_PER_DEG * math.cos(math.radians(lat)))
        fixes.append([t, Fix(la, lo, round(acc, 1), t)])
    # delivery order: late and stale deliveries
    delivered = []
    for i, (t, f) in enumerate(fixes):
        delivered.append((t, f))
        if rng.random() < 0.01 and i > 20:
            old = fixes[max(0, i - rng.randint(18, 60))][1]
            delivered.append((t + 1, old))
    for i in range(len(delivered) - 2):
        if rng.random() < 0.02:
            delivered[i], delivered[i + 1] = delivered[i + 1], delivered[i]
    return [f for _, f in delivered]


def evaluate(settings: FenceSettings, places, idx, mode: str, sigma: float, n_reps: int, seed: int) -> dict:
    """Precision/recall of enter events (rep, place) vs the clean route through the same engine."""
    rng = random.Random(seed)
    truth, got = [], []
    drops = 0
    n_fixes = 0
    depth: dict[tuple[int, int], float] = {}  # (rep, place) -> deepest point of the clean route in the fence
    radius = {p.id: p.radius_m for p in places}
    for rep in range(n_reps):
        route = clean_route(rng, places, mode)
        clean = FenceTracker(settings)
        for t, lat, lon in route:
            for h in idx.places_within(lat, lon, 500.0 + GRAZE_M):
                key = (rep, h.place_id)
                depth[key] = max(depth.get(key, -1e9), radius[h.place_id] - h.distance_m)
            truth += [(rep, e.place_id, e.ts_ms) for e in clean.update(rep, Fix(lat, lon, 0.0, t), idx)
                      if e.event == "enter" and e.place_id is not None]
        tracker = FenceTracker(settings)
        for f in noisy(rng, route, sigma, mode):
            n_fixes += 1
            for e in tracker.update(rep, f, idx):
                if e.event == "enter" and e.place_id is not None:
                    got.append((rep, e.place_id, e.ts_ms))
                drops += e.event == "drop"
    # match each popup to the true entry of the same rep & place closest in time (within 10 min)
    window = 600_000
    unmatched = {}
    for rep, pid, ts in truth:
        unmatched.setdefault((rep, pid), []).append(ts)
    delays, fp, dup = [], 0, 0
    fp_graze = 0  # false popups where the clean route passed within GRAZE_M outside the fence
    matched_keys = {}
    for rep, pid, ts in sorted(got, key=lambda g: g[2]):
        options = unmatched.get((rep, pid), [])
        best = min(options, key=lambda tt: abs(tt - ts), default=None)
        if best is not None and abs(best - ts) <= window:
            options.remove(best)
            delays.append((ts - best) / 1000)
            matched_keys.setdefault((rep, pid), []).append(ts)
        else:
            fp += 1
            fp_graze += depth.get((rep, pid), -1e9) > -GRAZE_M
            if any(abs(ts - m) <= settings.cooldown_s * 1000 for m in matched_keys.get((rep, pid), [])):
                dup += 1
    tp = len(delays)
    # visits that never get GRAZE_M into the fence: optional either way in the "graze-tolerant" score
    grazes = [ts for (rep, pid), left in unmatched.items() for ts in left if depth[(rep, pid)] < GRAZE_M]
    shallow = sum(depth[(rep, pid)] < GRAZE_M for rep, pid, _ in truth)
    missed_deep = len(truth) - tp - len(grazes)
    return {
        "precision_graze_tolerant": (len(got) - fp + fp_graze) / len(got) if got else 1.0,
        "recall_graze_tolerant": 1.0 - missed_deep / (len(truth) - shallow) if len(truth) > shallow else 1.0,
        "truth": len(truth), "popups": len(got), "tp": tp, "fp": fp, "dup": dup, "fixes": n_fixes,
        "drops": drops,
        "precision": tp / len(got) if got else 1.0,
        "recall": tp / len(truth) if truth else 1.0,
        "median_delay_s": statistics.median(delays) if delays else float("nan"),
    }


def bench_noise(results, quick: bool = False):
    places = sim_places(SEED)
    idx = GeoIndex.build(places)
    settings = FenceSettings()
    say(f"noise simulation: {len(places)} places in 10×10 km; settings {settings}")
    cases = [("walk", 10.0), ("walk", 30.0), ("walk", 60.0), ("drive", 30.0), ("drive", 60.0)]
    for mode, sigma in cases:
        n_reps = 60 if mode == "walk" else 40
        r = evaluate(settings, places, idx, mode, sigma, n_reps, SEED + int(sigma) + (mode == "drive"))
        say(f"{mode:5s} σ={sigma:>2.0f} m: {r['truth']} true entries, {r['popups']} popups, "
            f"precision {r['precision']:.3f}, recall {r['recall']:.3f}, duplicates {r['dup']}, "
            f"median delay {r['median_delay_s']:.0f} s ({r['fixes']} fixes, {r['drops']} dropped); "
            f"graze-tolerant ({GRAZE_M:.0f} m) precision {r['precision_graze_tolerant']:.3f}, "
            f"recall {r['recall_graze_tolerant']:.3f}")
        tag = f"geo.noise.{mode}_{sigma:.0f}m"
        results += [
            row(f"{tag}.precision", r["precision"], "ratio"),
            row(f"{tag}.recall", r["recall"], "ratio"),
            row(f"{tag}.duplicate_popups", r["dup"], "count"),
            row(f"{tag}.median_delay", r["median_delay_s"], "s"),
            row(f"{tag}.precision_graze_tolerant", r["precision_graze_tolerant"], "ratio"),
            row(f"{tag}.recall_graze_tolerant", r["recall_graze_tolerant"], "ratio"),
        ]


def run() -> list[dict]:
    """All geo benchmarks; see the module docstring."""
    results: list[dict] = []
    rng_places = make_places(N_PLACES)
    zones = make_zones(N_ZONES)
    say(f"data: {len(rng_places):,} places around {', '.join(CITIES)}; {len(zones):,} zones")
    idx, args, fen, ours, tracks = bench_latency(rng_places, zones, results)
    bench_alternatives(rng_places, idx, args, fen, tracks, results)
    bench_baselines(rng_places, args, ours, results)
    del idx
    bench_noise(results)
    bench_build(results)
    return results
