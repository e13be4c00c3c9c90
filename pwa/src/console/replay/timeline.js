// A rep's day from `GET /replay` as the console shows it: the accepted fixes as a track (split where the phone
// was silent), every fence event, every card pushed and every dropped fix on one timeline, each with a place on
// the map (the fix nearest in time, else the place itself) so the list and the map can point at each other.
import { catalogues } from "@/core/catalogues";
import { normalizeLocale } from "@/core/why";

/** Beyond this silence the track is not drawn as one line (the rep was not walking straight across). */
export const GAP_MS = 15 * 60 * 1000;
const ORDER = { enter: 0, suppressed: 1, card: 2, dwell: 3, exit: 4, dropped: 5 };

/** A time as ms since the epoch: ms or s numbers, ISO strings (an ISO without offset is UTC, as the server's). */
export function toMs(ts) {
  if (ts === null || ts === undefined || ts === "") return NaN;
  if (typeof ts === "number") return ts < 1e12 ? ts * 1000 : ts;
  const s = String(ts);
  if (/^\d+$/.test(s)) return toMs(Number(s));
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) || !s.includes("T") ? s : `${s}Z`);
}

/** The day's fixes, oldest first, with `ms`. */
export function fixesOf(replay) {
  return (replay?.fixes || []).map((f, i) => ({ ...f, i, ms: toMs(f.ts) }))
    .filter((f) => Number.isFinite(f.ms) && Number.isFinite(f.lat) && Number.isFinite(f.lon))
    .sort((a, b) => a.ms - b.ms || a.i - b.i);
}

/** The accepted fixes as lines of [lat, lon], a new line after every silence longer than `gapMs`. */
export function segments(fixes, gapMs = GAP_MS) {
  const out = [];
  let line = null;
  let last = null;
  for (const f of fixes) {
    if (f.status === "dropped") continue;
    if (!line || f.ms - last > gapMs) { line = []; out.push(line); }
    line.push([f.lat, f.lon]);
    last = f.ms;
  }
  return out;
}

/** The accepted fix nearest in time to `ms` (binary search over fixes sorted by time), or null. */
export function nearestFix(accepted, ms) {
  if (!accepted.length || !Number.isFinite(ms)) return null;
  let lo = 0;
  let hi = accepted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (accepted[mid].ms < ms) lo = mid + 1;
    else hi = mid;
  }
  const after = accepted[lo];
  const before = accepted[lo - 1];
  return before && ms - before.ms <= after.ms - ms ? before : after;
}

/** Where the rep was at `ms`: the last accepted fix not after it (null before the first). */
export function positionAt(accepted, ms) {
  let found = null;
  for (const f of accepted) {
    if (f.ms > ms) break;
    found = f;
  }
  return found;
}

function where(accepted, ms, place, places) {
  const fix = nearestFix(accepted, ms);
  if (fix && Math.abs(fix.ms - ms) <= GAP_MS) return { lat: fix.lat, lon: fix.lon };
  const known = place && (Number.isFinite(place.lat) ? place : places?.get?.(Number(place.id)));
  if (known && Number.isFinite(known.lat)) return { lat: known.lat, lon: known.lon };
  return fix ? { lat: fix.lat, lon: fix.lon } : { lat: null, lon: null };
}

/** Every event, card and dropped fix of the day, in time order; at one instant: enter, suppressed, the card,
 * dwell, exit. `places` (the bundle's, by id) places an event with no fix near it. */
export function buildTimeline(replay, { places = null } = {}) {
  const fixes = fixesOf(replay);
  const accepted = fixes.filter((f) => f.status !== "dropped");
  const out = [];
  (replay?.events || []).forEach((e, i) => {
    const ms = toMs(e.ts ?? e.at);
    out.push({ key: `e${i}`, type: e.type, ms, place: e.place || null, reason: e.reason || null,
      ...where(accepted, ms, e.place, places) });
  });
  (replay?.cards || []).forEach((c, i) => {
    const ms = toMs(c.at ?? c.ts);
    out.push({ key: `c${i}`, type: "card", ms, place: c.place || null, popupId: c.popup_id ?? null,
      event: c.event || null, reason: null, ...where(accepted, ms, c.place, places) });
  });
  fixes.filter((f) => f.status === "dropped").forEach((f) => {
    out.push({ key: `d${f.i}`, type: "dropped", ms: f.ms, place: null, reason: f.reason || null, lat: f.lat, lon: f.lon,
      accuracy_m: f.accuracy_m ?? null });
  });
  return out.filter((x) => Number.isFinite(x.ms))
    .sort((a, b) => a.ms - b.ms || (ORDER[a.type] ?? 9) - (ORDER[b.type] ?? 9));
}

/** How many of each: fixes accepted and dropped, events by type, cards. */
export function countsOf(replay) {
  const fixes = fixesOf(replay);
  const counts = { accepted: 0, dropped: 0, enter: 0, dwell: 0, exit: 0, suppressed: 0, cards: (replay?.cards || []).length };
  for (const f of fixes) counts[f.status === "dropped" ? "dropped" : "accepted"] += 1;
  for (const e of replay?.events || []) if (e.type in counts) counts[e.type] += 1;
  return counts;
}

function lookup(cat, path) {
  return path.split(".").reduce((n, k) => (n && typeof n === "object" ? n[k] : undefined), cat);
}

/** A suppression or drop reason code in words: the console's reasons, then the rep app's drop reasons, else the
 * code itself. */
export function reasonText(reason, locale) {
  if (!reason) return "";
  const cat = catalogues[normalizeLocale(locale)];
  const code = typeof reason === "object" ? reason.code : reason;
  for (const path of [`app.console.replay.reasons.${code}`, `drop.${code}`]) {
    const found = lookup(cat, path);
    if (typeof found === "string") return found;
  }
  return String(code);
}
