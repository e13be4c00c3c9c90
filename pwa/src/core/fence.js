// Place fences on the phone, offline: a line-by-line port of the server's geo engine for ONE rep.
//
// Mirrors `geo/fence.py` (`FenceTracker` / `FenceSettings`, places only), `geo/distance.py`
// (`haversine_m`) and the place distance of `geo/index.py` (`GeoIndex._fence_raw` / `_dist`): the same
// rules in the same order, the same arithmetic in the same operation order (so the doubles agree up to
// the last bit of the platform's sin/cos), the same defaults and the same snake_case setting names (the
// server sends them in the sync bundle as `settings.fence`). Zones are not ported: the phone only decides
// place fences, and zone events do not influence place events on the server either.
//
// Equality is proven, not hoped for: `scripts/make_fence_fixture.py` records what `geo.FenceTracker`
// does on ~75 tracks (tests/fixtures/fence_tracks.json); `tests/geo/test_fence_fixture.py` fails when
// geo/ no longer gives those events, and `pwa/src/core/fence.spec.js` fails when this file does not.
// Change the rules in both engines, regenerate the fixture, and keep both tests green.
//
// The rules, per fix (see geo/fence.py's docstring and docs/geo.md for the why):
//   1. hygiene drops — `invalid`, `out_of_order`, `stale`, `future_timestamp` / age (only when the fix
//      carries `received_ms`), `low_accuracy`, `impossible_speed` (with the re-anchor rule);
//   2. session gap — a fix more than `session_gap_s` after the last accepted one closes open places
//      (`exit`, reason `session_gap`, at the last fix's time) and starts afresh;
//   3. position filter (constant-velocity Kalman, on by default) or, with it off, the jump rule;
//   4. places — enter when the accuracy circle (× `edge_confidence`) is wholly inside, optional
//      `confirm_edge`, exit beyond radius + `exit_margin_m`, cooldown (silent re-entry), dwell once
//      per visit. Events of one fix: place exits, place enters (nearest first), dwells.
//
// Floats: V8's Math.sin/cos/asin (fdlibm) and CPython's (glibc) differ in the last bit for a few % of
// inputs, so a distance may differ by ~1e-7 m from geo's; a decision can only differ for a value within
// that of a threshold (the fixture's ~21,000 fixes contain none). Everything else is bit-for-bit.
//
// State: `exportState()` is geo's `export_state` layout (version 1) except that `places` and `cooldown`
// are lists of [id, ...] — a JSON object would lose the visit order, which orders dwells. `importState`
// takes either layout.
//
// Pure: no DOM, no Vue, no clock (only fix timestamps drive time). The state (`exportState()`) is plain
// JSON so the app can keep it in IndexedDB across reloads.

export const EARTH_RADIUS_M = 6371008.8;
const M_PER_DEG = (EARTH_RADIUS_M * Math.PI) / 180.0;
const DEG = Math.PI / 180.0; // geo.distance._DEG, geo.index._DEG, numpy's radians factor
const HALF_DEG = Math.PI / 360.0;
const TWO_R = 2.0 * EARTH_RADIUS_M;
const ACC_TO_SIGMA = 1 / 1.51; // a 68 % radius (reported accuracy) → σ per axis
const GATE2 = 16.0; // (4 σ)²: innovations beyond this are not blended into the position filter
const V0_VAR = 25.0; // prior velocity variance (m/s)² per axis when the filter starts
const STATE_VERSION = 1;
const COOLDOWN_PRUNE_OVER = 64;

export const DROP_REASONS = Object.freeze([
  "invalid",
  "out_of_order",
  "stale",
  "future_timestamp",
  "low_accuracy",
  "impossible_speed",
]);

