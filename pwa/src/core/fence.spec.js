// The phone's fence engine must decide exactly as the server's: replay the tracks geo.FenceTracker was
// recorded on (tests/fixtures/fence_tracks.json, from scripts/make_fence_fixture.py) through fence.js.
// If this fails after a change to geo/: port the change to fence.js and regenerate the fixture.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_FENCE_SETTINGS,
  DROP_REASONS,
  FenceTracker,
  buildPlaceIndex,
  haversineM,
} from "./fence.js";

const FIXTURE = JSON.parse(
  readFileSync(new URL("../../../tests/fixtures/fence_tracks.json", import.meta.url), "utf8"),
);
const HINT = "regenerate with scripts/make_fence_fixture.py and make the JS engine agree";

// fixture values: non-finite numbers are the strings "NaN" / "Infinity" / "-Infinity"
const num = (v) => (typeof v === "string" ? Number(v) : v);
const toFix = (f) => ({
  lat: num(f[0]),
  lon: num(f[1]),
  accuracy_m: num(f[2]),
  ts_ms: f[3],
  ...(f.length > 4 ? { received_ms: f[4] } : {}),
});

const PLACES = FIXTURE.places;
const FULL_INDEX = buildPlaceIndex(PLACES);

/** Replay fixes [from, to) of a track through `tracker`; events tagged with their fix index. */
function replay(track, tracker, from = 0, to = track.fixes.length) {
  const out = [];
  for (let i = from; i < to; i++) {
    // a track may rebuild the index without some places from fix `at` on (place_removed)
    const index = track.index_changes.some((c) => c.at <= i) ? indexFor(track, i) : FULL_INDEX;
    for (const e of tracker.update(toFix(track.fixes[i]), index)) out.push({ fix: i, ...e });
  }
  return out;
}

const indexCache = new Map();
function indexFor(track, i) {
  const removed = track.index_changes
    .filter((c) => c.at <= i)
    .flatMap((c) => c.remove)
    .sort((a, b) => a - b);
  const k = removed.join(",");
  if (!indexCache.has(k)) indexCache.set(k, buildPlaceIndex(PLACES.filter((p) => !removed.includes(p.id))));
  return indexCache.get(k);
}

/** First difference between expected (fixture) and actual (JS) events, as a readable string, or null. */
function firstDiff(track, expected, actual) {
  const n = Math.max(expected.length, actual.length);
  for (let k = 0; k < n; k++) {
    const e = expected[k];
    const a = actual[k];
    const show = (x) => (x ? JSON.stringify(x) : "nothing");
    const where = () => `${track.name} event #${k} (fix ${(e || a).fix}): expected ${show(e)}, got ${show(a)}`;
    if (!e || !a) return where();
    for (const f of ["fix", "event", "ts_ms", "place_id", "reason"]) {
      if ((e[f] ?? null) !== (a[f] ?? null)) return where();
    }
    const ed = e.distance_m ?? null;
    const ad = a.distance_m ?? null;
    if ((ed === null) !== (ad === null)) return where();
    if (ed !== null && !(Math.abs(ed - ad) <= 1e-3)) return where();
  }
  return null;
}

