"""Generate tests/fixtures/fence_tracks.json: what ``geo.FenceTracker`` does, fix by fix, on ~75 tracks.

The fixture is the contract between the two fence engines: the server's (``geo/fence.py``) and the phone's
(``pwa/src/core/fence.js``, a port for one rep, places only). ``tests/geo/test_fence_fixture.py`` replays it
through geo and ``pwa/src/core/fence.spec.js`` through the JS engine; both must give exactly the recorded
events. After changing a fence rule (or a default) in geo/, port the change to fence.js, run

    .venv/bin/python scripts/make_fence_fixture.py

and check both tests in (``make test`` and ``cd pwa && npx vitest run src/core/fence.spec.js``).

Deterministic: a fixed seed, only ``random.Random`` draws that are stable across Python versions, fix
coordinates rounded to 1e-7° (so the JSON holds exactly the doubles that were fed to the tracker).
Uses geo's public API only.
"""

from __future__ import annotations

import json
import math
import random
import sys
from dataclasses import fields
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo import FenceSettings, FenceTracker, Fix, GeoIndex, PlaceSpec  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "fence_tracks.json"
SEED = 20260611
CLAT, CLON = 31.2304, 121.4737  # People's Square, Shanghai
T0 = 1_700_000_000_000
M_PER_DEG = 6_371_008.8 * math.pi / 180.0
COS_C = math.cos(math.radians(CLAT))
REP = 1

FORMAT = {
    "places": "[{id, lat, lon, radius_m}] (WGS-84 degrees, metres): one GeoIndex for every track",
    "tracks[].settings": "overrides of FenceSettings / DEFAULT_FENCE_SETTINGS (snake_case names)",
    "tracks[].fixes": "[lat, lon, accuracy_m, ts_ms] or [lat, lon, accuracy_m, ts_ms, received_ms]; "
    "accuracy_m null = unknown; a non-finite number is the string 'NaN', 'Infinity' or '-Infinity' "
    "(JSON has no NaN: decode with float() / Number()); null lat = not a number at all",
    "tracks[].index_changes": "[{at, remove: [place ids]}]: from fix `at` on, the index is rebuilt "
    "without those places",
    "tracks[].events": "geo.FenceTracker's place events and drops, in order: {fix (index into fixes), "
    "event, ts_ms, place_id?, reason?, distance_m? (rounded to 1e-6 m)}; absent keys are None/null",
    "tracks[].final_state": "FenceTracker.export_state(rep) after the last fix (places/cooldown keyed by "
    "str(place id), in insertion order)",
}


# -- places -----------------------------------------------------------------------------------------
def to_latlon(x: float, y: float) -> tuple[float, float]:
    """Local metres east/north of the centre → (lat, lon) degrees (flat approximation, plenty for tracks)."""
    return CLAT + y / M_PER_DEG, CLON + x / (M_PER_DEG * COS_C)


def make_places(rng: random.Random) -> tuple[list[dict], dict[int, tuple[float, float, float]]]:
    """40 'main' places in an 8 km square (every 5th overlapping its predecessor) and an east-west street
    of 80 small ones 5 km south (for driving, and for the cooldown map to exceed 64 entries)."""
    xy: dict[int, tuple[float, float, float]] = {}
    for pid in range(1, 41):
        r = float(rng.randrange(150, 801, 10))
        if pid % 5 == 0:
            px, py, pr = xy[pid - 1]
            d = (pr + r) * rng.uniform(0.45, 0.85)
            b = rng.uniform(0, 2 * math.pi)
            x, y = px + d * math.sin(b), py + d * math.cos(b)
        else:
            while True:
                x, y = rng.uniform(-4000, 4000), rng.uniform(-4000, 4000)
                if all(math.hypot(x - ox, y - oy) > r + orad + 150 for ox, oy, orad in xy.values()):
                    break
        xy[pid] = (x, y, r)
    for k in range(80):
        pid = 101 + k
        xy[pid] = (-16000.0 + 400.0 * k + rng.uniform(-40, 40), -5000.0 + rng.uniform(-30, 30),
                   float(rng.randrange(150, 201, 10)))
    places = []
    for pid, (x, y, r) in xy.items():
        lat, lon = to_latlon(x, y)
        places.append({"id": pid, "lat": round(lat, 7), "lon": round(lon, 7), "radius_m": r})
    # keep the exact (rounded) positions as local metres again, so tracks aim at the real centres
    exact = {}
    for p in places:
        exact[p["id"]] = ((p["lon"] - CLON) * M_PER_DEG * COS_C, (p["lat"] - CLAT) * M_PER_DEG, p["radius_m"])
    return places, exact


