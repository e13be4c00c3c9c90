// The one /field socket. Fixes are sent only while connected (never buffered: a fix replayed after
// reconnecting carries an old timestamp and the server rightly drops it as impossible_speed), and only after
// the outbox has been flushed, so the server knows which cards were already shown offline.
import { io } from "socket.io-client";
import { reactive } from "vue";
import { isExpired, refreshSession } from "@/core/api";
import { session } from "@/core/session";
import { ACK_TIMEOUT_MS, EV_COACHING_CARD, EV_LOCATION, EV_PACK_UPDATED, EV_POPUP, EV_TRACK_RESET, SOCKET_NAMESPACE } from "@/constants";

export const link = reactive({ connected: false, ready: false, error: null });

let socket = null;
let credentials = null;
const handlers = { popup: () => {}, packUpdated: () => {}, coachingCard: () => {}, beforeReady: async () => {},
  expired: () => {} };

export function onPopup(fn) { handlers.popup = fn; }
export function onPackUpdated(fn) { handlers.packUpdated = fn; }
export function onCoachingCard(fn) { handlers.coachingCard = fn; }
export function onExpired(fn) { handlers.expired = fn; }
/** Work to finish after each (re)connect before fixes flow (the outbox flush). */
export function beforeReady(fn) { handlers.beforeReady = fn; }

/** Open the socket now (online) or remember how to, for resume() (an app started offline). */
export function connect(token, locale, { now = true } = {}) {
  disconnect();
  credentials = { token, locale };
  if (!now) return;
  socket = io(SOCKET_NAMESPACE, {
    // read at every (re)connect: after an hour the access token has been refreshed (core/api.js)
    auth: (cb) => cb({ token: session.token || token, locale }),
    transports: ["websocket"],
    reconnectionDelay: 1000,
    reconnectionDelayMax: 30000,
    randomizationFactor: 0.5,
  });
  socket.on("connect", async () => {
    link.connected = true;
    link.error = null;
    try {
      await handlers.beforeReady();
    } finally {
      link.ready = socket?.connected ?? false;
    }
  });
  socket.on("disconnect", () => { link.connected = false; link.ready = false; });
  socket.on("connect_error", (err) => {
    link.connected = false;
    link.ready = false;
    link.error = err?.data?.error?.code || "network_error";
    if (link.error === "token_expired") {
      const current = socket;
      refreshSession().then((r) => {
        if (current !== socket) return; // disconnected or replaced meanwhile
        if (r.ok) current.connect();
        else { handlers.expired(r.code); disconnect(); }
      }).catch(() => {}); // offline: resume() connects (and asks) again
    } else if (isExpired(link.error)) { handlers.expired(link.error); disconnect(); }
  });
  socket.on(EV_POPUP, (p) => handlers.popup(p));
  socket.on(EV_PACK_UPDATED, (p) => handlers.packUpdated(p));
  socket.on(EV_COACHING_CARD, (p) => handlers.coachingCard(p));
}

export function disconnect() {
  credentials = null;
  if (socket) {
    socket.removeAllListeners();
    socket.disconnect();
  }
  socket = null;
  link.connected = false;
  link.ready = false;
}

/** Pause (offline) without forgetting the credentials; resume() reconnects. */
export function pause() { socket?.disconnect(); link.connected = false; link.ready = false; }
export function resume() {
  if (!socket && credentials) connect(credentials.token, credentials.locale);
  else if (socket && !socket.connected) socket.connect();
}

function emitWithAck(event, payload) {
  return new Promise((resolve) => {
    if (!socket || !link.ready) { resolve(null); return; }
    socket.volatile.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err, ack) => resolve(err ? null : ack));
  });
}

/** Send a live fix; resolves to the ack (null when not sent: offline, or no answer in time). */
export function sendFix(fix) {
  return emitWithAck(EV_LOCATION, { lat: fix.lat, lon: fix.lon, accuracy_m: fix.accuracy_m, ts: fix.ts_ms });
}

/** Ask the server to forget this rep's fence track (the laptop simulation jumps; a new session starts). */
export function resetTrack() {
  return emitWithAck(EV_TRACK_RESET, {});
}
