// The outbox: every action the rep takes becomes an event with a client-made UUID, kept in IndexedDB until
// POST /api/v1/events answers for it. The server stores each id once (a unique constraint), so sending the
// same event twice — after a reload, a crash, a replay by Background Sync — changes nothing.
import { reactive } from "vue";
import { api } from "@/core/api";
import { db, guarded, plain } from "@/core/db";
import { OUTBOX_BATCH } from "@/constants";

/** Events the app records for itself (not something the rep did): sent like the rest, not counted as "waiting". */
export const SYSTEM_TYPES = ["card_shown_offline"];

export const outboxState = reactive({ pending: 0, system: 0, rejected: [], flushing: false, lastError: null });

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export async function refreshOutboxState() {
  const pending = await db.outbox.where("status").equals("pending").toArray();
  outboxState.system = pending.filter((e) => SYSTEM_TYPES.includes(e.type)).length;
  outboxState.pending = pending.length - outboxState.system;
  outboxState.rejected = await db.outbox.where("status").equals("rejected").toArray();
}

let lastCreated = 0;

/** Record an action; it is safe in IndexedDB before this resolves. Returns the event. */
export async function record(type, { placeId = null, popupId = null, data = {} } = {}) {
  // strictly increasing, so events recorded within one millisecond still replay in the order they happened
  lastCreated = Math.max(Date.now(), lastCreated + 0.001);
  const event = { id: newId(), type, at: new Date().toISOString(), place_id: placeId, popup_id: popupId,
    data: plain(data), status: "pending", created_at: lastCreated, error: null };
  await guarded(() => db.outbox.add(event));
  await refreshOutboxState();
  return event;
}

function wire(e) {
  const out = { id: e.id, type: e.type, at: e.at, data: e.data };
  if (e.place_id != null) out.place_id = e.place_id;
  if (e.popup_id != null) out.popup_id = e.popup_id;
  return out;
}

let inflight = null;

/** Send every pending event, oldest first, in batches; single-flight. Resolves to the rep's events still waiting. */
export function flush() {
  if (inflight) return inflight;
  inflight = (async () => {
    outboxState.flushing = true;
    try {
      for (;;) {
        const batch = await db.outbox.where("status").equals("pending").sortBy("created_at");
        if (!batch.length) break;
        const slice = batch.slice(0, OUTBOX_BATCH);
        const answer = await api("/events", { method: "POST", body: { events: slice.map(wire) } });
        const byId = new Map((answer.results || []).map((r) => [r.id, r]));
        await db.transaction("rw", db.outbox, async () => {
          for (const e of slice) {
            const r = byId.get(e.id);
            if (!r) continue;
            if (r.status === "rejected") await db.outbox.update(e.id, { status: "rejected", error: r.error || null });
            else await db.outbox.delete(e.id);
          }
        });
        if (slice.some((e) => !byId.has(e.id))) break; // an answer that skips events: try again later
      }
      outboxState.lastError = null;
    } catch (err) {
      outboxState.lastError = err.code || "network_error";
    } finally {
      outboxState.flushing = false;
      inflight = null;
      await refreshOutboxState();
    }
    return outboxState.pending;
  })();
  return inflight;
}

/** Forget a rejected event the rep has read (it was never stored by the server). */
export async function discardRejected(id) {
  await db.outbox.delete(id);
  await refreshOutboxState();
}