function closeTo(a, b, tol) {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

/** The JS state against geo's export_state (same information; places/cooldown as lists here). */
function stateDiff(py, js) {
  if (py.last === null || js.last === null) return py.last === js.last ? null : "last";
  for (const f of ["ts", "lat", "lon", "acc"]) if (py.last[f] !== js.last[f]) return `last.${f}`;
  // (JSON.parse orders integer-like keys numerically, so geo's insertion order is lost here: compare as
  // sets; the order matters only for dwells of one fix, which the events check)
  const sortById = (xs) => [...xs].sort((x, y) => x[0] - y[0]);
  const pyPlaces = sortById(Object.entries(py.places).map(([k, v]) => [Number(k), v.since, v.dwelled]));
  if (JSON.stringify(pyPlaces) !== JSON.stringify(sortById(js.places))) return "places";
  const pyCool = sortById(Object.entries(py.cooldown).map(([k, v]) => [Number(k), v]));
  if (JSON.stringify(pyCool) !== JSON.stringify(sortById(js.cooldown))) return "cooldown";
  if (JSON.stringify(py.jump) !== JSON.stringify(js.jump)) return "jump";
  const pyPending = py.pending.filter((p) => p[1] === "place").map((p) => p.join("|")).sort();
  if (JSON.stringify(pyPending) !== JSON.stringify(js.pending.map((p) => p.join("|")).sort())) return "pending";
  if ((py.filter === null) !== (js.filter === null)) return "filter";
  if (py.filter) {
    for (let i = 0; i < 7; i++) if (!closeTo(py.filter[i], js.filter[i], 1e-9)) return `filter[${i}]`;
    if (py.filter[7] !== js.filter[7]) return "filter[7]";
    if (JSON.stringify(py.filter[8]) !== JSON.stringify(js.filter[8])) return "filter[8]";
  }
  return null;
}

describe("fence.js replays geo.FenceTracker's fixture identically", () => {
  it("has the same default settings as geo.FenceSettings", () => {
    expect({ ...DEFAULT_FENCE_SETTINGS }, HINT).toEqual(FIXTURE.default_settings);
  });

  it("covers every drop reason and place event kind", () => {
    const seen = new Set(FIXTURE.tracks.flatMap((t) => t.events.map((e) => `${e.event}:${e.reason ?? ""}`)));
    for (const r of DROP_REASONS) expect(seen.has(`drop:${r}`), r).toBe(true);
    for (const k of ["enter:", "exit:", "dwell:", "exit:session_gap", "exit:place_removed"]) {
      expect(seen.has(k), k).toBe(true);
    }
    expect(FIXTURE.tracks.length).toBeGreaterThanOrEqual(60);
  });

  it.each(FIXTURE.tracks.map((t) => [t.name, t]))("track %s", (_name, track) => {
    const tracker = new FenceTracker(track.settings);
    const actual = replay(track, tracker);
    expect(firstDiff(track, track.events, actual), HINT).toBeNull();
    const js = JSON.parse(JSON.stringify(tracker.exportState()));
    expect(stateDiff(track.final_state, js), `${track.name} final state; ${HINT}`).toBeNull();
  });
});

describe("exportState / importState", () => {
  const pick = ["reentry_0", "session_gap_1", "outlier_3", "edge_graze_6", "drive_3", "reanchor_0", "fuzz_4"];

  it.each(pick)("a JSON round trip mid-track gives the same remaining events (%s)", (name) => {
    const track = FIXTURE.tracks.find((t) => t.name === name);
    const whole = new FenceTracker(track.settings);
    replay(track, whole);
    for (const frac of [0.2, 0.5, 0.77]) {
      const cut = Math.floor(track.fixes.length * frac);
      const first = new FenceTracker(track.settings);
      const before = replay(track, first, 0, cut);
      const saved = JSON.stringify(first.exportState()); // as it goes into IndexedDB
      const second = new FenceTracker(track.settings);
      second.importState(JSON.parse(saved));
      const after = replay(track, second, cut);
      expect(firstDiff(track, track.events, [...before, ...after])).toBeNull();
      expect(second.exportState()).toEqual(whole.exportState());
    }
  });

  it("imports geo's own export_state (places/cooldown keyed by id) and continues identically", () => {
    const track = FIXTURE.tracks.find((t) => t.name === "dwell_0");
    // run the whole track, then replay its last fix range from geo's final state: no state left to
    // compare against mid-track, so check that importing geo's final state reproduces the JS final state
    const js = new FenceTracker(track.settings);
    replay(track, js);
    const fromPy = new FenceTracker(track.settings);
    fromPy.importState(track.final_state);
    const a = fromPy.exportState();
    const b = js.exportState();
    expect(stateDiff(track.final_state, a)).toBeNull();
    const byId = (xs) => [...xs].sort((x, y) => x[0] - y[0]);
    expect(byId(a.places)).toEqual(byId(b.places));
    expect(a.last).toEqual(b.last);
  });

  it("state is plain JSON and forget() starts a new session", () => {
    const t = new FenceTracker();
    expect(t.exportState()).toEqual({ version: 1, last: null });
    const p = FIXTURE.places[0];
    const idx = buildPlaceIndex([p]);
    const ev = t.update({ lat: p.lat, lon: p.lon, accuracy_m: 5, ts_ms: 1_700_000_000_000 }, idx);
    expect(ev).toEqual([{ event: "enter", ts_ms: 1_700_000_000_000, place_id: p.id, distance_m: 0 }]);
    const s = t.exportState();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    t.forget();
    expect(t.exportState().last).toBeNull();
    const again = t.update({ lat: p.lat, lon: p.lon, accuracy_m: 5, ts_ms: 1_700_000_001_000 }, idx);
    expect(again.map((e) => e.event)).toEqual(["enter"]); // fresh session: cooldown forgotten
  });

  it("rejects malformed states without touching the current one", () => {
    const t = new FenceTracker();
    const p = FIXTURE.places[0];
    t.update({ lat: p.lat, lon: p.lon, accuracy_m: 5, ts_ms: 1_700_000_000_000 }, buildPlaceIndex([p]));
    const before = t.exportState();
    expect(() => t.importState({ version: 2, last: null })).toThrow(/unsupported/);
    expect(() => t.importState({ version: 1, last: { ts: 1, lat: 95, lon: 0, acc: 0 } })).toThrow(/malformed/);
    expect(() => t.importState({ ...before, filter: [1, 2, 3] })).toThrow(/malformed/);
    expect(t.exportState()).toEqual(before);
  });
});

describe("settings and index", () => {
  it("validates settings like FenceSettings and ignores unknown names", () => {
    expect(() => new FenceTracker({ cooldown_s: -1 })).toThrow(/cooldown_s/);
    expect(() => new FenceTracker({ max_speed_mps: 0 })).toThrow(/max_speed_mps/);
    expect(() => new FenceTracker({ dwell_s: Number.NaN })).toThrow(/dwell_s/);
    const t = new FenceTracker({ cooldown_s: 60, zone_thing: 1 });
    expect(t.settings.cooldown_s).toBe(60);
    expect(t.settings.dwell_s).toBe(300);
    expect("zone_thing" in t.settings).toBe(false);
  });

  it("rejects bad places", () => {
    expect(() => buildPlaceIndex([{ id: 1, lat: 0, lon: 0, radius_m: 10 }, { id: 1, lat: 1, lon: 1 }])).toThrow(
      /duplicate/,
    );
    expect(() => buildPlaceIndex([{ id: 1, lat: 91, lon: 0, radius_m: 10 }])).toThrow();
    expect(() => buildPlaceIndex([{ id: 1, lat: 0, lon: 0, radius_m: -1 }])).toThrow(/radius/);
    expect(buildPlaceIndex([{ id: 3, lat: 0, lon: 0 }]).place(3).radius_m).toBe(500);
  });

  it("finds every place containing the point, as a full scan does", () => {
    const idx = FULL_INDEX;
    let hits = 0;
    for (let k = 0; k < 3000; k++) {
      const lat = 31.18 + (k % 60) * 0.0017 + (k * 0.000037) % 0.001;
      const lon = 121.42 + Math.floor(k / 60) * 0.0021;
      const got = idx
        .fenceRaw(lat, lon)
        .map(([, i]) => idx.ids[i])
        .sort((a, b) => a - b);
      const want = PLACES.filter((p) => haversineM(lat, lon, p.lat, p.lon) <= p.radius_m + 1e-6)
        .map((p) => p.id)
        .sort((a, b) => a - b);
      expect(got).toEqual(want);
      hits += got.length;
    }
    expect(hits).toBeGreaterThan(100);
  });
});

describe("haversineM", () => {
  it("matches known distances on the 6 371 008.8 m sphere", () => {
    expect(haversineM(0, 0, 0, 0)).toBe(0);
    // one degree of latitude / of longitude at the equator: R·π/180
    expect(haversineM(0, 0, 1, 0)).toBe(111195.0802335329);
    expect(haversineM(0, 0, 0, 1)).toBe(111195.0802335329);
    // pole to pole, antipodes: half the circumference
    expect(haversineM(90, 0, -90, 0)).toBeCloseTo(Math.PI * 6371008.8, 4);
    expect(haversineM(0, 0, 0, 180)).toBeCloseTo(Math.PI * 6371008.8, 4);
    // across the antimeridian
    expect(haversineM(0, 179.5, 0, -179.5)).toBeCloseTo(111195.0802335329, 6);
    // Shanghai People's Square → Beijing Tiananmen, ~1 068 km (geo.haversine_m: 1068140.3434910858)
    expect(haversineM(31.2304, 121.4737, 39.9087, 116.3975)).toBeCloseTo(1068140.3434910858, 6);
    // symmetric
    expect(haversineM(31.2304, 121.4737, 31.24, 121.5)).toBe(haversineM(31.24, 121.5, 31.2304, 121.4737));
  });
});