# -- tracks -----------------------------------------------------------------------------------------
class Track:
    """A rep's path sampled as GPS fixes with AR(1) (temporally correlated) noise, plus injected faults."""

    def __init__(self, rng: random.Random, name: str, t0: int, *, noise_m: float = 10.0, tau_s: float = 40.0,
                 settings: dict | None = None, acc_none: bool = False):
        self.rng = rng
        self.name = name
        self.t = t0  # ms of the next fix's baseline
        self.x = self.y = 0.0
        self.sigma = noise_m / 1.51  # noise_m is the 68 % radius, as a phone reports it
        self.tau = tau_s
        self.nx = rng.gauss(0, self.sigma)
        self.ny = rng.gauss(0, self.sigma)
        self.t_noise = t0
        self.acc_none = acc_none
        self.settings = dict(settings or {})
        self.fixes: list[list] = []
        self.covers: set[str] = set()
        self.index_changes: list[dict] = []

    # position and time
    def at(self, x: float, y: float) -> Track:
        self.x, self.y = x, y
        return self

    def wait(self, seconds: float) -> Track:
        """Time passes without fixes (app in the background, tunnel, phone off)."""
        self.t += round(seconds * 1000)
        return self

    def _noise(self) -> tuple[float, float]:
        dt = max(0.0, (self.t - self.t_noise) / 1000.0)
        phi = math.exp(-dt / self.tau)
        k = math.sqrt(1.0 - phi * phi) * self.sigma
        self.nx = phi * self.nx + k * self.rng.gauss(0, 1)
        self.ny = phi * self.ny + k * self.rng.gauss(0, 1)
        self.t_noise = self.t
        return self.nx, self.ny

    def emit(self, *, acc: float | str | None = "auto", dx: float = 0.0, dy: float = 0.0,
             received_delay_ms: int | None = None) -> Track:
        nx, ny = self._noise()
        lat, lon = to_latlon(self.x + nx + dx, self.y + ny + dy)
        if acc == "auto":
            acc = None if self.acc_none else round(max(3.0, 1.51 * self.sigma * self.rng.uniform(0.7, 1.4)), 1)
        f = [round(lat, 7), round(lon, 7), acc, self.t]
        if received_delay_ms is not None:
            f.append(self.t + received_delay_ms)
        self.fixes.append(f)
        return self

    def walk_to(self, x: float, y: float, speed: float = 1.4, every: tuple[float, float] = (3, 12),
                **emit_kw) -> Track:
        while True:
            dt = self.rng.uniform(*every)
            d = math.hypot(x - self.x, y - self.y)
            step = speed * dt
            self.t += round(dt * 1000)
            if d <= step:
                self.x, self.y = x, y
                self.emit(**emit_kw)
                return self
            self.x += (x - self.x) * step / d
            self.y += (y - self.y) * step / d
            self.emit(**emit_kw)

    def stay(self, seconds: float, every: tuple[float, float] = (5, 20), **emit_kw) -> Track:
        end = self.t + seconds * 1000
        while self.t < end:
            self.t += round(self.rng.uniform(*every) * 1000)
            self.x += self.rng.uniform(-2, 2)
            self.y += self.rng.uniform(-2, 2)
            self.emit(**emit_kw)
        return self

    # faults
    def duplicate(self) -> Track:
        """The last fix delivered again (same timestamp) → out_of_order."""
        self.fixes.append(list(self.fixes[-1]))
        self.covers.add("duplicate")
        return self

    def late(self, seconds_back: float) -> Track:
        """A cached fix delivered late: out_of_order within stale_after_s, else stale."""
        last = self.fixes[-1]
        self.fixes.append([last[0], last[1], last[2], last[3] - int(seconds_back * 1000)])
        self.covers.add("late")
        return self

    def raw(self, lat, lon, acc, dt_s: float = 5.0, received_delay_ms: int | None = None) -> Track:
        """An arbitrary fix dt_s after the last baseline (the baseline moves on)."""
        self.t += round(dt_s * 1000)
        f = [lat, lon, acc, self.t]
        if received_delay_ms is not None:
            f.append(self.t + received_delay_ms)
        self.fixes.append(f)
        return self

    def outlier(self, distance_m: float, dt_s: float = 5.0) -> Track:
        """One fix distance_m off the true position (a multipath glitch); the rep does not move."""
        b = self.rng.uniform(0, 2 * math.pi)
        self.t += round(dt_s * 1000)
        self.emit(dx=distance_m * math.sin(b), dy=distance_m * math.cos(b))
        self.covers.add("outlier")
        return self

    def remove_places(self, *pids: int) -> Track:
        self.index_changes.append({"at": len(self.fixes), "remove": sorted(pids)})
        return self


