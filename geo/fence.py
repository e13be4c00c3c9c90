"""Per-rep fence state: enter / inside / dwell / exit with hysteresis, cooldown and fix hygiene.

The rules, in the order a fix goes through them (see docs/geo.md for the field-sales version):

1. **Hygiene** — a fix is *dropped* (a ``drop`` event whose ``reason`` says why; the state is unchanged):

   * ``invalid``: latitude/longitude out of range or not a number, negative or non-finite accuracy;
   * ``out_of_order``: its timestamp is not after the last accepted fix (equal counts: a re-delivery);
   * ``stale``: older than the last accepted fix by more than ``stale_after_s`` (a cached fix delivered
     late), or — when the server knows the receive time (``Fix.received_ms``) — older than
     ``max_fix_age_s`` on arrival;
   * ``future_timestamp``: with ``Fix.received_ms`` known, dated more than ``max_clock_skew_s`` ahead
     of it (a phone with a wrong clock would otherwise make every later fix look out of order);
   * ``low_accuracy``: ``accuracy_m`` worse than ``max_accuracy_m``;
   * ``impossible_speed``: reaching it from the last accepted fix needs more than ``max_speed_mps``,
     after giving both fixes the benefit of their accuracy circles. If ``reanchor_after`` such fixes in
     a row agree with each other (a real jump, or the previous fix was the outlier), the last of them is
     accepted and becomes the new anchor.

2. **Session** — a fix more than ``session_gap_s`` after the last accepted one starts afresh: the rep is
   outside everything, cooldowns are forgotten, so the first fix inside a fence enters (the rep who opens
   the app at the hospital door gets the card). Places and zones the rep was still inside are closed with
   ``exit`` events (``reason="session_gap"``, timestamped at the last fix seen there).

3. **Position** — with ``filter_accel_mps2`` > 0 (the default), the fences below are decided on a smoothed
   position (a per-rep constant-velocity Kalman filter weighted by ``accuracy_m``) and its uncertainty in
   place of the fix and its accuracy; the first fix of a session is taken as it is. See ``_filter``.

   **Places** — with ``k = edge_confidence × accuracy_m`` (accuracy ``None`` counts as 0):

   * enter when ``distance + k <= radius`` (the accuracy circle is wholly inside). A fix inside the fence
     whose circle straddles the edge is *uncertain*: it is accepted (it moves the rep) but neither enters
     nor exits anything, and produces no event — it is not useless, so it is not a drop;
   * exit when ``distance - k > radius + exit_margin_m`` (hysteresis: jitter at the edge cannot flap);
   * an ``enter`` is emitted only if the last ``enter`` for that place is at least ``cooldown_s`` old;
     a quicker re-entry marks the rep inside again silently (no second popup; a tracker made with
     ``report_suppressed``, as the replay's is, says so with a ``suppressed`` event, ``reason="cooldown"``);
   * ``dwell`` once per visit, on the first fix at least ``dwell_s`` after the visit started.

4. **Zones** — the same enter / exit-with-margin / straddle rules against the polygon boundary (holes
   included), over every zone containing the fix. Zones have no cooldown and no dwell.

Events of one fix come in this order: place exits, zone exits, zone enters, place enters (nearest first),
dwells. Only fix timestamps (epoch ms) drive time, so a replay gives the same events every time.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from .distance import M_PER_DEG, haversine_m
from .index import GeoIndex, check_point

__all__ = ["DROP_REASONS", "SUPPRESS_REASONS", "FenceEvent", "FenceSettings", "FenceTracker", "Fix"]

DROP_REASONS = ("invalid", "out_of_order", "stale", "future_timestamp", "low_accuracy", "impossible_speed")
SUPPRESS_REASONS = ("cooldown", "unconfirmed_jump", "edge_pending", "uncertain_edge")
"""Why an enter that a fix came close to was not emitted (``suppressed`` events, with ``report_suppressed``):
``cooldown`` — a return inside the cooldown (marked inside silently, no popup); ``unconfirmed_jump`` — the fix
leapt there and the enter waits for the next fix to agree; ``edge_pending`` — barely inside with
``confirm_edge`` on, the next fix decides; ``uncertain_edge`` — the centre is inside but the accuracy circle
straddles the fence, so it neither enters nor exits."""
_STATE_VERSION = 1
_ACC_TO_SIGMA = 1 / 1.51  # a 68 % radius (reported accuracy) → σ per axis of a circular Gaussian
_RAD = math.pi / 180.0
_GATE2 = 16.0  # (4 σ)²: innovations beyond this are not blended into the position filter
_V0_VAR = 25.0  # prior velocity variance (m/s)² per axis when the filter starts: anything up to ~10 m/s


@dataclass(frozen=True, slots=True)
class FenceSettings:
    """Tunable fence rules. Distances in metres, durations in seconds (of fix time, not wall clock)."""

    exit_margin_m: float = 50.0
    """Leave a place only this far beyond its radius (hysteresis)."""
    cooldown_s: float = 1800
    """No second ``enter`` (popup) for the same place within this time of the previous one."""
    dwell_s: float = 300
    """Inside a place this long → one ``dwell`` event (a visit check-in candidate)."""
    max_accuracy_m: float = 200.0
    """Fixes reporting a worse accuracy are dropped (``low_accuracy``)."""
    max_speed_mps: float = 70.0
    """Faster than this (252 km/h) between accepted fixes is a glitch (``impossible_speed``)."""
    session_gap_s: float = 1800
    """No accepted fix for this long → next fix starts a new session (outside everything)."""
    edge_confidence: float = 0.9
    """Multiplier on ``accuracy_m`` (or, with the position filter, on the smoothed position's
    uncertainty) for the straddle test; 0 trusts the position blindly. 0.9 balances missed and false
    popups with the filter on (docs/geo.md); it was 1.0 before the filter."""
    stale_after_s: float = 120
    """A dropped old fix more than this behind the last accepted one is reported ``stale``."""
    max_fix_age_s: float = 120
    """With ``Fix.received_ms`` set, fixes older than this on arrival are dropped as ``stale``."""
    max_clock_skew_s: float = 300
    """With ``Fix.received_ms`` set, fixes dated this far in the future are dropped (``future_timestamp``):
    one such fix would otherwise make every later, correct fix look out of order."""
    reanchor_after: int = 3
    """This many consecutive, mutually consistent ``impossible_speed`` fixes re-anchor the rep (0: never)."""
    confirm_jump_m: float = 100.0
    """A fix that lands more than this far from the previous accepted fix (beyond both accuracy circles)
    *and* faster than ``confirm_speed_mps`` is a *jump*: its enters and exits wait for the next fix to
    agree (0: never wait). The first fix of a session never waits."""
    confirm_speed_mps: float = 15.0
    """See ``confirm_jump_m``: 54 km/h, faster than a rep moves in town, slower than a GPS outlier."""
    confirm_edge: float = 0.0
    """Off by default (0). An enter whose fix is barely inside — its accuracy circle (× ``edge_confidence``)
    ends less than ``confirm_edge × accuracy_m`` + ``confirm_edge_m`` inside the fence — waits for the next
    accepted fix, which confirms it if it is inside with at least half its accuracy circle
    (``distance + edge_confidence × accuracy / 2 <= radius``). The first fix of a session never waits (the
    card at the door). Trades recall and delay for precision; see docs/geo.md for measurements."""
    confirm_edge_m: float = 0.0
    """See ``confirm_edge``: a fixed depth in metres added to the accuracy-scaled one."""
    filter_accel_mps2: float = 0.02
    """Position filter (0: off, every fix decides on its own). Fences are decided on a smoothed position:
    a small constant-velocity Kalman filter per rep that weighs each fix by its reported accuracy and
    expects the rep's velocity to change by about this much per second (m/s², plus
    ``filter_speed_gain`` × the current speed); the smoothed position's own uncertainty takes the place of
    ``accuracy_m`` in the enter / exit / straddle rules. The first fix of a session, and the first after
    a re-anchor, is taken as it is. A fix far outside the filter's expectation (more than 4 σ and more
    than ``confirm_jump_m``) is not blended in; if the next one agrees with it, the filter restarts
    there. Hygiene (drops, speed check) always looks at the raw fixes."""
    filter_speed_gain: float = 0.05
    """See ``filter_accel_mps2``: extra expected acceleration (m/s²) per m/s of the rep's speed, so a
    driving rep's smoothed position follows turns quickly while a walking one is averaged over longer."""

    def __post_init__(self):
        for name in ("exit_margin_m", "cooldown_s", "dwell_s", "max_accuracy_m", "max_speed_mps",
                     "session_gap_s", "edge_confidence", "stale_after_s", "max_fix_age_s", "max_clock_skew_s",
                     "reanchor_after", "confirm_jump_m", "confirm_speed_mps", "confirm_edge",
                     "confirm_edge_m", "filter_accel_mps2", "filter_speed_gain"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and v >= 0 and math.isfinite(v)):
                raise ValueError(f"FenceSettings.{name} must be a finite number >= 0, got {v!r}")
        if self.max_speed_mps == 0:
            raise ValueError("FenceSettings.max_speed_mps must be > 0")


