// Counter mode's data: shopper types and the needs vocabulary (kept in IndexedDB for offline), the
// comparison (from the server, or from the last answers cached by request key when the network is gone),
// and the share link for the shopper. Offline, the client does not solve: it shows an answer already asked.
import { reactive } from "vue";
import { api } from "@/core/api";
import { db, guarded, kvGet, kvSet, plain } from "@/core/db";
import { session } from "@/core/session";
import { COMPARISONS_KEEP, compareBody, requestKey } from "@/guide/compare";

export const counter = reactive({
  shopperTypes: [],
  needs: [],
  vocabularyFrom: null, // "server" | "cache" | null (nothing yet)
  busy: false,
  answer: null,
  cachedAt: null, // set when the answer shown comes from the cache
  error: null, // an error code
  request: null,
  approvals: {}, // option key → the approval request made for it (for the answer shown)
});

const KV_TYPES = "guide.shopper_types";
const kvNeeds = (counterType) => `guide.needs.${counterType || "_"}`;

export function counterType() {
  return session.user?.counter_type || null;
}

/** Shopper types and needs: the stored copy at once, then the server's when it answers. */
export async function loadVocabulary() {
  const ct = counterType();
  const [types, needs] = await Promise.all([kvGet(KV_TYPES, null), kvGet(kvNeeds(ct), null)]);
  if (types) counter.shopperTypes = types;
  if (needs) counter.needs = needs;
  if (types || needs) counter.vocabularyFrom = "cache";
  const query = new URLSearchParams({ channel: "retail" });
  if (ct) query.set("counter_type", ct);
  const [t, p] = await Promise.allSettled([api("/shopper-types"), api(`/products?${query}`)]);
  if (t.status === "fulfilled") {
    counter.shopperTypes = t.value?.items || [];
    kvSet(KV_TYPES, counter.shopperTypes).catch(() => {});
  }
  if (p.status === "fulfilled") {
    counter.needs = p.value?.needs || [...new Set((p.value?.items || []).flatMap((i) => i.needs || []))].sort();
    kvSet(kvNeeds(ct), counter.needs).catch(() => {});
  }
  if (t.status === "fulfilled" || p.status === "fulfilled") counter.vocabularyFrom = "server";
  const failed = [t, p].find((r) => r.status === "rejected");
  if (failed && !counter.vocabularyFrom) counter.error = failed.reason?.code || "network_error";
}

async function remember(key, body, answer) {
  await guarded(() => db.comparisons.put({ key, at: new Date().toISOString(), body: plain(body), answer: plain(answer) }));
  const count = await db.comparisons.count();
  if (count > COMPARISONS_KEEP) {
    const old = await db.comparisons.orderBy("at").limit(count - COMPARISONS_KEEP).primaryKeys();
    await db.comparisons.bulkDelete(old);
  }
}

/** The cached answer for this request, or null. */
export async function cachedAnswer(body) {
  return (await db.comparisons.get(requestKey(body))) || null;
}

/** Ask for three options; offline (or unreachable) fall back to the same request's cached answer. */
export async function compare(form) {
  const body = compareBody({ ...form, counterType: counterType() });
  counter.busy = true;
  counter.error = null;
  counter.request = body;
  counter.approvals = {};
  try {
    let answer = null;
    if (navigator.onLine) {
      try {
        answer = await api("/solutions/compare", { method: "POST", body });
      } catch (err) {
        if (!err.isNetwork) throw err;
      }
    }
    if (answer) {
      counter.answer = answer;
      counter.cachedAt = null;
      remember(requestKey(body), body, answer).catch(() => {});
      return;
    }
    const hit = await cachedAnswer(body);
    if (hit) {
      counter.answer = hit.answer;
      counter.cachedAt = hit.at;
    } else {
      counter.answer = null;
      counter.cachedAt = null;
      counter.error = "offline_not_cached";
    }
  } catch (err) {
    counter.answer = null;
    counter.cachedAt = null;
    counter.error = err.code || "http_error";
  } finally {
    counter.busy = false;
  }
}

/** Ask the guide's approver for this option's discount (above the guide's own limit); kept per option. */
export async function requestApproval(optionKey, note = "") {
  const approval = await api("/approvals", { method: "POST", body: { request: counter.request, option: optionKey, note } });
  counter.approvals = { ...counter.approvals, [optionKey]: approval };
  return approval;
}

/** A public, read-only link to this comparison for the shopper (needs the network: the server keeps it). */
export async function share() {
  const share = await api("/solutions/shares", { method: "POST", body: counter.request });
  return { ...share, absolute: new URL(share.url || `/s/${share.token}`, location.origin).href };
}