/** Same names and defaults as `geo.FenceSettings` (distances in metres, durations in seconds of fix time). */
export const DEFAULT_FENCE_SETTINGS = Object.freeze({
  exit_margin_m: 50.0,
  cooldown_s: 1800,
  dwell_s: 300,
  max_accuracy_m: 200.0,
  max_speed_mps: 70.0,
  session_gap_s: 1800,
  edge_confidence: 0.9,
  stale_after_s: 120,
  max_fix_age_s: 120,
  max_clock_skew_s: 300,
  reanchor_after: 3,
  confirm_jump_m: 100.0,
  confirm_speed_mps: 15.0,
  confirm_edge: 0.0,
  confirm_edge_m: 0.0,
  filter_accel_mps2: 0.02,
  filter_speed_gain: 0.05,
});

/** Great-circle metres between two (lat, lon) points in degrees: `geo.distance.haversine_m`, same formula. */
export function haversineM(lat1, lon1, lat2, lon2) {
  const p1 = lat1 * DEG;
  const p2 = lat2 * DEG;
  const s1 = Math.sin((p2 - p1) * 0.5);
  const s2 = Math.sin((lon2 - lon1) * DEG * 0.5);
  let h = s1 * s1 + Math.cos(p1) * Math.cos(p2) * s2 * s2;
  if (h > 1.0) h = 1.0; // rounding on antipodal points
  return 2.0 * EARTH_RADIUS_M * Math.asin(Math.sqrt(h));
}

// Python's float `%` (the result takes the sign of the divisor); JS `%` is C's fmod.
function pyMod(x, m) {
  let r = x % m;
  if (r !== 0) {
    if (r < 0 !== m < 0) r += m;
  } else {
    r = m < 0 ? -0 : 0;
  }
  return r;
}

function num(x, what) {
  if (typeof x !== "number") throw new TypeError(`${what} must be a number, got ${x === null ? "null" : typeof x}`);
  return x;
}

// geo.index.check_point: lat in [-90, 90], lon finite and wrapped into [-180, 180].
function checkPoint(lat, lon) {
  lat = num(lat, "lat");
  lon = num(lon, "lon");
  if (!(lat >= -90.0 && lat <= 90.0) || !Number.isFinite(lon)) {
    throw new RangeError(`invalid coordinates lat=${lat} lon=${lon}`);
  }
  if (!(lon >= -180.0 && lon <= 180.0)) lon = pyMod(lon + 180.0, 360.0) - 180.0;
  return [lat, lon];
}

function toInt(x, what) {
  const v = Math.trunc(num(x, what)); // Python's int(): truncates
  if (!Number.isFinite(v)) throw new RangeError(`${what} must be finite, got ${x}`);
  return v;
}

function normaliseSettings(settings) {
  const out = { ...DEFAULT_FENCE_SETTINGS };
  for (const [name, v] of Object.entries(settings || {})) {
    if (Object.hasOwn(DEFAULT_FENCE_SETTINGS, name)) out[name] = v; // unknown names: ignored (newer server)
  }
  for (const name of Object.keys(DEFAULT_FENCE_SETTINGS)) {
    const v = out[name];
    if (!(typeof v === "number" && v >= 0 && Number.isFinite(v))) {
      throw new RangeError(`FenceSettings.${name} must be a finite number >= 0, got ${v}`);
    }
  }
  if (out.max_speed_mps === 0) throw new RangeError("FenceSettings.max_speed_mps must be > 0");
  return Object.freeze(out);
}

// ---------------------------------------------------------------------------------------------------
// Place index

/**
 * Places `{id, lat, lon, radius_m}` (WGS-84 degrees, metres; `radius_m` defaults to 500 as in
 * `geo.PlaceSpec`) for the tracker. Brute force over the places in a latitude band (sorted array +
 * binary search): exact — every place whose own radius contains the point is found, with the same
 * haversine arithmetic as `GeoIndex._fence_raw` — and plenty fast for the few thousand places a rep syncs.
 * Immutable: rebuild it when the places change (the tracker exits places that disappear: `place_removed`).
 */