def bearing_point(cx: float, cy: float, d: float, b: float) -> tuple[float, float]:
    return cx + d * math.sin(b), cy + d * math.cos(b)


def build_tracks(rng: random.Random, P: dict[int, tuple[float, float, float]]) -> list[Track]:
    tracks: list[Track] = []
    n = [0]

    def new(name: str, **kw) -> Track:
        t = Track(rng, name, T0 + n[0] * 20_000_000 + rng.randrange(0, 1000), **kw)
        n[0] += 1
        tracks.append(t)
        return t

    main = list(range(1, 41))

    def through(t: Track, pid: int, speed: float = 1.4, approach: float = 500.0, offset: float = 0.0,
                **kw) -> Track:
        """Walk a straight line past pid's centre at `offset` metres from it (0: through the centre)."""
        cx, cy, r = P[pid]
        b = rng.uniform(0, 2 * math.pi)
        ox, oy = offset * math.cos(b), -offset * math.sin(b)  # perpendicular to the walking direction
        sx, sy = bearing_point(cx + ox, cy + oy, r + approach, b)
        ex, ey = bearing_point(cx + ox, cy + oy, r + approach, b + math.pi)
        return t.at(sx, sy).emit().walk_to(ex, ey, speed, **kw)

    # 1. walking in and out, jitter 5–40 m
    for i, (noise, settings) in enumerate([(5, {}), (10, {}), (20, {}), (30, {}), (40, {}),
                                           (15, {"filter_accel_mps2": 0})]):
        t = new(f"walk_through_{i}", noise_m=noise, settings=settings)
        through(t, main[i])
        t.covers.add("walk")

    # 2. grazing the edge: closest approach around the radius
    for i, (off, noise, settings) in enumerate([(-40, 10, {}), (-10, 20, {}), (0, 15, {}), (15, 30, {}),
                                                (40, 25, {}), (80, 35, {}),
                                                (-25, 15, {"confirm_edge": 0.5, "confirm_edge_m": 10.0}),
                                                (-60, 20, {"confirm_edge": 1.0, "filter_accel_mps2": 0})]):
        pid = main[6 + i]
        t = new(f"edge_graze_{i}", noise_m=noise, settings=settings)
        through(t, pid, offset=P[pid][2] + off)
        t.covers.add("edge")

    # 3. dwell
    for i, (noise, settings) in enumerate([(10, {}), (25, {"dwell_s": 60, "cooldown_s": 120}),
                                           (15, {"filter_accel_mps2": 0}), (8, {"exit_margin_m": 0,
                                                                                "edge_confidence": 0})]):
        pid = main[14 + i]
        cx, cy, r = P[pid]
        t = new(f"dwell_{i}", noise_m=noise, settings=settings)
        t.at(*bearing_point(cx, cy, r + 600, rng.uniform(0, 6.3))).emit().walk_to(cx, cy).stay(12 * 60)
        t.walk_to(*bearing_point(cx, cy, r + 700, rng.uniform(0, 6.3)))
        t.covers.add("dwell")

    # 4. re-entry within the cooldown (silent), then after it (popup again)
    for i, (noise, settings, away_s) in enumerate([(10, {}, 180), (20, {}, 300),
                                                   (12, {"cooldown_s": 300, "dwell_s": 120}, 400),
                                                   (10, {}, 33 * 60), (18, {"filter_accel_mps2": 0}, 35 * 60),
                                                   (15, {"cooldown_s": 600}, 11 * 60)]):
        pid = main[18 + i]
        cx, cy, r = P[pid]
        b = rng.uniform(0, 6.3)
        out = bearing_point(cx, cy, r + 350, b)
        t = new(f"reentry_{i}", noise_m=noise, settings=settings)
        t.at(*bearing_point(cx, cy, r + 500, b)).emit().walk_to(cx, cy).stay(120)
        t.walk_to(*out).stay(away_s, every=(20, 60)).walk_to(cx, cy).stay(6 * 60).walk_to(*out)
        t.covers.add("reentry")

    # 5. session gaps: silence longer than session_gap_s while inside (closing exits), then back
    for i, (pair, gap_s, settings) in enumerate([(False, 31 * 60, {}), (True, 40 * 60, {}),
                                                 (False, 11 * 60, {"session_gap_s": 600})]):
        pid = 10 if pair else main[24 + i]  # place 10 overlaps place 9
        cx, cy, r = P[pid]
        t = new(f"session_gap_{i}", noise_m=10, settings=settings)
        if pair:
            px, py, _ = P[9]
            cx, cy = (cx + px) / 2, (cy + py) / 2  # in both, if the overlap allows
        t.at(*bearing_point(cx, cy, r + 400, rng.uniform(0, 6.3))).emit().walk_to(cx, cy).stay(180)
        t.wait(gap_s).emit().stay(90)
        ox, oy, _ = P[main[30 + i]]
        t.walk_to(ox, oy, speed=10, every=(2, 5)).stay(60)
        t.covers.add("session_gap")

    # 6. out-of-order, duplicated and stale fixes
    for i in range(4):
        pid = main[27 + i]
        t = new(f"hygiene_order_{i}", noise_m=rng.choice([8, 15, 25]),
                settings=[{}, {"stale_after_s": 30}, {"filter_accel_mps2": 0}, {}][i])
        cx, cy, r = P[pid]
        t.at(*bearing_point(cx, cy, r + 400, rng.uniform(0, 6.3))).emit()
        target = bearing_point(cx, cy, r + 400, rng.uniform(0, 6.3))
        legs = [(cx, cy), target]
        for lx, ly in legs:
            for _ in range(12):
                t.walk_to(t.x + (lx - t.x) / 4, t.y + (ly - t.y) / 4)
                roll = rng.random()
                if roll < 0.25:
                    t.duplicate()
                elif roll < 0.45:
                    t.late(rng.uniform(1, 90))
                elif roll < 0.6:
                    t.late(rng.uniform(150, 900))
        t.stay(60)

    # 7. low accuracy
    for i, settings in enumerate([{}, {"max_accuracy_m": 60}, {"max_accuracy_m": 100, "filter_accel_mps2": 0}]):
        pid = main[31 + i]
        t = new(f"low_accuracy_{i}", noise_m=20, settings=settings)
        cx, cy, r = P[pid]
        t.at(*bearing_point(cx, cy, r + 500, rng.uniform(0, 6.3))).emit().walk_to(cx, cy)
        for _ in range(25):
            t.wait(rng.uniform(4, 10))
            acc = rng.choice([round(rng.uniform(201, 900), 1), 200.0, 60.0, 60.1, round(rng.uniform(40, 150), 1)])
            t.emit(acc=acc)
        t.walk_to(*bearing_point(cx, cy, r + 500, rng.uniform(0, 6.3)))
        t.covers.add("low_accuracy")

    # 8. impossible jumps: a real jump (re-anchor after reanchor_after consistent fixes) or never
    for i, settings in enumerate([{}, {"reanchor_after": 1}, {"reanchor_after": 0}, {"filter_accel_mps2": 0},
                                  {"reanchor_after": 5, "cooldown_s": 60}]):
        a, b = main[34 + i], main[(34 + i + 7) % 40]
        t = new(f"reanchor_{i}", noise_m=10, settings=settings)
        ax, ay, ar = P[a]
        bx, by, br = P[b]
        t.at(*bearing_point(ax, ay, ar + 300, 1.0)).emit().walk_to(ax, ay).stay(60)
        t.at(bx, by).stay(150, every=(3, 8))  # teleported (kilometres in seconds): a taxi ride not logged
        if settings.get("reanchor_after") == 0:
            t.wait(31 * 60).emit().stay(60)  # only a session gap gets this rep moving again
        t.walk_to(*bearing_point(bx, by, br + 300, 2.0))
        t.covers.add("reanchor")

    # 9. a single outlier (and, in some, a real jump the next fix confirms: the filter restarts)
    for i, (dist, settings, real) in enumerate([(3000, {}, False), (260, {}, False),
                                                (260, {"filter_accel_mps2": 0}, False),
                                                (400, {}, True), (400, {"filter_accel_mps2": 0}, True),
                                                (180, {"confirm_jump_m": 0}, False)]):
        pid = main[(2 + 5 * i) % 40]
        cx, cy, r = P[pid]
        t = new(f"outlier_{i}", noise_m=8, settings=settings)
        t.at(*bearing_point(cx, cy, r + 300, 0.5)).emit().walk_to(cx, cy).stay(60)
        for _ in range(3):
            if real:
                b = rng.uniform(0, 6.3)
                t.at(*bearing_point(t.x, t.y, dist, b)).wait(5).emit().stay(40)
                t.covers.add("real_jump")
            else:
                t.outlier(dist, dt_s=rng.uniform(4, 12)).stay(40)
        t.walk_to(*bearing_point(cx, cy, r + 400, 3.0))

    # 10. driving past along the street (and a long drive with a short cooldown: the cooldown map prunes)
    street = list(range(101, 181))
    for i, (speed, settings, span) in enumerate([(12, {}, (10, 22)), (18, {"filter_accel_mps2": 0}, (30, 45)),
                                                 (15, {"confirm_edge": 0.5}, (50, 62)),
                                                 (16, {"cooldown_s": 120, "dwell_s": 30}, (0, 79))]):
        t = new(f"drive_{i}", noise_m=rng.choice([6, 10, 15]), settings=settings)
        sx, sy, _ = P[street[span[0]]]
        ex, ey, _ = P[street[span[1]]]
        every = (2, 4) if i == 3 else (1, 3)
        t.at(sx - 600, sy).emit().walk_to(ex + 600, ey, speed=speed, every=every)
        if i == 3:  # and back a little: re-entries after the cooldown
            t.walk_to(ex - 4000, ey + 20, speed=speed, every=every)
        t.covers.add("drive")

    # 11. accuracy unknown (None): treated as exact
    for i in range(2):
        pid = main[20 + i]
        t = new(f"accuracy_none_{i}", noise_m=12, acc_none=True, settings=[{}, {"filter_accel_mps2": 0}][i])
        cx, cy, r = P[pid]
        t.at(*bearing_point(cx, cy, r + 400, 1.7)).emit().walk_to(cx, cy).stay(400)
        t.walk_to(*bearing_point(cx, cy, r + 400, 4.0))
        t.covers.add("accuracy_none")

    # 12. invalid fixes mixed into a walk (and a longitude 360° off, which is valid: it wraps)
    for i in range(2):
        pid = main[12 + i]
        cx, cy, r = P[pid]
        t = new(f"invalid_{i}", noise_m=10)
        t.at(*bearing_point(cx, cy, r + 300, 0.3)).emit().walk_to(cx, cy)
        lat, lon = to_latlon(t.x, t.y)
        lat, lon = round(lat, 7), round(lon, 7)
        for bad in (["NaN", lon, 10.0], [lat, "Infinity", 10.0], [lat, "-Infinity", 10.0], [999.0, lon, 10.0],
                    [-90.5, lon, 10.0], [lat, lon, -1.0], [lat, lon, "NaN"], [lat, lon, "Infinity"],
                    [None, lon, 10.0], [lat, round(lon + 360.0, 7), 10.0], [lat, round(lon - 720.0, 7), 9.0]):
            t.raw(*bad, dt_s=rng.uniform(3, 9))
        t.stay(400).walk_to(*bearing_point(cx, cy, r + 300, 3.5))
        t.covers.add("invalid")

    # 13. server-side receive times: delivered late (stale by age) or from a phone with a wrong clock
    for i in range(2):
        pid = main[16 + i]
        cx, cy, r = P[pid]
        t = new(f"received_ms_{i}", noise_m=10, settings=[{}, {"max_fix_age_s": 30, "max_clock_skew_s": 60}][i])
        t.at(*bearing_point(cx, cy, r + 300, 2.2)).emit(received_delay_ms=800)
        for _ in range(40):
            t.walk_to(t.x + (cx - t.x) / 6, t.y + (cy - t.y) / 6, received_delay_ms=rng.randrange(100, 3000))
            roll = rng.random()
            if roll < 0.15:
                t.wait(1).emit(received_delay_ms=rng.randrange(31_000, 600_000))  # a batch uploaded much later
            elif roll < 0.3:
                t.wait(1).emit(received_delay_ms=-rng.randrange(61_000, 3_600_000))  # clock ahead of the server
            t.wait(2)
        t.covers.add("received_ms")

    # 14. overlapping places: enters nearest first, dwells in insertion order
    for i, pid in enumerate([5, 15, 25]):
        (ax, ay, ar), (bx, by, br) = P[pid - 1], P[pid]
        t = new(f"overlap_{i}", noise_m=[6, 12, 20][i], settings=[{}, {"dwell_s": 120}, {"filter_accel_mps2": 0}][i])
        mx, my = (ax + bx) / 2, (ay + by) / 2
        t.at(*bearing_point(mx, my, ar + br + 300, 0.9)).emit().walk_to(mx, my).stay(7 * 60)
        t.walk_to(ax, ay).stay(60).walk_to(bx, by).stay(60)
        t.walk_to(*bearing_point(mx, my, ar + br + 300, 4.0))
        t.covers.add("overlap")

    # 15. a place deleted while the rep is inside (index rebuilt): exit with reason place_removed
    pid = main[38]
    cx, cy, r = P[pid]
    t = new("place_removed_0", noise_m=10)
    t.at(*bearing_point(cx, cy, r + 300, 0.1)).emit().walk_to(cx, cy).stay(60)
    t.remove_places(pid)
    t.stay(120).walk_to(*bearing_point(cx, cy, r + 300, 2.0))
    t.covers.add("place_removed")

    # 16. exact boundaries (an off-by-one in either engine shows here): timestamps to the millisecond
    boundary_tracks(new, P)

    # 17. fuzz: random errands between places with a bit of every fault, under assorted settings
    variants = [{}, {"filter_accel_mps2": 0}, {"confirm_edge": 0.5, "confirm_edge_m": 10.0},
                {"cooldown_s": 120, "dwell_s": 60}, {"exit_margin_m": 0, "edge_confidence": 0},
                {"edge_confidence": 1.5, "filter_accel_mps2": 0.1, "filter_speed_gain": 0.2},
                {"session_gap_s": 600, "stale_after_s": 30}, {"confirm_jump_m": 0, "filter_accel_mps2": 0},
                {"reanchor_after": 2, "max_speed_mps": 40}, {}]
    for i, settings in enumerate(variants):
        t = new(f"fuzz_{i}", noise_m=rng.choice([5, 10, 20, 30, 40]), settings=settings)
        stops = rng.sample(main, 4)
        x0, y0, _ = P[stops[0]]
        t.at(x0 + 800, y0).emit()
        for pid in stops:
            cx, cy, r = P[pid]
            tx, ty = cx + rng.uniform(-r, r) * 0.5, cy + rng.uniform(-r, r) * 0.5
            if math.hypot(tx - t.x, ty - t.y) > r + 1500:  # by car to near the next stop, then on foot
                t.walk_to(*bearing_point(tx, ty, r + 700, rng.uniform(0, 6.3)), speed=rng.choice([8.0, 12.0]),
                          every=(3, 12))
            t.walk_to(tx, ty, speed=1.4, every=(3, 12))
            t.stay(rng.uniform(60, 420))
            roll = rng.random()
            if roll < 0.2:
                t.duplicate()
            elif roll < 0.35:
                t.late(rng.uniform(10, 400))
            elif roll < 0.5:
                t.outlier(rng.choice([250, 2500]))
            elif roll < 0.6:
                t.emit(acc=round(rng.uniform(210, 500), 1))
            elif roll < 0.7:
                t.wait(rng.choice([700, 2000])).emit()
        t.covers.add("fuzz")
    return tracks