@dataclass(frozen=True, slots=True)
class Fix:
    """One location fix from a phone: WGS-84 ``lat``/``lon`` degrees, ``accuracy_m`` (68 % radius in
    metres, None = unknown, treated as exact), ``ts_ms`` when it was measured (epoch ms), and optionally
    ``received_ms`` when the server got it (enables the age check; leave None in replays)."""

    lat: float
    lon: float
    accuracy_m: float | None
    ts_ms: int
    received_ms: int | None = None


@dataclass(frozen=True, slots=True)
class FenceEvent:
    """What the tracker concluded from a fix. ``event`` is 'enter' | 'exit' | 'dwell' | 'drop' | 'suppressed'
    (the last only from a tracker made with ``report_suppressed``; its ``reason`` is one of ``SUPPRESS_REASONS``).

    Place events carry ``place_id``, zone events ``zone_id``; ``reason`` explains drops and unusual exits
    (``session_gap``, ``place_removed``, ``zone_removed``); ``distance_m`` is the great-circle distance to
    the place when known.
    """

    rep_id: int
    ts_ms: int
    event: str
    place_id: int | None = None
    zone_id: int | None = None
    reason: str | None = None
    distance_m: float | None = None

    def as_dict(self) -> dict:
        """The replay JSON line: ``{"rep_id","ts","event","place_id","zone_id","reason"}``."""
        return {
            "rep_id": self.rep_id,
            "ts": self.ts_ms,
            "event": self.event,
            "place_id": self.place_id,
            "zone_id": self.zone_id,
            "reason": self.reason,
        }


