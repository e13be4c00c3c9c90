import { describe, expect, it } from "vitest";
import { designChanges, digestLines, headline, healthRows, heatPoints, indicatorColumns, percent, points, promotedHash,
  ragClass, serverFieldErrors, sortExperiments, trackTitle, unitRow, verdict, whyText } from "@/console/insights/shaping";

const WINNER = {
  id: 2, status: "winner", winner: "B", reason: "evidence", alpha: 0.05, min_exposures: 40, window_days: 7, metric: "advanced_or_won",
  pack: { id: "community-retail" }, talk_track_id: "cr-tt-proposal-cold-chain",
  variants: [{ variant: "A", exposures: 123, successes: 21, rate: 0.1707 }, { variant: "B", exposures: 63, successes: 33, rate: 0.5238 }],
  pairs: [{ a: "A", b: "B", difference: 0.353, interval: [0.119, 0.587] }],
  promoted_version: { pack: "community-retail", number: 2 }, decided_at: "2026-12-01T10:00:00Z",
};

describe("verdict", () => {
  it("names the winner, both rates and counts, and the difference with its interval", () => {
    expect(verdict(WINNER)).toEqual({ key: "winner", params: { winner: "B", rate: "52.4%", n: 63, k: 33, other: "A", other_rate: "17.1%",
      other_n: 123, other_k: 21, diff: "+35", lo: "+12", hi: "+59", alpha: 0.05 } });
  });
  it("turns the pair around when the winner is its a", () => {
    const exp = { ...WINNER, winner: "A", variants: [...WINNER.variants].reverse().map((v) => ({ ...v, variant: v.variant === "A" ? "B" : "A" })),
      pairs: [{ a: "A", b: "B", difference: -0.353, interval: [-0.587, -0.119] }] };
    const { params } = verdict(exp);
    expect([params.diff, params.lo, params.hi]).toEqual(["+35", "+12", "+59"]);
  });
  it("says how many exposures a running experiment still needs", () => {
    const exp = { status: "running", reason: "min_sample", min_exposures: 40, variants: [{ exposures: 6 }, { exposures: 19 }] };
    expect(verdict(exp)).toEqual({ key: "running_min_sample", params: { min: 40, n: 6, left: 34 } });
    expect(verdict({ status: "running", reason: "undecided", alpha: 0.05, variants: [] }).key).toBe("running_evidence");
  });
  it("tells an equivalence from a sample cap", () => {
    expect(verdict({ status: "no_difference", reason: "equivalent", variants: [{ exposures: 300 }, { exposures: 280 }] }))
      .toEqual({ key: "no_difference_equivalent", params: { n: 280 } });
    expect(verdict({ status: "no_difference", reason: "max_sample", variants: [{ exposures: 2000 }] }).key).toBe("no_difference_max_sample");
  });
});

describe("numbers in words", () => {
  it("rounds rates to one decimal and points with a sign", () => {
    expect([percent(0.5), percent(0.1707), percent(null)]).toEqual(["50", "17.1", "—"]);
    expect([points(0.353), points(-0.03), points(0)]).toEqual(["+35", "−3", "0"]);
  });
});

describe("the promoted draft", () => {
  it("opens in the packs screen at its version's review tab", () => {
    expect(promotedHash(WINNER)).toBe("#/console/packs?pack=community-retail&v=2&tab=review");
    expect(promotedHash({ promoted_version: null })).toBeNull();
  });
});

describe("experiments", () => {
  it("are named by their talk-track's title from the bundle, else its id", () => {
    const components = new Map([["community-retail/talk_tracks/cr-tt-proposal-cold-chain", { title: "方案：冷链展柜" }]]);
    expect(trackTitle(WINNER, components)).toBe("方案：冷链展柜");
    expect(trackTitle(WINNER, new Map())).toBe("cr-tt-proposal-cold-chain");
    const perVariant = new Map([["community-retail/talk_tracks/cr-tt-proposal-cold-chain@A", { title: "方案 A 版" }]]);
    expect(trackTitle(WINNER, perVariant)).toBe("方案 A 版");
  });
  it("list decided ones first", () => {
    const items = [{ id: 1, status: "running" }, { id: 3, status: "no_difference", decided_at: "2026-11-01" }, WINNER];
    expect(sortExperiments(items).map((e) => e.id)).toEqual([2, 3, 1]);
  });
});

describe("the design form", () => {
  it("sends only what changed, as numbers", () => {
    const form = { metric: "won", window_days: "7", min_exposures: " 60 ", alpha: "0.05" };
    expect(designChanges(WINNER, form)).toEqual({ body: { metric: "won", min_exposures: 60 }, errors: {} });
  });
  it("refuses values outside the server's ranges before sending", () => {
    const form = { metric: "advanced_or_won", window_days: "0", min_exposures: "10.5", alpha: "0.5" };
    const { body, errors } = designChanges(WINNER, form);
    expect(body).toEqual({});
    expect(errors).toEqual({ window_days: { lo: 1, hi: 90 }, min_exposures: { lo: 20, hi: 100000 }, alpha: { lo: 0.001, hi: 0.2 } });
  });
  it("maps a 422's fields to the form's fields", () => {
    expect(serverFieldErrors({ window_days: ["Must be…"], other: ["x"] })).toEqual({ window_days: { lo: 1, hi: 90 }, other: { code: "other" } });
  });
});

