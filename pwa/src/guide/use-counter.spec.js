// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { db } from "@/core/db";
import { COMPARISONS_KEEP } from "@/guide/compare";
import { compare, counter, loadVocabulary } from "@/guide/use-counter";

const ANSWER = { options: [{ key: "economy", total_price: 3200, cost_breakdown: [{ sku: "a", amount: 3200 }] }], talk_tracks: [] };

function server(handler) {
  return vi.fn(async (url, init) => {
    const out = handler(String(url), init);
    if (out instanceof Error) throw out;
    return new Response(JSON.stringify(out), { status: 200, headers: { "Content-Type": "application/json" } });
  });
}

function online(value) {
  Object.defineProperty(navigator, "onLine", { configurable: true, get: () => value });
}

beforeEach(async () => {
  await db.comparisons.clear();
  await db.kv.clear();
  online(true);
});
afterEach(() => vi.unstubAllGlobals());

const FORM = { budgetMin: "3000", budgetMax: "6000", needs: ["血压"], shopperType: "chronic_self" };

describe("counter mode offline", () => {
  it("answers a request already asked from the cache, marked with its time", async () => {
    const fetchImpl = server(() => ANSWER);
    vi.stubGlobal("fetch", fetchImpl);
    await compare(FORM);
    expect(counter.answer).toEqual(ANSWER);
    expect(counter.cachedAt).toBe(null);
    const body = JSON.parse(fetchImpl.mock.calls[0][1].body);
    expect(body).toMatchObject({ budget_min: 3000, budget_max: 6000, needs: ["血压"], channel: "retail", shopper_type: "chronic_self" });
    await vi.waitFor(async () => expect(await db.comparisons.count()).toBe(1));

    vi.stubGlobal("fetch", server(() => new TypeError("Failed to fetch")));
    counter.answer = null;
    await compare({ ...FORM, needs: ["血压", "血压"] });
    expect(counter.answer).toEqual(ANSWER);
    expect(counter.cachedAt).toBeTruthy();
    expect(counter.error).toBe(null);
  });

  it("says so plainly for a request never asked", async () => {
    online(false);
    vi.stubGlobal("fetch", server(() => { throw new Error("must not be called offline"); }));
    await compare({ ...FORM, budgetMax: "9999" });
    expect(counter.answer).toBe(null);
    expect(counter.error).toBe("offline_not_cached");
  });

  it("keeps only the newest answers", async () => {
    vi.stubGlobal("fetch", server(() => ANSWER));
    for (let i = 0; i < COMPARISONS_KEEP + 3; i += 1) {
      await compare({ ...FORM, budgetMax: String(6000 + i) });
      await new Promise((r) => setTimeout(r, 2));
    }
    await vi.waitFor(async () => expect(await db.comparisons.count()).toBe(COMPARISONS_KEEP));
  });

  it("keeps shopper types and needs for the next start without network", async () => {
    vi.stubGlobal("fetch", server((url) => (url.includes("shopper-types")
      ? { items: [{ key: "gift", name_zh: "x", name_en: "Gift" }] } : { items: [], needs: ["血压", "血糖"] })));
    await loadVocabulary();
    expect(counter.needs).toEqual(["血压", "血糖"]);
    counter.needs = [];
    counter.shopperTypes = [];
    vi.stubGlobal("fetch", server(() => new TypeError("Failed to fetch")));
    await loadVocabulary();
    expect(counter.needs).toEqual(["血压", "血糖"]);
    expect(counter.shopperTypes.map((s) => s.key)).toEqual(["gift"]);
    expect(counter.vocabularyFrom).toBe("cache");
  });
});