class _RepState:
    __slots__ = ("acc", "cooldown", "jump", "kf", "lat", "lon", "pending", "places", "ts", "zones")

    def __init__(self):
        self.ts = 0
        self.lat = 0.0
        self.lon = 0.0
        self.acc = 0.0
        self.places: dict[int, list] = {}  # place_id -> [visit_start_ts, dwell_sent]
        self.cooldown: dict[int, int] = {}  # place_id -> ts of the last emitted enter
        self.zones: set[int] = set()
        self.jump: list | None = None  # [lat, lon, acc, ts, count] of rejected-but-consistent fixes
        self.pending: set = set()  # ("enter"|"exit", "place"|"zone", id) proposed by the last fix, a jump
        self.kf: list | None = None  # [lat, lon, ve, vn, a, b, c, ts, outlier]


def _read_filter(kf) -> list | None:
    """The position filter from an exported state: [lat, lon, v_east, v_north, P00, P01, P11, ts, outlier]
    with outlier None or [lat, lon, accuracy, ts]."""
    if kf is None:
        return None
    vals = [float(x) for x in kf[:7]]
    out = kf[8]
    out = None if out is None else [float(out[0]), float(out[1]), float(out[2]), int(out[3])]
    if len(kf) != 9 or not all(math.isfinite(x) for x in vals + (out or [])):
        raise ValueError("bad filter state")
    check_point(vals[0], vals[1])
    return [*vals, int(kf[7]), out]