def boundary_tracks(new, P: dict[int, tuple[float, float, float]]) -> None:
    """Hand-made tracks that sit exactly on the time / accuracy thresholds (>= vs >, one ms either side)."""
    cx, cy, r = P[140]
    inside = [round(v, 7) for v in to_latlon(cx, cy)]
    inside2 = [round(v, 7) for v in to_latlon(cx + 20, cy - 10)]
    outside = [round(v, 7) for v in to_latlon(cx + r + 250, cy)]
    far = [round(v, 7) for v in to_latlon(cx + r + 900, cy + 300)]

    def fixes(t: Track, rows) -> None:
        base = t.t
        for row in rows:
            pos, acc, dt_ms = row[:3]
            f = [pos[0], pos[1], acc, base + dt_ms]
            if len(row) > 3:
                f.append(base + dt_ms + row[3])
            t.fixes.append(f)
        t.covers.add("boundary")

    s = 1000
    # cooldown exactly reached (>=) or 1 ms short; dwell exactly reached or 1 ms short
    t = new("boundary_cooldown_dwell", settings={"cooldown_s": 600, "dwell_s": 300})
    fixes(t, [(inside, 5.0, 0), (outside, 5.0, 120 * s), (inside, 5.0, 240 * s), (outside, 5.0, 360 * s),
              (inside, 5.0, 600 * s),  # 600 s after the first enter: enter again
              (outside, 5.0, 720 * s), (inside2, 5.0, 840 * s), (outside, 5.0, 960 * s),
              (inside, 5.0, 1200 * s - 1),  # 1 ms short of the cooldown: silent
              (inside, 5.0, 1500 * s - 2),  # 1 ms short of dwell_s in this visit
              (inside, 5.0, 1500 * s - 1),  # exactly dwell_s: dwell
              (outside, 5.0, 1620 * s), (inside, 5.0, 1800 * s), (inside2, 5.0, 1800 * s + 300 * s)])
    # session gap: exactly session_gap_s is not a gap, 1 ms more is
    t = new("boundary_session_gap", settings={"filter_accel_mps2": 0})
    fixes(t, [(inside, 5.0, 0), (inside2, 5.0, 1800 * s), (inside, 5.0, 3600 * s + 1), (far, 5.0, 3700 * s),
              (inside, 10.0, 5500 * s), (inside2, 10.0, 5500 * s + 1800 * s + 1)])
    # stale: exactly stale_after_s behind the last accepted fix is out_of_order, 1 ms more is stale
    t = new("boundary_stale")
    fixes(t, [(outside, 5.0, 0), (outside, 5.0, 200 * s), (outside, 5.0, 80 * s), (outside, 5.0, 80 * s - 1),
              (inside, 5.0, 200 * s), (inside, 5.0, 330 * s), (inside, 5.0, 210 * s), (inside, 5.0, 210 * s - 1),
              (inside, 5.0, 340 * s)])
    # receive times: max_fix_age_s / max_clock_skew_s exactly (accepted) or 1 ms beyond (dropped)
    t = new("boundary_received_ms")
    fixes(t, [(outside, 5.0, 0, 500), (outside, 5.0, 10 * s, 120 * s), (outside, 5.0, 20 * s, 120 * s + 1),
              (inside, 5.0, 30 * s, -300 * s), (inside, 5.0, 40 * s, -300 * s - 1), (inside, 5.0, 50 * s, 0),
              (inside2, 5.0, 60 * s, -1)])
    # confirm_edge (filter off, so k = 0.9 × accuracy exactly): a barely-inside first fix of a session enters
    # at once; later a barely-inside enter waits, and the next fix confirms it with half its circle inside
    north = [[round(v, 7) for v in to_latlon(cx, cy + d)] for d in (r - 23.0, r - 12.0, r + 300.0, r - 40.0)]
    edge_a, edge_b, away, deep = north
    t = new("boundary_confirm_edge", settings={"confirm_edge": 1.0, "filter_accel_mps2": 0, "cooldown_s": 60})
    fixes(t, [(edge_a, 20.0, 0),  # first fix: d + k = r - 5, within confirm_edge × acc: enters anyway
              (away, 20.0, 120 * s), (edge_a, 20.0, 240 * s),  # barely inside: waits
              (edge_b, 20.0, 250 * s),  # circle pokes out, but half of it is inside: confirms → enter
              (away, 20.0, 370 * s), (edge_a, 20.0, 490 * s),  # waits ...
              (away, 20.0, 600 * s),  # ... and is not confirmed
              (edge_b, 20.0, 720 * s),  # uncertain, no pending edge: nothing
              (deep, 5.0, 730 * s)])  # clearly inside (d + k = r - 35.5 beyond the 5 m shallow band): enter
    # accuracy exactly max_accuracy_m (accepted) or a hair worse (dropped); zero and unknown accuracy
    t = new("boundary_accuracy", settings={"max_accuracy_m": 60})
    fixes(t, [(outside, 60.0, 0), (outside, 60.000001, 10 * s), (inside, 0.0, 20 * s), (inside2, None, 30 * s),
              (outside, 60.0, 200 * s), (far, 61.0, 210 * s), (far, 1.0, 220 * s)])


