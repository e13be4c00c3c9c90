// The bundle: GET /api/v1/sync/bundle[?since=version] → IndexedDB (one transaction) → memory.
// The in-memory copy (`bundle`) is what the offline card is composed from: an enter must render in well
// under 100 ms on a slow phone, so no IndexedDB read sits on that path.
import { reactive, shallowRef } from "vue";
import { api } from "@/core/api";
import { db, guarded, plain } from "@/core/db";

const TABLES = { places: "places", zones: "zones", packs: "packs", components: "components", cards: "cards" };
const KEYS = { places: "id", zones: "id", packs: "id", components: "ref", cards: "place_id" };

/** Reactive facts about the stored bundle, for the status screen. */
export const bundleState = reactive({ version: null, syncedAt: null, syncing: false, error: null, loaded: false });

/** The territory in memory: maps by id/ref, plus settings and names. Replaced wholesale on every change. */
export const bundle = shallowRef(emptyBundle());

function emptyBundle() {
  return { version: null, places: new Map(), zones: new Map(), packs: new Map(), components: new Map(),
    cards: new Map(), settings: null, names: {}, rep: null };
}

/** Read the stored bundle into memory (start-up, works offline). */
export async function loadStoredBundle() {
  const meta = await db.meta.get("bundle");
  const next = emptyBundle();
  if (meta) {
    const [places, zones, packs, components, cards] = await Promise.all(
      Object.values(TABLES).map((t) => db.table(t).toArray()));
    places.forEach((p) => next.places.set(Number(p.id), p));
    zones.forEach((z) => next.zones.set(Number(z.id), z));
    packs.forEach((p) => next.packs.set(p.id, p));
    components.forEach((c) => next.components.set(c.ref, c.value));
    cards.forEach((c) => next.cards.set(Number(c.place_id), c));
    Object.assign(next, { version: meta.version, settings: meta.settings, names: meta.names || {}, rep: meta.rep });
    bundleState.version = meta.version;
    bundleState.syncedAt = meta.synced_at;
  }
  bundleState.loaded = true;
  bundle.value = next;
  return next;
}

function rows(kind, upserts) {
  return Object.entries(upserts || {}).map(([key, value]) => (kind === "components"
    ? { ref: key, value } : { ...value, [KEYS[kind]]: kind === "packs" ? key : Number(key) }));
}

/** Apply a full or delta bundle answer to IndexedDB in one transaction. */
export async function applyBundle(answer) {
  await guarded(() => db.transaction("rw", [...Object.values(TABLES).map((t) => db.table(t)), db.meta], async () => {
    for (const [kind, table] of Object.entries(TABLES)) {
      const t = db.table(table);
      if (answer.full) await t.clear();
      const removed = (answer.removed || {})[kind] || [];
      if (removed.length) await t.bulkDelete(removed.map((k) => (kind === "packs" || kind === "components" ? k : Number(k))));
      const put = rows(kind, (answer.upserts || {})[kind]);
      if (put.length) await t.bulkPut(plain(put));
    }
    await db.meta.put(plain({ key: "bundle", version: answer.version, settings: answer.settings, names: answer.names,
      rep: answer.rep, synced_at: new Date().toISOString() }));
  }));
}

let inflight = null;

/** Fetch what changed since the stored version (or everything) and apply it; single-flight. */
export function syncBundle() {
  if (inflight) return inflight;
  inflight = (async () => {
    bundleState.syncing = true;
    try {
      const since = bundleState.version;
      const answer = await api(`/sync/bundle${since ? `?since=${encodeURIComponent(since)}` : ""}`);
      if (answer) {
        await applyBundle(answer);
        await loadStoredBundle();
      } else {
        const meta = await db.meta.get("bundle");
        if (meta) await db.meta.put({ ...meta, synced_at: new Date().toISOString() });
        bundleState.syncedAt = new Date().toISOString();
      }
      bundleState.error = null;
      return answer;
    } catch (err) {
      bundleState.error = err.code || "network_error";
      throw err;
    } finally {
      bundleState.syncing = false;
      inflight = null;
    }
  })();
  return inflight;
}
