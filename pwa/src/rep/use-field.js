// The rep's day in the field: location fixes → fences → cards, online (the server's popup) or offline (the
// bundle's card, decided by the local fence engine that mirrors geo/), and every card kept in history.
//
// One rule keeps cards single: while the socket is ready the server decides and the local engine only keeps
// its state warm; while it is not, the local engine decides, the card is composed from the bundle and a
// `card_shown_offline` event tells the server (the outbox is flushed before fixes flow again, so the server
// never pushes that card a second time).
import { computed, nextTick, reactive, shallowRef, watch } from "vue";
import { api } from "@/core/api";
import { composeCard } from "@/core/card";
import { db, kvGet, kvSet, plain } from "@/core/db";
import { buildPlaceIndex, DEFAULT_FENCE_SETTINGS, FenceTracker, haversineM } from "@/core/fence";
import { newId, record } from "@/core/outbox";
import { withinDuty } from "@/rep/duty";
import { link, resetTrack, sendFix } from "@/core/socket";
import { bundle } from "@/core/sync";
import { FENCE_STATE_SAVE_MS, NEARBY_RADIUS_M } from "@/constants";

export const field = reactive({
  position: null, // {lat, lon, accuracy_m, ts_ms}
  location: "off", // off | waiting | on | simulated | denied | unavailable
  drop: null, // reason of the last dropped fix (shown in words)
  card: null, // the open card (a popup payload)
  cardOpen: false,
  dwellPlaceId: null, // a dwell the rep may confirm as a check-in
  shownToday: 0,
  // The rep's location switch and duty (GET /auth/me/duty, docs/privacy.md): off, no fix leaves the phone.
  duty: { location_on: true, on_duty: true, reason: null, schedule: null, loaded: false },
});

/** Read the switch and the schedule in force (kept as it was when offline). */
export async function loadDuty() {
  try {
    Object.assign(field.duty, await api("/auth/me/duty"), { loaded: true });
  } catch { /* offline: the last known state stands */ }
  return field.duty;
}

/** The rep's switch: off stops sending fixes at once (the server refuses any as location_off, too). */
export async function setLocationOn(on) {
  const previous = field.duty.location_on;
  field.duty.location_on = on;
  try {
    Object.assign(field.duty, await api("/auth/me/duty", { method: "PUT", body: { location_on: on } }), { loaded: true });
  } catch (err) {
    field.duty.location_on = previous;
    throw err;
  }
  if (!on) field.drop = "location_off";
  else if (field.drop === "location_off") field.drop = null;
  return field.duty;
}

const tracker = shallowRef(new FenceTracker(DEFAULT_FENCE_SETTINGS));
let index = buildPlaceIndex([]);
let watchId = null;
let lastReadingMs = 0;
let resetPending = false; // a simulated jump made offline: the server's track is reset when it can hear us
const REFRESH_MAX_AGE_MS = 120_000;
let saveTimer = null;
let cardListeners = [];

/** Subscribe to every card shown (used by the plan to open a stop's selection on arrival). */
export function onCard(fn) { cardListeners.push(fn); }

/** Work that must not delay the card: it runs after the next frame is painted. */
function afterPaint(fn) {
  requestAnimationFrame(() => setTimeout(fn, 0));
}

// The nearby list follows the position one frame late, so a fix that opens a card renders the card first.
const nearbyAnchor = shallowRef(null);

export const nearby = computed(() => {
  const b = bundle.value;
  const here = nearbyAnchor.value;
  const list = [...b.places.values()].map((p) => ({ ...p, distance_m: here ? haversineM(here.lat, here.lon, p.lat, p.lon) : null }));
  if (!here) return list.sort((a, b2) => a.name.localeCompare(b2.name, "zh-CN"));
  return list.filter((p) => p.distance_m <= NEARBY_RADIUS_M).sort((a, b2) => a.distance_m - b2.distance_m);
});