class FenceTracker:
    """Fence state of many reps, in memory, keyed by ``rep_id``. Thread-safe (one lock per tracker).

    ``update`` is the whole engine for one fix; ``export_state``/``import_state`` carry a rep's state
    across a reconnect or to another process as a JSON-safe dict.

    ``report_suppressed`` (the replay's tracker) adds a ``suppressed`` event for each enter the rules held
    back, with the reason; it changes no decision and no state, so the live tracker leaves it off.
    """

    def __init__(self, settings: FenceSettings | None = None, *, report_suppressed: bool = False):
        self.settings = settings or FenceSettings()
        self.report_suppressed = report_suppressed
        self._states: dict[int, _RepState] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._states)

    # -- public API ---------------------------------------------------------------------------------
    def update(self, rep_id: int, fix: Fix, index: GeoIndex) -> list[FenceEvent]:
        """Run one fix of ``rep_id`` through the rules against ``index``; returns the events it causes."""
        with self._lock:
            return self._update(rep_id, fix, index)

    def forget(self, rep_id: int) -> None:
        """Drop all state of a rep (e.g. on logout); the next fix starts a new session."""
        with self._lock:
            self._states.pop(rep_id, None)

    def last_ts(self, rep_id: int) -> int | None:
        """The time (epoch ms) of the rep's last accepted fix, None without state; cheap (no export)."""
        with self._lock:
            st = self._states.get(rep_id)
            return None if st is None else st.ts

    def export_state(self, rep_id: int) -> dict:
        """The rep's state as a JSON-safe dict (``{"version": 1, "last": None}`` when there is none)."""
        with self._lock:
            st = self._states.get(rep_id)
            if st is None:
                return {"version": _STATE_VERSION, "last": None}
            return {
                "version": _STATE_VERSION,
                "last": {"ts": st.ts, "lat": st.lat, "lon": st.lon, "acc": st.acc},
                "places": {str(pid): {"since": v[0], "dwelled": v[1]} for pid, v in st.places.items()},
                "cooldown": {str(pid): t for pid, t in st.cooldown.items()},
                "zones": sorted(st.zones),
                "jump": list(st.jump) if st.jump is not None else None,
                "pending": sorted([list(p) for p in st.pending]),
                "filter": None if st.kf is None else [*st.kf[:8], None if st.kf[8] is None else list(st.kf[8])],
            }

    def import_state(self, rep_id: int, state: dict) -> None:
        """Restore a rep's state from :meth:`export_state` output (replaces any current state).

        Raises ValueError on an unknown version or a malformed dict.
        """
        if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
            raise ValueError("unsupported fence state")
        last = state.get("last")
        with self._lock:
            if last is None:
                self._states.pop(rep_id, None)
                return
            try:
                st = _RepState()
                st.ts = int(last["ts"])
                st.lat, st.lon = check_point(last["lat"], last["lon"])
                st.acc = float(last["acc"])
                st.places = {int(k): [int(v["since"]), bool(v["dwelled"])]
                             for k, v in state.get("places", {}).items()}
                st.cooldown = {int(k): int(v) for k, v in state.get("cooldown", {}).items()}
                st.zones = {int(z) for z in state.get("zones", ())}
                jump = state.get("jump")
                st.jump = None if jump is None else [float(jump[0]), float(jump[1]), float(jump[2]),
                                                     int(jump[3]), int(jump[4])]
                st.pending = {(str(a), str(b), int(c)) for a, b, c in state.get("pending", ())}
                st.kf = _read_filter(state.get("filter"))  # absent in states saved before the filter
            except (KeyError, TypeError, IndexError, ValueError) as exc:
                raise ValueError(f"malformed fence state: {exc}") from exc
            self._states[rep_id] = st

    # -- engine -------------------------------------------------------------------------------------
    def _update(self, rep_id: int, fix: Fix, index: GeoIndex) -> list[FenceEvent]:
        s = self.settings
        ts = int(fix.ts_ms)
        try:
            lat, lon = check_point(fix.lat, fix.lon)
            acc = 0.0 if fix.accuracy_m is None else float(fix.accuracy_m)
        except (TypeError, ValueError):
            return [FenceEvent(rep_id, ts, "drop", reason="invalid")]
        if not (acc >= 0.0 and math.isfinite(acc)):
            return [FenceEvent(rep_id, ts, "drop", reason="invalid")]

        st = self._states.get(rep_id)
        if st is not None and ts <= st.ts:
            stale = st.ts - ts > s.stale_after_s * 1000
            return [FenceEvent(rep_id, ts, "drop", reason="stale" if stale else "out_of_order")]
        if fix.received_ms is not None:
            if fix.received_ms - ts > s.max_fix_age_s * 1000:
                return [FenceEvent(rep_id, ts, "drop", reason="stale")]
            if ts - fix.received_ms > s.max_clock_skew_s * 1000:
                return [FenceEvent(rep_id, ts, "drop", reason="future_timestamp")]
        if acc > s.max_accuracy_m:
            return [FenceEvent(rep_id, ts, "drop", reason="low_accuracy")]

        events: list[FenceEvent] = []
        if st is not None and ts - st.ts > s.session_gap_s * 1000:
            self._close(rep_id, st, st.ts, "session_gap", events)
            st = None
        jumped = False
        fresh = st is None
        if fresh:
            st = _RepState()
            self._states[rep_id] = st
        reanch = False
        if not fresh:
            moved = haversine_m(st.lat, st.lon, lat, lon) - st.acc - acc
            dt_s = (ts - st.ts) / 1000.0
            if moved > s.max_speed_mps * dt_s:
                if not self._reanchor(st, lat, lon, acc, ts):
                    events.append(FenceEvent(rep_id, ts, "drop", reason="impossible_speed"))
                    return events
                reanch = True
                # re-anchored: several fixes in a row already agree, which is the confirmation
            else:
                jumped = 0.0 < s.confirm_jump_m < moved and moved > s.confirm_speed_mps * dt_s
        st.jump = None
        st.ts, st.lat, st.lon, st.acc = ts, lat, lon, acc
        if s.filter_accel_mps2 > 0.0:
            # the filter takes over the jump rule: a held-back jump does not move the smoothed position,
            # and a fix it blends in (or restarts on) is consistent with what came before
            lat, lon, acc = self._filter(st, lat, lon, acc, ts, fresh or reanch, jumped)
            jumped = False
        self._evaluate(rep_id, st, lat, lon, acc, ts, index, events, jumped, fresh)
        return events

    def _filter(self, st: _RepState, lat: float, lon: float, acc: float, ts: int,
                reset: bool, jumped: bool) -> tuple[float, float, float]:
        """Blend an accepted fix into the rep's position filter; returns the smoothed (lat, lon, accuracy).

        Constant-velocity Kalman filter in local metres (east and north share one 2×2 covariance, since
        the measurement noise is a circle): state position + velocity, process noise from
        ``filter_accel_mps2`` + ``filter_speed_gain`` × speed, measurement noise from ``accuracy_m`` (a
        68 % radius: σ per axis = accuracy / 1.51). A fix is held back (not blended in) when it is a
        *jump* from the previous fix (``confirm_jump_m``) that is also more than 4 σ and
        ``confirm_jump_m`` from the prediction. The returned position is then the prediction; if the next
        fix is also far from the prediction and within ``max_speed_mps`` of the held-back one, the filter
        restarts there."""
        s = self.settings
        r = (acc * _ACC_TO_SIGMA) ** 2
        kf = st.kf
        cl = math.cos(lat * _RAD)
        if reset or kf is None or cl < 1e-6:
            st.kf = [lat, lon, 0.0, 0.0, r, 0.0, _V0_VAR, ts, None]
            return lat, lon, acc
        flat, flon, ve, vn, a, b, c, t0, out = kf
        dt = (ts - t0) / 1000.0
        g = s.filter_accel_mps2 + s.filter_speed_gain * math.sqrt(ve * ve + vn * vn)
        q = g * g
        # predict
        flat += vn * dt / M_PER_DEG
        flon += ve * dt / (M_PER_DEG * cl)
        a += dt * (2.0 * b + dt * c) + q * dt * dt * dt / 3.0
        b += dt * c + q * dt * dt / 2.0
        c += q * dt
        # innovation in local metres
        dy = (lat - flat) * M_PER_DEG
        dx = ((lon - flon + 180.0) % 360.0 - 180.0) * M_PER_DEG * cl
        e2 = dx * dx + dy * dy
        v = a + r
        if e2 > _GATE2 * v and e2 > s.confirm_jump_m * s.confirm_jump_m:
            if out is not None and (haversine_m(out[0], out[1], lat, lon) - out[2] - acc
                                    <= s.max_speed_mps * (ts - out[3]) / 1000.0):
                # two fixes in a row, both far from what the filter expected and possible to travel
                # between (the speed check): the rep really moved, so the filter restarts there
                st.kf = [lat, lon, 0.0, 0.0, r, 0.0, _V0_VAR, ts, None]
                return lat, lon, acc
        else:
            jumped = False
        if jumped:  # a jump from the last fix that the filter did not expect either: hold it back
            st.kf = [flat, flon, ve, vn, a, b, c, ts, [lat, lon, acc, ts]]
            return flat, flon, math.sqrt(a) / _ACC_TO_SIGMA
        k0 = a / v if v > 0.0 else 1.0
        k1 = b / v if v > 0.0 else 0.0
        flat += k0 * dy / M_PER_DEG
        flon += k0 * dx / (M_PER_DEG * cl)
        flon = (flon + 180.0) % 360.0 - 180.0
        flat = min(90.0, max(-90.0, flat))
        vn += k1 * dy
        ve += k1 * dx
        c -= k1 * b
        a *= 1.0 - k0
        b *= 1.0 - k0
        if a < 0.0:
            a = 0.0
        st.kf = [flat, flon, ve, vn, a, b, c, ts, None]
        return flat, flon, math.sqrt(a) / _ACC_TO_SIGMA

    def _reanchor(self, st: _RepState, lat: float, lon: float, acc: float, ts: int) -> bool:
        """Track consecutive too-fast fixes; True when enough of them agree to trust the new position."""
        s = self.settings
        j = st.jump
        if j is not None and ts > j[3]:
            moved = haversine_m(j[0], j[1], lat, lon) - j[2] - acc
            if moved <= s.max_speed_mps * (ts - j[3]) / 1000.0:
                count = j[4] + 1
                if 0 < s.reanchor_after <= count:
                    return True
                st.jump = [lat, lon, acc, ts, count]
                return False
        st.jump = [lat, lon, acc, ts, 1]
        return 0 < s.reanchor_after <= 1

    def _close(self, rep_id, st: _RepState, ts: int, reason: str, events: list) -> None:
        for pid in sorted(st.places):
            events.append(FenceEvent(rep_id, ts, "exit", place_id=pid, reason=reason))
        for zid in sorted(st.zones):
            events.append(FenceEvent(rep_id, ts, "exit", zone_id=zid, reason=reason))

    def _evaluate(self, rep_id, st: _RepState, lat, lon, acc, ts, index: GeoIndex, events: list,
                  jumped: bool = False, fresh: bool = False) -> None:
        s = self.settings
        k = s.edge_confidence * acc
        inside = st.places
        raw, zidx = index._probe(lat, lon)
        # After a jump, a change (enter/exit) happens only if the previous fix proposed it too; so does a
        # barely-inside enter (see FenceSettings.confirm_edge) unless this fix starts the session.
        previous = st.pending
        st.pending = set()
        proposed = previous if jumped else None
        shallow = -1.0 if fresh else s.confirm_edge * acc + s.confirm_edge_m
        if not raw and not inside and not zidx and not st.zones:
            return  # the common case: nowhere near anything
        report = self.report_suppressed

        def confirmed(change: tuple) -> bool:
            if proposed is None or change in proposed:
                return True
            st.pending.add(change)
            return False

        radius = index._radius
        ids = index._ids
        enters = []
        dist: dict[int, float] = {}
        for d, i in raw:
            pid = ids[i]
            dist[pid] = d
            if pid not in inside:
                if d + k <= radius[i]:
                    if d + k > radius[i] - shallow and ("edge", "place", pid) not in previous:
                        st.pending.add(("edge", "place", pid))  # barely inside: the next fix decides
                        if report:
                            events.append(FenceEvent(rep_id, ts, "suppressed", place_id=pid, reason="edge_pending",
                                                     distance_m=d))
                        continue
                    enters.append((d, pid))
                elif ("edge", "place", pid) in previous and d + 0.5 * k <= radius[i]:
                    enters.append((d, pid))  # confirms a barely-inside fix: inside, if uncertain
                elif report and d <= radius[i]:
                    events.append(FenceEvent(rep_id, ts, "suppressed", place_id=pid, reason="uncertain_edge",
                                             distance_m=d))

        # place exits (hysteresis: beyond radius + margin, even allowing for the accuracy circle)
        if inside:
            for pid in sorted(inside):
                if pid in dist:
                    continue
                if not index.has_place(pid):
                    del inside[pid]
                    events.append(FenceEvent(rep_id, ts, "exit", place_id=pid, reason="place_removed"))
                    continue
                d = index.distance_to_place_m(pid, lat, lon)
                dist[pid] = d
                if d - k > index.place(pid).radius_m + s.exit_margin_m and confirmed(("exit", "place", pid)):
                    del inside[pid]
                    events.append(FenceEvent(rep_id, ts, "exit", place_id=pid, distance_m=d))

        # zones
        if zidx or st.zones:
            zids = index._zone_ids
            now = [zids[j] for j in zidx]
            now_set = set(now)
            for zid in sorted(st.zones - now_set):
                if zid not in index._zone_pos:
                    st.zones.discard(zid)
                    events.append(FenceEvent(rep_id, ts, "exit", zone_id=zid, reason="zone_removed"))
                elif (not index.zone_edge_within(zid, lat, lon, s.exit_margin_m + k)
                      and confirmed(("exit", "zone", zid))):
                    st.zones.discard(zid)
                    events.append(FenceEvent(rep_id, ts, "exit", zone_id=zid))
            for zid in now:
                if (zid not in st.zones and (k == 0.0 or not index.zone_edge_within(zid, lat, lon, k))
                        and confirmed(("enter", "zone", zid))):
                    st.zones.add(zid)
                    events.append(FenceEvent(rep_id, ts, "enter", zone_id=zid))

        # place enters, nearest first; cooldown decides whether the popup fires again
        if enters and proposed is not None:
            held = [e for e in enters if not confirmed(("enter", "place", e[1]))]
            if held:
                enters = [e for e in enters if e not in held]
                if report:
                    events.extend(FenceEvent(rep_id, ts, "suppressed", place_id=pid, reason="unconfirmed_jump",
                                             distance_m=d) for d, pid in sorted(held))
        if enters:
            enters.sort()
            cooldown = st.cooldown
            cooldown_ms = s.cooldown_s * 1000
            for d, pid in enters:
                inside[pid] = [ts, False]
                last = cooldown.get(pid)
                if last is None or ts - last >= cooldown_ms:
                    cooldown[pid] = ts
                    events.append(FenceEvent(rep_id, ts, "enter", place_id=pid, distance_m=d))
                elif report:
                    events.append(FenceEvent(rep_id, ts, "suppressed", place_id=pid, reason="cooldown", distance_m=d))
            if len(cooldown) > 64:  # keep the map small for reps who pass hundreds of places a day
                for pid in [p for p, t in cooldown.items() if ts - t >= cooldown_ms and p not in inside]:
                    del cooldown[pid]

        # dwell: one per visit
        if inside:
            dwell_ms = s.dwell_s * 1000
            for pid, v in inside.items():
                if not v[1] and ts - v[0] >= dwell_ms:
                    v[1] = True
                    events.append(FenceEvent(rep_id, ts, "dwell", place_id=pid, distance_m=dist.get(pid)))