# -- recording --------------------------------------------------------------------------------------
def _num(v):
    """A fixture value back to what the tracker gets ('NaN' → nan); JSON keeps non-finite as strings."""
    return float(v) if isinstance(v, str) else v


def replay(track: dict, places: list[dict]) -> tuple[list[dict], dict]:
    """Run a fixture track through geo.FenceTracker: (place events and drops, final exported state)."""
    specs = [PlaceSpec(p["id"], p["lat"], p["lon"], p["radius_m"]) for p in places]
    index = GeoIndex.build(specs)
    changes = {c["at"]: set(c["remove"]) for c in track.get("index_changes", [])}
    removed: set[int] = set()
    tracker = FenceTracker(FenceSettings(**track["settings"]))
    out = []
    for i, f in enumerate(track["fixes"]):
        if i in changes:
            removed |= changes[i]
            index = GeoIndex.build([s for s in specs if s.id not in removed])
        fix = Fix(_num(f[0]), _num(f[1]), _num(f[2]), f[3], f[4] if len(f) > 4 else None)
        for e in tracker.update(REP, fix, index):
            if e.zone_id is not None:
                continue
            ev = {"fix": i, "event": e.event, "ts_ms": e.ts_ms}
            if e.place_id is not None:
                ev["place_id"] = e.place_id
            if e.reason is not None:
                ev["reason"] = e.reason
            if e.distance_m is not None:
                ev["distance_m"] = round(e.distance_m, 6)
            out.append(ev)
    return out, tracker.export_state(REP)