watch(bundle, (b) => {
  index = buildPlaceIndex([...b.places.values()].map((p) => ({ id: p.id, lat: p.lat, lon: p.lon, radius_m: p.radius_m })));
  const settings = { ...DEFAULT_FENCE_SETTINGS, ...(b.settings?.fence || {}) };
  if (JSON.stringify(settings) !== JSON.stringify(tracker.value.settings)) {
    const state = tracker.value.exportState();
    tracker.value = new FenceTracker(settings);
    tracker.value.importState(state);
  }
  if (field.card) refreshOpenCard();
  if (!link.ready) refreshPosition();
});

// A fix taken before the socket was ready (or before the bundle arrived) reached no fence engine that could
// act on it; once the socket is ready, the current position goes again as a fresh fix.
watch(() => link.ready, async (ready) => {
  if (!ready) return;
  if (resetPending) { resetPending = false; await resetTrack(); }
  refreshPosition();
});

/**
 * Send where the rep is now as a new fix: the simulated spot, or the last GPS reading if it is under two
 * minutes old (a phone standing still reports nothing new, so there may be no fresher one to wait for).
 */
export function refreshPosition() {
  const p = field.position;
  if (!p || (field.location !== "simulated" && field.location !== "on")) return;
  if (field.location === "on" && Date.now() - (lastReadingMs || 0) > REFRESH_MAX_AGE_MS) return;
  handleFix({ ...p, ts_ms: Math.max(Date.now(), (p.ts_ms || 0) + 1) });
}

/** Restore the local fence state saved before the last reload. */
export async function restoreFenceState() {
  const state = await kvGet("fence");
  if (state) {
    try { tracker.value.importState(state); } catch { tracker.value.forget(); }
  }
  field.position = await kvGet("position");
  nearbyAnchor.value = field.position;
  const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
  for (const h of await db.history.where("at").aboveOrEqual(since).toArray()) {
    lastShown.set(Number(h.place_id), Math.max(lastShown.get(Number(h.place_id)) || 0, new Date(h.at).getTime()));
  }
}

function saveSoon() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveNow, FENCE_STATE_SAVE_MS);
}

/** Write the fence state and position now (also on visibilitychange: a locked phone loses nothing). */
export async function saveNow() {
  clearTimeout(saveTimer);
  await kvSet("fence", tracker.value.exportState());
  if (field.position) await kvSet("position", field.position);
}

function cooldownMs() {
  return 1000 * (bundle.value.settings?.fence?.cooldown_s ?? DEFAULT_FENCE_SETTINGS.cooldown_s);
}

// place id → when its card was last shown (from today's history at start, then kept here): the offline card
// path asks it without an IndexedDB read.
const lastShown = new Map();

function shownRecently(placeId) {
  const at = lastShown.get(Number(placeId));
  return at != null && Date.now() - at < cooldownMs();
}

export function openCard(card) {
  field.card = card;
  field.cardOpen = true;
  if (navigator.vibrate) navigator.vibrate(150);
  // "fix → card on screen", measured by bench/bench_pwa.py: the next frame after Vue has rendered the card
  nextTick(() => requestAnimationFrame(() => {
    try { performance.measure("bm-fix-to-card", "bm-fix"); } catch { /* no fix mark: a card opened by hand */ }
  }));
}

/** Keep the card in history: at once in memory, in IndexedDB once the card is on screen. */
function remember(card, source) {
  const at = new Date();
  lastShown.set(Number(card.place.id), at.getTime());
  cardListeners.forEach((fn) => fn(card));
  return new Promise((resolve) => afterPaint(() => {
    db.history.put(plain({ id: card.id, place_id: Number(card.place.id), at: at.toISOString(), source,
      event: card.event, card })).finally(() => { field.shownToday += 1; resolve(); });
  }));
}

/** A server `popup`: shown as it comes. */
export async function receivePopup(popup) {
  const card = { ...popup, source: "server" };
  openCard(card);
  await remember(card, "server");
}

function showOffline(placeId, distanceM, event) {
  if (shownRecently(placeId)) return;
  const card = composeCard(bundle.value, placeId, { id: newId(), distanceM, event });
  if (!card) return;
  openCard(card);
  remember(card, "offline");
  afterPaint(() => record("card_shown_offline", { placeId: Number(placeId), popupId: card.id,
    data: { event, distance_m: distanceM == null ? null : Math.round(distanceM) } }));
}