export class PlaceIndex {
  constructor(places) {
    const norm = [];
    const seen = new Set();
    for (const p of places || []) {
      const id = Number(p.id);
      if (!Number.isSafeInteger(id)) throw new RangeError(`place id must be an integer, got ${p.id}`);
      if (seen.has(id)) throw new RangeError(`duplicate place id ${id}`);
      seen.add(id);
      const [lat, lon] = checkPoint(p.lat, p.lon);
      const r = p.radius_m === undefined ? 500.0 : num(p.radius_m, "radius_m");
      if (!(r >= 0.0 && Number.isFinite(r))) throw new RangeError(`place ${id}: invalid radius_m ${p.radius_m}`);
      norm.push({ id, lat, lon, radius_m: r });
    }
    norm.sort((a, b) => a.id - b.id); // positions in id order, as GeoIndex
    const n = norm.length;
    this.places = Object.freeze(norm.map((p) => Object.freeze(p)));
    this.ids = norm.map((p) => p.id);
    this.radius = new Float64Array(n);
    this._latR = new Float64Array(n);
    this._lonR = new Float64Array(n);
    this._cos = new Float64Array(n);
    this._a = new Float64Array(n); // half angles, as the index records
    this._o = new Float64Array(n);
    this._thr = new Float64Array(n); // sin²(r / 2R): haversine h is inside iff h <= thr
    this._pos = new Map();
    let maxHalf = 0;
    for (let i = 0; i < n; i++) {
      const p = norm[i];
      this._pos.set(p.id, i);
      const latR = p.lat * DEG;
      const lonR = p.lon * DEG;
      this.radius[i] = p.radius_m;
      this._latR[i] = latR;
      this._lonR[i] = lonR;
      this._cos[i] = Math.cos(latR);
      this._a[i] = latR * 0.5;
      this._o[i] = lonR * 0.5;
      const half = Math.min(p.radius_m / TWO_R, Math.PI / 2);
      const s = Math.sin(half);
      this._thr[i] = half >= Math.PI / 2 ? 1.0 : s * s;
      if (half > maxHalf) maxHalf = half;
    }
    // latitude band search: h >= sin²(Δlat/2), so a place more than its half-angle away in latitude is out
    this._byLat = Int32Array.from({ length: n }, (_, i) => i).sort((i, j) => this._a[i] - this._a[j]);
    this._aSorted = Float64Array.from(this._byLat, (i) => this._a[i]);
    this._band = maxHalf + 1e-9;
    Object.freeze(this);
  }

  get size() {
    return this.ids.length;
  }

  has(placeId) {
    return this._pos.has(placeId);
  }

  place(placeId) {
    const i = this._pos.get(placeId);
    if (i === undefined) throw new RangeError(`unknown place ${placeId}`);
    return this.places[i];
  }

  /** Great-circle metres from (lat, lon) to the place (`GeoIndex.distance_to_place_m`). */
  distanceTo(placeId, lat, lon) {
    const i = this._pos.get(placeId);
    if (i === undefined) throw new RangeError(`unknown place ${placeId}`);
    const qa = lat * DEG;
    const qo = lon * DEG;
    const qc = Math.cos(lat * DEG);
    const s1 = Math.sin((this._latR[i] - qa) * 0.5);
    const s2 = Math.sin((this._lonR[i] - qo) * 0.5);
    const h = s1 * s1 + qc * this._cos[i] * s2 * s2;
    return TWO_R * Math.asin(Math.sqrt(h < 1.0 ? h : 1.0));
  }

