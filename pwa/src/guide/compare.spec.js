import { describe, expect, it } from "vitest";
import { closestOptions, compareBody, comparisonOf, highlights, pricing, promiseGist, realOptions, requestKey,
  shortfall, validateBudget, whyText } from "@/guide/compare";

const option = (key, total, days, fit, promises = [], missing = []) => ({
  key, name: key, total_price: total, delivery_days: days, fit_score: fit, service_commitments: promises,
  covered_needs: ["血压"], missing_needs: missing, cost_breakdown: [{ sku: key, name: key, kind: "device", tier: key, amount: total }],
  why: [],
});

describe("the request key", () => {
  it("is the same whatever the order, repeats or types of the same request", () => {
    const a = compareBody({ budgetMin: "3000", budgetMax: "6000", needs: ["血糖", "血压", "血压"], shopperType: "chronic_self" });
    const b = { shopper_type: "chronic_self", needs: ["血压", "血糖"], budget_max: 6000, budget_min: 3000, channel: "retail" };
    expect(requestKey(a)).toBe(requestKey(b));
    expect(a).toEqual({ budget_min: 3000, budget_max: 6000, needs: ["血压", "血糖"].sort(), channel: "retail",
      shopper_type: "chronic_self" });
  });

  it("differs when anything the answer depends on differs", () => {
    const base = { budget_min: 3000, budget_max: 6000, needs: ["血压"], channel: "retail" };
    const keys = new Set([
      base, { ...base, budget_max: 6001 }, { ...base, needs: ["血压", "血糖"] }, { ...base, shopper_type: "gift" },
      { ...base, counter_type: "pharmacy" }, { ...base, discount_cny: 300 },
    ].map(requestKey));
    expect(keys.size).toBe(6);
  });

  it("leaves out an unset shopper type and counter type from the body", () => {
    expect(compareBody({ budgetMin: "", budgetMax: "800", needs: [] })).toEqual(
      { budget_min: 0, budget_max: 800, needs: [], channel: "retail" });
  });
});

describe("the guide's discount", () => {
  it("goes into the body only when there is one, and a ¥0 discount is the same request as none", () => {
    const base = { budgetMin: "3000", budgetMax: "6000", needs: ["血压"] };
    expect(compareBody({ ...base, discountCny: "300" }).discount_cny).toBe(300);
    expect(compareBody({ ...base, discountCny: "" })).not.toHaveProperty("discount_cny");
    expect(requestKey(compareBody({ ...base, discountCny: "0" }))).toBe(requestKey(compareBody(base)));
  });

  it("prices an option: list, discount, final, and whether it needs an approval", () => {
    expect(pricing({ total_price: 1280, discount_cny: 0 })).toBe(null);
    expect(pricing({ total_price: 1280, list_price: 1280, discount_cny: 300, final_price: 980,
      discount_status: "within_authority" })).toEqual({ list: 1280, discount: 300, final: 980, needsApproval: false });
    expect(pricing({ total_price: 1280, discount_cny: 800, discount_status: "needs_approval" }))
      .toEqual({ list: 1280, discount: 800, final: 480, needsApproval: true });
  });
});

describe("budget checks", () => {
  it("asks for a maximum, a number and a sane order", () => {
    expect(validateBudget("", "")).toBe("budget_max");
    expect(validateBudget("100", "0")).toBe("budget_max");
    expect(validateBudget("7000", "6000")).toBe("budget_order");
    expect(validateBudget("", "6000")).toBe(null);
    expect(validateBudget("3000", "6000")).toBe(null);
  });
});

describe("the options shown", () => {
  it("drop empty and ¥0 options and keep economy → standard → premium", () => {
    const answer = [option("premium", 5900, 3, 90), { ...option("standard", 0, 1, 0), cost_breakdown: [] },
      option("economy", 3100, 2, 70)];
    expect(realOptions(answer).map((o) => o.key)).toEqual(["economy", "premium"]);
  });

  it("read the closest options as a list or as {options}", () => {
    const o = option("economy", 2000, 2, 40, [], ["血糖"]);
    expect(closestOptions({ closest: [o] })).toEqual([o]);
    expect(closestOptions({ closest: { options: [o], extra_budget_cny: 1200 } })).toEqual([o]);
    expect(closestOptions({})).toEqual([]);
  });

  it("keep no talk-tracks in the comparison kept for the shopper", () => {
    expect(comparisonOf({ options: [1], talk_tracks: [2], talk_track_why: [3] })).toEqual({ options: [1] });
  });
});

