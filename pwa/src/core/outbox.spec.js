// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { db } from "@/core/db";
import { flush, outboxState, record, refreshOutboxState } from "@/core/outbox";

/** A stand-in for POST /api/v1/events that stores each id once, as the server's unique constraint does. */
function fakeServer({ reject = () => null, failFirst = 0 } = {}) {
  const stored = new Map();
  let calls = 0;
  const fetchImpl = vi.fn(async (url, init) => {
    calls += 1;
    if (calls <= failFirst) throw new TypeError("Failed to fetch");
    const { events } = JSON.parse(init.body);
    const results = events.map((e) => {
      const error = reject(e);
      if (error) return { id: e.id, status: "rejected", error };
      if (stored.has(e.id)) return { id: e.id, status: "duplicate" };
      stored.set(e.id, e);
      return { id: e.id, status: "accepted" };
    });
    return new Response(JSON.stringify({ results }), { status: 200, headers: { "Content-Type": "application/json" } });
  });
  return { stored, fetchImpl };
}

beforeEach(async () => {
  await db.outbox.clear();
  await refreshOutboxState();
});
afterEach(() => vi.unstubAllGlobals());

describe("the outbox", () => {
  it("keeps what the rep did while offline and sends each event once", async () => {
    const server = fakeServer({ failFirst: 1 });
    vi.stubGlobal("fetch", server.fetchImpl);
    await record("card_feedback", { placeId: 3, popupId: "p1", data: { rating: "helpful" } });
    await record("card_shown_offline", { placeId: 3, popupId: "p1", data: { event: "enter_place" } });
    expect(outboxState.pending).toBe(1);
    expect(outboxState.system).toBe(1);
    expect(await flush()).toBe(1); // the network failed: nothing lost
    expect(await db.outbox.count()).toBe(2);
    expect(await flush()).toBe(0);
    expect(server.stored.size).toBe(2);
    expect([...server.stored.values()].map((e) => e.type).sort()).toEqual(["card_feedback", "card_shown_offline"]);
    expect(await db.outbox.count()).toBe(0);
  });

  it("treats a replay the server already has as delivered", async () => {
    const server = fakeServer();
    vi.stubGlobal("fetch", server.fetchImpl);
    const e = await record("check_in", { placeId: 4, data: { method: "tap" } });
    server.stored.set(e.id, e);
    await flush();
    expect(await db.outbox.count()).toBe(0);
    expect(server.stored.size).toBe(1);
  });

  it("keeps a refused event, with the reason, for the rep to see", async () => {
    const server = fakeServer({ reject: (e) => (e.type === "outcome" ? { code: "place_not_found", message: "no" } : null) });
    vi.stubGlobal("fetch", server.fetchImpl);
    await record("outcome", { placeId: 999, data: { result: "won" } });
    await record("visit", { placeId: 4, data: { note: "n", next_step: "s" } });
    await flush();
    expect(outboxState.pending).toBe(0);
    expect(outboxState.rejected.map((r) => [r.type, r.error.code])).toEqual([["outcome", "place_not_found"]]);
    await flush();
    expect(server.fetchImpl).toHaveBeenCalledTimes(1); // a refused event is not sent again
  });

  it("sends a long outbox in batches, oldest first", async () => {
    const server = fakeServer();
    vi.stubGlobal("fetch", server.fetchImpl);
    for (let i = 0; i < 250; i++) await record("plan", { data: { date: "2026-12-01", stops: [], i } });
    await flush();
    expect(server.fetchImpl).toHaveBeenCalledTimes(3);
    expect([...server.stored.values()].map((e) => e.data.i)).toEqual([...Array(250).keys()]);
  });
});