  /** [distance_m, position] for every place whose own radius contains the point (unsorted): `_fence_raw`. */
  fenceRaw(lat, lon) {
    const out = [];
    const n = this._aSorted.length;
    if (n === 0) return out;
    const qa = lat * HALF_DEG;
    const qo = lon * HALF_DEG;
    const qc = Math.cos(lat * DEG);
    const as = this._aSorted;
    let lo = 0;
    let hi = n;
    const from = qa - this._band;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (as[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    const to = qa + this._band;
    const { _a: A, _o: O, _cos: C, _thr: T, _byLat: byLat } = this;
    for (let k = lo; k < n && as[k] <= to; k++) {
      const i = byLat[k];
      const s1 = Math.sin(A[i] - qa);
      const s2 = Math.sin(O[i] - qo);
      const h = s1 * s1 + qc * C[i] * s2 * s2;
      if (h <= T[i]) out.push([TWO_R * Math.asin(Math.sqrt(h < 1.0 ? h : 1.0)), i]);
    }
    return out;
  }
}

/** Build the index the tracker needs from `[{id, lat, lon, radius_m}, ...]`; throws on bad data. */
export function buildPlaceIndex(places) {
  return new PlaceIndex(places);
}

// ---------------------------------------------------------------------------------------------------
// Tracker

function newState() {
  return {
    ts: 0,
    lat: 0.0,
    lon: 0.0,
    acc: 0.0,
    places: new Map(), // place_id -> [visit_start_ts, dwell_sent]   (insertion order = dwell order)
    cooldown: new Map(), // place_id -> ts of the last emitted enter
    jump: null, // [lat, lon, acc, ts, count] of rejected-but-consistent fixes
    pending: new Set(), // "enter|place|id", "exit|place|id", "edge|place|id" proposed by the last fix
    kf: null, // [lat, lon, ve, vn, a, b, c, ts, outlier]; outlier null or [lat, lon, acc, ts]
  };
}

const key = (kind, type, id) => `${kind}|${type}|${id}`;

function drop(ts, reason) {
  return { event: "drop", ts_ms: ts, reason };
}

function finiteAll(xs) {
  return xs.every((x) => typeof x === "number" && Number.isFinite(x));
}

function readFilter(kf) {
  if (kf === null || kf === undefined) return null;
  if (!Array.isArray(kf) || kf.length !== 9) throw new Error("bad filter state");
  const vals = kf.slice(0, 7).map((x) => num(x, "filter"));
  let out = kf[8];
  if (out !== null) {
    if (!Array.isArray(out) || out.length < 4) throw new Error("bad filter state");
    out = [num(out[0], "filter"), num(out[1], "filter"), num(out[2], "filter"), toInt(out[3], "filter")];
  }
  if (!finiteAll([...vals, ...(out || [])])) throw new Error("bad filter state");
  checkPoint(vals[0], vals[1]);
  return [...vals, toInt(kf[7], "filter"), out];
}

// places / cooldown: this module's [[id, ...], ...] form, or geo's {"<id>": ...} form (FenceTracker.export_state)
function entries(x) {
  if (x === undefined || x === null) return [];
  if (Array.isArray(x)) return x.map((e) => [e[0], e.slice(1)]);
  if (typeof x === "object") return Object.entries(x).map(([k, v]) => [k, v]);
  throw new TypeError("expected a list or an object");
}

/**
 * Fence state of ONE rep (the phone's user) — `geo.FenceTracker` for a single `rep_id`, places only.
 *
 * `update(fix, index)` runs one fix `{lat, lon, accuracy_m, ts_ms, received_ms?}` (degrees, metres,
 * epoch ms; `accuracy_m` null = exact) against a `PlaceIndex` and returns its events, in order:
 * `{event: "enter"|"exit"|"dwell"|"drop", ts_ms, place_id?, reason?, distance_m?}`.
 */
export class FenceTracker {
  constructor(settings) {
    this.settings = normaliseSettings(settings);
    this._st = null;
  }

  /** Forget everything (e.g. on logout): the next fix starts a new session. */
  forget() {
    this._st = null;
  }

  /** The state as plain JSON (`{version: 1, last: null}` when there is none). */
  exportState() {
    const st = this._st;
    if (st === null) return { version: STATE_VERSION, last: null };
    return {
      version: STATE_VERSION,
      last: { ts: st.ts, lat: st.lat, lon: st.lon, acc: st.acc },
      places: [...st.places].map(([pid, v]) => [pid, v[0], v[1]]),
      cooldown: [...st.cooldown].map(([pid, t]) => [pid, t]),
      zones: [],
      jump: st.jump === null ? null : [...st.jump],
      pending: [...st.pending].map((k) => {
        const [a, b, c] = k.split("|");
        return [a, b, Number(c)];
      }),
      filter: st.kf === null ? null : [...st.kf.slice(0, 8), st.kf[8] === null ? null : [...st.kf[8]]],
    };
  }

  /** Restore from `exportState()` output (also accepts geo's `export_state` dict); throws on bad input. */
  importState(state) {
    if (state === null || typeof state !== "object" || state.version !== STATE_VERSION) {
      throw new Error("unsupported fence state");
    }
    const last = state.last;
    if (last === null || last === undefined) {
      this._st = null;
      return;
    }
    let st;
    try {
      st = newState();
      st.ts = toInt(last.ts, "ts");
      [st.lat, st.lon] = checkPoint(last.lat, last.lon);
      st.acc = num(last.acc, "acc");
      for (const [k, v] of entries(state.places)) {
        const since = Array.isArray(v) ? v[0] : v.since;
        const dwelled = Array.isArray(v) ? v[1] : v.dwelled;
        st.places.set(toInt(Number(k), "place id"), [toInt(since, "since"), Boolean(dwelled)]);
      }
      for (const [k, v] of entries(state.cooldown)) {
        st.cooldown.set(toInt(Number(k), "place id"), toInt(Array.isArray(v) ? v[0] : v, "cooldown"));
      }
      const j = state.jump;
      st.jump =
        j === null || j === undefined
          ? null
          : [num(j[0], "jump"), num(j[1], "jump"), num(j[2], "jump"), toInt(j[3], "jump"), toInt(j[4], "jump")];
      for (const p of state.pending || []) st.pending.add(key(String(p[0]), String(p[1]), toInt(p[2], "pending")));
      st.kf = readFilter(state.filter);
    } catch (exc) {
      throw new Error(`malformed fence state: ${exc.message}`);
    }
    this._st = st;
  }

  /** Run one fix through the rules against `index` (a PlaceIndex); returns the events it causes. */
  update(fix, index) {
    const s = this.settings;
    let ts;
    let lat;
    let lon;
    let acc;
    try {
      ts = toInt(fix.ts_ms, "ts_ms"); // (geo raises on a non-finite timestamp; here it is a drop)
    } catch {
      return [drop(fix.ts_ms, "invalid")];
    }
    try {
      [lat, lon] = checkPoint(fix.lat, fix.lon);
      acc = fix.accuracy_m === null || fix.accuracy_m === undefined ? 0.0 : num(fix.accuracy_m, "accuracy_m");
    } catch {
      return [drop(ts, "invalid")];
    }
    if (!(acc >= 0.0 && Number.isFinite(acc))) return [drop(ts, "invalid")];

    let st = this._st;
    if (st !== null && ts <= st.ts) {
      const stale = st.ts - ts > s.stale_after_s * 1000;
      return [drop(ts, stale ? "stale" : "out_of_order")];
    }
    if (fix.received_ms !== null && fix.received_ms !== undefined) {
      const rec = fix.received_ms;
      if (rec - ts > s.max_fix_age_s * 1000) return [drop(ts, "stale")];
      if (ts - rec > s.max_clock_skew_s * 1000) return [drop(ts, "future_timestamp")];
    }
    if (acc > s.max_accuracy_m) return [drop(ts, "low_accuracy")];

    const events = [];
    if (st !== null && ts - st.ts > s.session_gap_s * 1000) {
      this._close(st, st.ts, "session_gap", events);
      st = null;
    }
    let jumped = false;
    const fresh = st === null;
    if (fresh) {
      st = newState();
      this._st = st;
    }
    let reanch = false;
    if (!fresh) {
      const moved = haversineM(st.lat, st.lon, lat, lon) - st.acc - acc;
      const dtS = (ts - st.ts) / 1000.0;
      if (moved > s.max_speed_mps * dtS) {
        if (!this._reanchor(st, lat, lon, acc, ts)) {
          events.push(drop(ts, "impossible_speed"));
          return events;
        }
        reanch = true; // several fixes in a row already agree, which is the confirmation
      } else {
        jumped = 0.0 < s.confirm_jump_m && s.confirm_jump_m < moved && moved > s.confirm_speed_mps * dtS;
      }
    }
    st.jump = null;
    st.ts = ts;
    st.lat = lat;
    st.lon = lon;
    st.acc = acc;
    if (s.filter_accel_mps2 > 0.0) {
      [lat, lon, acc] = this._filter(st, lat, lon, acc, ts, fresh || reanch, jumped);
      jumped = false;
    }
    this._evaluate(st, lat, lon, acc, ts, index, events, jumped, fresh);
    return events;
  }

  // geo.FenceTracker._filter: constant-velocity Kalman filter in local metres; see its docstring.
  _filter(st, lat, lon, acc, ts, reset, jumped) {
    const s = this.settings;
    const sig = acc * ACC_TO_SIGMA;
    const r = sig * sig;
    const kf = st.kf;
    const cl = Math.cos(lat * DEG);
    if (reset || kf === null || cl < 1e-6) {
      st.kf = [lat, lon, 0.0, 0.0, r, 0.0, V0_VAR, ts, null];
      return [lat, lon, acc];
    }
    let [flat, flon, ve, vn, a, b, c] = kf;
    const t0 = kf[7];
    const out = kf[8];
    const dt = (ts - t0) / 1000.0;
    const g = s.filter_accel_mps2 + s.filter_speed_gain * Math.sqrt(ve * ve + vn * vn);
    const q = g * g;
    // predict
    flat += (vn * dt) / M_PER_DEG;
    flon += (ve * dt) / (M_PER_DEG * cl);
    a += dt * (2.0 * b + dt * c) + (q * dt * dt * dt) / 3.0;
    b += dt * c + (q * dt * dt) / 2.0;
    c += q * dt;
    // innovation in local metres
    const dy = (lat - flat) * M_PER_DEG;
    const dx = (pyMod(lon - flon + 180.0, 360.0) - 180.0) * M_PER_DEG * cl;
    const e2 = dx * dx + dy * dy;
    const v = a + r;
    if (e2 > GATE2 * v && e2 > s.confirm_jump_m * s.confirm_jump_m) {
      if (
        out !== null &&
        haversineM(out[0], out[1], lat, lon) - out[2] - acc <= (s.max_speed_mps * (ts - out[3])) / 1000.0
      ) {
        // two fixes in a row far from the prediction and possible to travel between: restart there
        st.kf = [lat, lon, 0.0, 0.0, r, 0.0, V0_VAR, ts, null];
        return [lat, lon, acc];
      }
    } else {
      jumped = false;
    }
    if (jumped) {
      // a jump from the last fix that the filter did not expect either: hold it back
      st.kf = [flat, flon, ve, vn, a, b, c, ts, [lat, lon, acc, ts]];
      return [flat, flon, Math.sqrt(a) / ACC_TO_SIGMA];
    }
    const k0 = v > 0.0 ? a / v : 1.0;
    const k1 = v > 0.0 ? b / v : 0.0;
    flat += (k0 * dy) / M_PER_DEG;
    flon += (k0 * dx) / (M_PER_DEG * cl);
    flon = pyMod(flon + 180.0, 360.0) - 180.0;
    flat = Math.min(90.0, Math.max(-90.0, flat));
    vn += k1 * dy;
    ve += k1 * dx;
    c -= k1 * b;
    a *= 1.0 - k0;
    b *= 1.0 - k0;
    if (a < 0.0) a = 0.0;
    st.kf = [flat, flon, ve, vn, a, b, c, ts, null];
    return [flat, flon, Math.sqrt(a) / ACC_TO_SIGMA];
  }

  // geo.FenceTracker._reanchor: true when enough consecutive too-fast fixes agree with each other.
  _reanchor(st, lat, lon, acc, ts) {
    const s = this.settings;
    const j = st.jump;
    if (j !== null && ts > j[3]) {
      const moved = haversineM(j[0], j[1], lat, lon) - j[2] - acc;
      if (moved <= (s.max_speed_mps * (ts - j[3])) / 1000.0) {
        const count = j[4] + 1;
        if (0 < s.reanchor_after && s.reanchor_after <= count) return true;
        st.jump = [lat, lon, acc, ts, count];
        return false;
      }
    }
    st.jump = [lat, lon, acc, ts, 1];
    return 0 < s.reanchor_after && s.reanchor_after <= 1;
  }

  _close(st, ts, reason, events) {
    for (const pid of [...st.places.keys()].sort((x, y) => x - y)) {
      events.push({ event: "exit", ts_ms: ts, place_id: pid, reason });
    }
  }

  _evaluate(st, lat, lon, acc, ts, index, events, jumped, fresh) {
    const s = this.settings;
    const k = s.edge_confidence * acc;
    const inside = st.places;
    const raw = index.fenceRaw(lat, lon);
    // After a jump, a change (enter/exit) happens only if the previous fix proposed it too; so does a
    // barely-inside enter (confirm_edge) unless this fix starts the session.
    const previous = st.pending;
    st.pending = new Set();
    const proposed = jumped ? previous : null;
    const shallow = fresh ? -1.0 : s.confirm_edge * acc + s.confirm_edge_m;
    if (raw.length === 0 && inside.size === 0) return; // the common case: nowhere near anything

    const confirmed = (change) => {
      if (proposed === null || proposed.has(change)) return true;
      st.pending.add(change);
      return false;
    };

    const radius = index.radius;
    const ids = index.ids;
    let enters = [];
    const dist = new Map();
    for (const [d, i] of raw) {
      const pid = ids[i];
      dist.set(pid, d);
      if (!inside.has(pid)) {
        const edge = key("edge", "place", pid);
        if (d + k <= radius[i]) {
          if (d + k > radius[i] - shallow && !previous.has(edge)) {
            st.pending.add(edge); // barely inside: the next fix decides
            continue;
          }
          enters.push([d, pid]);
        } else if (previous.has(edge) && d + 0.5 * k <= radius[i]) {
          enters.push([d, pid]); // confirms a barely-inside fix: inside, if uncertain
        }
      }
    }

    // place exits (hysteresis: beyond radius + margin, even allowing for the accuracy circle)
    if (inside.size) {
      for (const pid of [...inside.keys()].sort((x, y) => x - y)) {
        if (dist.has(pid)) continue;
        if (!index.has(pid)) {
          inside.delete(pid);
          events.push({ event: "exit", ts_ms: ts, place_id: pid, reason: "place_removed" });
          continue;
        }
        const d = index.distanceTo(pid, lat, lon);
        dist.set(pid, d);
        if (d - k > index.place(pid).radius_m + s.exit_margin_m && confirmed(key("exit", "place", pid))) {
          inside.delete(pid);
          events.push({ event: "exit", ts_ms: ts, place_id: pid, distance_m: d });
        }
      }
    }

    // place enters, nearest first; cooldown decides whether the popup fires again
    if (enters.length && proposed !== null) enters = enters.filter((e) => confirmed(key("enter", "place", e[1])));
    if (enters.length) {
      enters.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      const cooldown = st.cooldown;
      const cooldownMs = s.cooldown_s * 1000;
      for (const [d, pid] of enters) {
        inside.set(pid, [ts, false]);
        const last = cooldown.get(pid);
        if (last === undefined || ts - last >= cooldownMs) {
          cooldown.set(pid, ts);
          events.push({ event: "enter", ts_ms: ts, place_id: pid, distance_m: d });
        }
      }
      if (cooldown.size > COOLDOWN_PRUNE_OVER) {
        // keep the map small for reps who pass hundreds of places a day
        const old = [...cooldown].filter(([p, t]) => ts - t >= cooldownMs && !inside.has(p)).map(([p]) => p);
        for (const p of old) cooldown.delete(p);
      }
    }

    // dwell: one per visit
    if (inside.size) {
      const dwellMs = s.dwell_s * 1000;
      for (const [pid, v] of inside) {
        if (!v[1] && ts - v[0] >= dwellMs) {
          v[1] = true;
          const ev = { event: "dwell", ts_ms: ts, place_id: pid };
          if (dist.has(pid)) ev.distance_m = dist.get(pid);
          events.push(ev);
        }
      }
    }
  }
}