/** The bundle changed (a pack was published): the open card shows the new content at once, same id. */
function refreshOpenCard() {
  const c = field.card;
  const fresh = composeCard(bundle.value, c.place.id, { id: c.id, distanceM: c.distance_m, event: c.event });
  if (fresh) field.card = { ...fresh, source: c.source, refreshed: true };
}

/** Re-open a place's card from the bundle (plan, history, nearby list): nothing is recorded as shown. */
export function previewCard(placeId) {
  const card = composeCard(bundle.value, placeId, { id: newId(), distanceM: null });
  if (card) { field.card = card; field.cardOpen = true; }
  return card;
}

/** One fix, from the GPS or the simulation. */
export async function handleFix(fix) {
  if (!field.duty.location_on) { field.drop = "location_off"; return; } // nothing sent, nothing decided
  if (!withinDuty(field.duty.schedule, fix.ts_ms, field.duty.timezone)) {
    Object.assign(field, { drop: "off_duty" });
    Object.assign(field.duty, { on_duty: false, reason: "off_duty" });
    return;
  }
  performance.mark("bm-fix");
  field.position = { lat: fix.lat, lon: fix.lon, accuracy_m: fix.accuracy_m, ts_ms: fix.ts_ms };
  afterPaint(() => { nearbyAnchor.value = field.position; });
  const events = tracker.value.update(fix, index);
  saveSoon();
  const localDrop = events.find((e) => e.event === "drop");
  const dwell = events.find((e) => e.event === "dwell");
  if (dwell) field.dwellPlaceId = dwell.place_id;
  if (link.ready) {
    const ack = await sendFix(fix);
    if (ack) {
      field.drop = ack.dropped || null;
      if (ack.dropped === "off_duty" || ack.dropped === "location_off") {
        Object.assign(field.duty, { on_duty: false, reason: ack.dropped });
      } else if (!ack.dropped) {
        Object.assign(field.duty, { on_duty: true, reason: null });
      }
      return;
    }
  }
  field.drop = localDrop ? localDrop.reason : null;
  for (const e of events) {
    if (e.event === "enter") showOffline(e.place_id, e.distance_m, "enter_place");
    else if (e.event === "dwell" && bundle.value.cards.get(Number(e.place_id))?.dwell) {
      showOffline(e.place_id, e.distance_m, "dwell");
    }
  }
}

export function startWatching() {
  if (!("geolocation" in navigator)) { field.location = "unavailable"; return; }
  stopWatching();
  field.location = "waiting";
  watchId = navigator.geolocation.watchPosition(
    (pos) => {
      field.location = "on";
      lastReadingMs = Date.now();
      handleFix({ lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: pos.coords.accuracy, ts_ms: Date.now() });
    },
    (err) => { field.location = err.code === 1 ? "denied" : "unavailable"; },
    { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 },
  );
}

export function stopWatching() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
}

/**
 * The laptop demo: put the simulated rep inside a client's fence. The jump cannot pass the speed rule, so the
 * track is reset explicitly (server and local engine start a new session: the first fix inside enters).
 */
export async function simulateAt(placeId) {
  const place = bundle.value.places.get(Number(placeId));
  if (!place) return;
  stopWatching();
  field.location = "simulated";
  tracker.value.forget();
  if (link.ready) await resetTrack();
  else resetPending = true;
  const north = (place.radius_m * 0.2) / 111195;
  await handleFix({ lat: place.lat + north, lon: place.lon, accuracy_m: 10, ts_ms: Date.now() });
}

export async function resetField() {
  stopWatching();
  tracker.value.forget();
  Object.assign(field, { position: null, location: "off", drop: null, card: null, cardOpen: false, dwellPlaceId: null, shownToday: 0 });
  Object.assign(field.duty, { location_on: true, on_duty: true, reason: null, schedule: null, loaded: false });
  nearbyAnchor.value = null;
  lastShown.clear();
  cardListeners = [];
}