def default_settings() -> dict:
    s = FenceSettings()
    return {f.name: getattr(s, f.name) for f in fields(s)}


def _dump(data: dict) -> str:
    """Compact JSON, one fix / event per line (reviewable diffs, ~1 MB)."""
    d = json.dumps
    lines = ["{"]
    for k in ("about", "format", "seed", "default_settings"):
        lines.append(f"{d(k)}: {d(data[k], ensure_ascii=False)},")
    lines.append('"places": [')
    lines.append(",\n".join(d(p) for p in data["places"]))
    lines.append("],")
    lines.append('"tracks": [')
    chunks = []
    for t in data["tracks"]:
        head = ", ".join(f"{d(k)}: {d(t[k])}" for k in ("name", "covers", "settings", "index_changes"))
        body = [
            "{" + head + ",",
            '"fixes": [',
            ",\n".join(d(f, separators=(",", ":"), allow_nan=False) for f in t["fixes"]),
            "],",
            '"events": [',
            ",\n".join(d(e, separators=(",", ":")) for e in t["events"]),
            "],",
            f'"final_state": {d(t["final_state"], separators=(",", ":"))}' + "}",
        ]
        chunks.append("\n".join(body))
    lines.append(",\n".join(chunks))
    lines.append("]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    rng = random.Random(SEED)
    places, local = make_places(rng)
    tracks = []
    for t in build_tracks(rng, local):
        track = {"name": t.name, "covers": sorted(t.covers), "settings": t.settings,
                 "index_changes": t.index_changes, "fixes": t.fixes}
        track["events"], track["final_state"] = replay(track, places)
        tracks.append(track)
    data = {
        "about": "Fence engine contract: geo.FenceTracker's events for these tracks. Generated by "
        "scripts/make_fence_fixture.py (do not edit by hand); checked by tests/geo/test_fence_fixture.py "
        "(geo) and pwa/src/core/fence.spec.js (the phone's JS port).",
        "format": FORMAT,
        "seed": SEED,
        "default_settings": default_settings(),
        "places": places,
        "tracks": tracks,
    }
    text = _dump(data)
    assert json.loads(text) == data
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")

    counts: dict[str, int] = {}
    for t in tracks:
        for e in t["events"]:
            k = e["event"] + (f":{e['reason']}" if "reason" in e else "")
            counts[k] = counts.get(k, 0) + 1
    nfix = sum(len(t["fixes"]) for t in tracks)
    print(f"{OUT.relative_to(ROOT)}: {len(tracks)} tracks, {nfix} fixes, {len(places)} places, "
          f"{len(text) / 1e6:.2f} MB")
    for k in sorted(counts):
        print(f"  {k}: {counts[k]}")


if __name__ == "__main__":
    main()
