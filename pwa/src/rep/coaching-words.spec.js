import { describe, expect, it } from "vitest";
import { coachingWhy, isNewRep, mergeCards, onboardingSource, pct, pushedComponent, unreadCount } from "@/rep/coaching-words";

describe("the coaching card's why", () => {
  it("names the indicator, its last values oldest first and the threshold", () => {
    const card = { indicator: "follow_up_48h", unit: "visit", values: [0, 0, 0.5], threshold: 0.3 };
    expect(coachingWhy(card)).toEqual({ key: "app.rep.coaching.why", params: { n: 3, values: "0%、0%、50%", threshold: "30%",
      unit: "visit", indicator: "follow_up_48h" } });
    expect(coachingWhy({ ...card, unit: undefined, indicator: "card_use" }, ", ").params).toMatchObject({ values: "0%, 0%, 50%", unit: "day" });
  });
  it("rounds to whole percent", () => { expect([pct(0.3333), pct(null)]).toEqual(["33%", "—"]); });
});

describe("the pushed component", () => {
  it("is the server's rendering, else the bundle's by ref", () => {
    const card = { component: { ref: "p/talk_tracks/t1", kind: "talk_tracks", item: { title: "server" } } };
    expect(pushedComponent(card, new Map([["p/talk_tracks/t1", { title: "bundle" }]])).item.title).toBe("server");
    expect(pushedComponent({ component: { ref: "p/counters/c1" } }, new Map([["p/counters/c1", { competitor: "X" }]])))
      .toEqual({ ref: "p/counters/c1", kind: "counters", item: { competitor: "X" } });
    expect(pushedComponent({ component: null }, new Map())).toBeNull();
  });
});

describe("the kept cards", () => {
  it("hold one card per id, newest first, at most the limit", () => {
    const old = [{ id: 1, created_at: "2026-11-01" }, { id: 2, created_at: "2026-11-02" }];
    const merged = mergeCards(old, [{ id: 2, created_at: "2026-11-02", fresh: true }, { id: 3, created_at: "2026-11-03" }], 2);
    expect(merged.map((c) => c.id)).toEqual([3, 2]);
    expect(merged[1].fresh).toBe(true);
  });
});

describe("the onboarding list", () => {
  const item = { id: 1, variant: "B", source: { experiment: 2, variants: [
    { variant: "A", exposures: 123, successes: 21, rate: 0.1707 }, { variant: "B", exposures: 63, successes: 33, rate: 0.5238 }] } };
  it("says where an item came from: the experiment, the winner's and the runner-up's numbers", () => {
    expect(onboardingSource(item)).toEqual({ key: "app.rep.onboarding.source_experiment", params: { experiment: 2, variant: "B", rate: "52%",
      k: 33, n: 63, other: "A", other_rate: "17%", other_k: 21, other_n: 123 } });
    expect(onboardingSource({ variant: null, source: { experiment: 5 } }).key).toBe("app.rep.onboarding.source_plain");
  });
  it("counts what the rep has not opened, and knows a new rep", () => {
    expect(unreadCount([{ id: 1 }, { id: 2 }], ["1"])).toBe(1);
    expect([isNewRep({ role: "rep", skill_level: "junior" }), isNewRep({ role: "rep", skill_level: "senior" })]).toEqual([true, false]);
  });
});