describe("process health", () => {
  const health = {
    reps: [
      { rep: { id: 1 }, indicators: [{ code: "card_use", rag: "amber" }, { code: "plan_completion", rag: "green" }] },
      { rep: { id: 2 }, indicators: [{ code: "card_use", rag: "red" }, { code: "plan_completion", rag: "red" }, { code: "new_one", rag: "none" }] },
    ],
    grids: [],
  };
  it("has the six indicators in a stable order, then any new one", () => {
    expect(indicatorColumns(health)).toEqual(["plan_completion", "card_use", "new_one"]);
  });
  it("puts the rep with the most reds first", () => {
    const rows = healthRows(health.reps);
    expect(rows.map((r) => [r.id, r.red, r.amber])).toEqual([[2, 2, 0], [1, 0, 1]]);
    expect(rows[0].cells.card_use.rag).toBe("red");
  });
  it("gives every level a class, unknown ones grey", () => {
    expect(["red", "amber", "green", "none", undefined].map(ragClass)).toEqual(["rag-red", "rag-amber", "rag-green", "rag-none", "rag-none"]);
  });
  it("marks a drill-down unit below the threshold as a miss", () => {
    const unit = { key: "cards:2026-11-04", at: "2026-11-04T02:40:00Z", numerator: 1, denominator: 7, value: 0.1429, event_ids: ["a", "b"] };
    expect(unitRow(unit, 0.35)).toMatchObject({ kind: "cards", share: "1/7", miss: true, events: 2 });
    expect(unitRow({ ...unit, key: "e2a1-…", value: 1, numerator: 1, denominator: 1 }, 0.3)).toMatchObject({ kind: "visit", miss: false });
  });
});

describe("the heat map", () => {
  const districts = [{ district: "闵行区", lat: 31.09, lon: 121.43, visits: 154, cards_used: 76, wins: 7 },
    { district: "徐汇区", lat: 31.18, lon: 121.44, visits: 46, cards_used: 15, wins: 0 },
    { district: "无坐标", lat: null, lon: null, visits: 9 }];
  it("sizes circles by the square root of the count and leaves out districts without a place or a count", () => {
    const visits = heatPoints(districts, "visits", { minRadius: 6, maxRadius: 30 });
    expect(visits.map((p) => [p.name, p.value, p.radius])).toEqual([["闵行区", 154, 30], ["徐汇区", 46, 19]]);
    expect(visits[0].colour).not.toBe(visits[1].colour);
    expect(heatPoints(districts, "wins").map((p) => p.name)).toEqual(["闵行区"]);
  });
});

describe("the headline", () => {
  it("sums the period's cards and wins and counts decided experiments", () => {
    const numbers = { cards_over_time: [{ shown: 40, used: 10 }, { shown: 60, used: 20 }], funnel: { steps: [{ step: "outcome", count: 9 }] },
      districts: [{ wins: 3 }, { wins: 4 }] };
    expect(headline(numbers, { items: [WINNER, { status: "running" }] })).toEqual({ shown: 100, used: 30, rate: 0.3, outcomes: 9, wins: 7,
      decided: 1, running: 1 });
    expect(headline(null, null).rate).toBeNull();
  });
});

describe("the weekly digest", () => {
  it("becomes lines of what was used, what won and who needs coaching", () => {
    const body = { used: { cards_shown: 200, feedback: 120, used_or_helpful: 70, rate: 0.35, top_talk_tracks: [{ title: "冷链", used: 9 }] },
      outcomes: { advanced: 5, won: 2, lost: 1, no_decision: 0 },
      experiments: { decided: [{ pack: "community-retail", talk_track_id: "cr-tt", status: "winner", winner: "B" }], running: 4 },
      coaching: [{ rep: { name: "李明" }, red: ["card_use"], alerts: [] }, { rep: { name: "陈静" }, red: [], alerts: [] }], warnings: [] };
    expect(digestLines(body, { title: (e) => e.talk_track_id }).map((l) => l.key)).toEqual(["used", "top", "outcomes", "winner", "running", "coaching"]);
    expect(digestLines(body).find((l) => l.key === "coaching").params).toEqual({ list: "李明", n: 1 });
  });
});

describe("whyText", () => {
  it("falls back to the server's sentence for a code the catalogue does not know", () => {
    expect(whyText({ rule: "not_a_rule_anywhere", facts: {}, detail: "the server's words" }, "zh")).toBe("the server's words");
  });
});
