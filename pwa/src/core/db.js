// IndexedDB (Dexie), the only module that opens it. What is stored where:
// - bundle tables (places, zones, packs, components, cards) + meta["bundle"]: the rep's territory from
//   GET /api/v1/sync/bundle, replaced (full) or patched (delta) in one transaction;
// - outbox: every action the rep took, with its client UUID, until the server answered accepted/duplicate
//   (rejected ones stay, with the error, for the rep to see);
// - history: the cards shown (server or offline), for the history screen and the "no second card" rule;
// - plans: today's plan (stops + the components the rep chose for each);
// - kv: small state that must survive a reload (the fence engine's state, the last position; the guide's
//   shopper types and needs vocabulary);
// - comparisons (version 2): the guide's last counter-mode answers by canonical request key
//   (guide/compare.js requestKey), the newest ~50, so a request already asked is answered offline.
import Dexie from "dexie";
import { toRaw } from "vue";
import { DB_NAME } from "@/constants";

export const db = new Dexie(DB_NAME);

db.version(1).stores({
  places: "id",
  zones: "id",
  packs: "id",
  components: "ref",
  cards: "place_id",
  meta: "key",
  outbox: "id, status, created_at",
  history: "id, place_id, at",
  plans: "date",
  kv: "key",
});

db.version(2).stores({
  comparisons: "key, at",
});

/** Deep plain copy: IndexedDB cannot clone Vue proxies (DataCloneError). */
export function plain(value) {
  return JSON.parse(JSON.stringify(toRaw(value)));
}

export async function kvGet(key, fallback = null) {
  const row = await db.kv.get(key);
  return row ? row.value : fallback;
}

export async function kvSet(key, value) {
  await db.kv.put({ key, value: plain(value) });
}

/** Wipe everything (logout: the next user of a shared phone sees nothing of this one). */
export async function clearAll() {
  await Promise.all(db.tables.map((t) => t.clear()));
}

/** Run a write; turn a full disk into an error the UI can name (QuotaExceededError). */
export async function guarded(write) {
  try {
    return await write();
  } catch (err) {
    if (err?.name === "QuotaExceededError" || err?.inner?.name === "QuotaExceededError") {
      const full = new Error("storage_full");
      full.code = "storage_full";
      throw full;
    }
    throw err;
  }
}