describe("differences", () => {
  it("mark the cheapest, the fastest, the best fit and promises only one option makes", () => {
    const list = [option("economy", 3100, 2, 70, ["整机保修 2 年"]), option("standard", 4500, 2, 82, ["整机保修 2 年", "30 天只换不修"]),
      option("premium", 5900, 1, 95, ["整机保修 5 年", "上门安装"])];
    const m = highlights(list);
    expect(m.economy.cheapest).toBe(true);
    expect(m.standard.cheapest).toBe(false);
    expect(m.premium.fastest).toBe(true);
    expect(m.economy.fastest).toBe(false);
    expect(m.premium.bestFit).toBe(true);
    expect(m.economy.uniquePromises).toEqual([]);
    expect(m.standard.uniquePromises).toEqual(["30 天只换不修"]);
    expect(m.premium.uniquePromises).toEqual(["整机保修 5 年", "上门安装"]);
    expect(m.standard.overCheapest).toBe(1400);
    expect(m.economy.overCheapest).toBe(0);
  });

  it("compare promises without the model they are attached to", () => {
    const m = highlights([option("economy", 399, 3, 70, ["U30 血压计整机保修 5 年"]),
      option("standard", 699, 3, 80, ["U60 血压计整机保修 5 年", "U60 血压计 30 天质量问题只换不修"])]);
    expect(m.economy.uniquePromises).toEqual([]);
    expect(m.standard.uniquePromises).toEqual(["U60 血压计 30 天质量问题只换不修"]);
  });

  it("mark nothing when all options are equal on a row, or when there is one option", () => {
    const same = highlights([option("economy", 3000, 3, 80), option("standard", 4000, 3, 80)]);
    expect(same.economy.fastest || same.standard.fastest || same.economy.bestFit).toBe(false);
    const one = highlights([option("economy", 3000, 3, 80, ["上门安装"])]);
    expect(one.economy).toMatchObject({ cheapest: false, fastest: false, bestFit: false, uniquePromises: [], onlyFullCover: false });
  });

  it("mark the only option covering every need", () => {
    const m = highlights([option("economy", 3000, 3, 60, [], ["血糖"]), option("standard", 4000, 3, 90)]);
    expect(m.standard.onlyFullCover).toBe(true);
    expect(m.economy.onlyFullCover).toBe(false);
  });
});

describe("promise gist", () => {
  it("drops leading model codes only", () => {
    expect(promiseGist("U60 血压计整机保修 5 年")).toBe("血压计整机保修 5 年");
    expect(promiseGist("CGM 传感器脱落免费补发")).toBe("传感器脱落免费补发");
    expect(promiseGist("送货上门并教会使用")).toBe("送货上门并教会使用");
    expect(promiseGist("30 天只换不修")).toBe("30 天只换不修");
  });
});

describe("why entries", () => {
  it("render strings as they are and objects from codes, falling back to detail", () => {
    expect(whyText("覆盖需求：血压", "zh")).toBe("覆盖需求：血压");
    expect(whyText({ rule: "no_such_rule_yet", facts: {}, detail: "server detail" }, "en")).toBe("server detail");
    expect(whyText({ rule: "fence_entered", facts: { place: "A" } }, "zh")).toContain("A");
    expect(whyText({ rule: "no_such_rule_yet", facts: {} }, "zh")).toBe("");
  });
});

describe("shortfall", () => {
  it("reads the solver's closest cover and falls back to the options' missing needs", () => {
    expect(shortfall({ options: [], closest: { missing_needs: ["吸氧"], uncoverable_needs: [], extra_cny: 1200, total_price: 7200 } }))
      .toEqual({ extraCny: 1200, missingNeeds: ["吸氧"], uncoverableNeeds: [], closestTotal: 7200 });
    expect(shortfall({ options: [option("economy", 300, 1, 50, [], ["血糖"])] }))
      .toEqual({ extraCny: null, missingNeeds: ["血糖"], uncoverableNeeds: [], closestTotal: null });
  });
});
