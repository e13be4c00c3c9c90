// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { checkForm, cny, conditionsInWords, emptyForm, errorsAt, explainMessage, formToRule, move, ruleToForm,
  serverErrors, showInWords, weekdaysInWords } from "@/console/rules/rule-form";
import { derive, fromServer, namedList } from "@/console/rules/rule-options";

const DOC_RULE = {
  id: 4,
  name: "三甲医院·近期有采购公告：先讲集采应对",
  region: "shanghai",
  event: "enter_place",
  conditions: {
    zone_types: ["procurement_led"],
    place: { categories: ["tier3_hospital"], notice_within_days: 30 },
    rep: { skill_levels: ["junior", "intermediate"] },
    time: { weekdays: [1, 2, 3, 4, 5], from: "08:00", to: "18:00" },
  },
  show: [
    { pack: "procurement-led-hospitals", kind: "counters", ids: ["pl-counter-yunyitong-platform"] },
    { pack: "procurement-led-hospitals", kind: "talk_tracks", limit: 2 },
  ],
  priority: 10,
  enabled: true,
};

const strip = ({ id, ...rest }) => rest;

describe("rule ↔ form", () => {
  it("gives back exactly the rule it was made from (docs/trigger-rules.md's example)", () => {
    expect(formToRule(ruleToForm(DOC_RULE))).toEqual(strip(DOC_RULE));
  });

  it("round-trips every condition the schema has", () => {
    const rule = {
      name: "KA 商超·周末·有竞品促销", region: "shanghai", event: "dwell", priority: 5, enabled: false,
      conditions: {
        zone_types: ["ka_retail_core"],
        place: { categories: ["ka_supermarket"], tags_any: ["连锁"], tags_all: ["重点客户", "年框"],
          stages: ["negotiation"], competitors_any: ["康瑞医疗"], notice_within_days: 7, budget_min: 0,
          budget_max: 5000000 },
        shopper: { types: ["chronic_self_care"] },
        rep: { roles: ["rep"], skill_levels: ["senior"], tags_any: ["KA谈判"], tags_all: ["已交付POC"] },
        time: { weekdays: [6, 7], from: "22:00", to: "06:00" },
      },
      show: [{ kind: "local_cases" }, { kind: "personas", pack: "ka-retail", ids: ["b", "a"], limit: 1 }],
    };
    expect(formToRule(ruleToForm(rule))).toEqual(rule);
  });

  it("sends only the conditions that are set, numbers as numbers, weekdays in order", () => {
    const form = emptyForm("shanghai");
    Object.assign(form, { name: "  新人进三甲  ", categories: ["tier3_hospital"], budgetMin: "1000000", weekdays: [5, 1],
      priority: "20" });
    form.show[0].ids.push("pl-tt-discovery-clinical");
    expect(formToRule(form)).toEqual({
      name: "新人进三甲", region: "shanghai", event: "enter_place", priority: 20, enabled: true,
      conditions: { place: { categories: ["tier3_hospital"], budget_min: 1000000 }, time: { weekdays: [1, 5] } },
      show: [{ kind: "talk_tracks", ids: ["pl-tt-discovery-clinical"] }],
    });
  });

  it("a new form asks for a name and at least one thing to show", () => {
    const form = emptyForm("shanghai");
    expect(checkForm(form).name).toEqual([{ key: "required", params: {} }]);
    form.name = "x";
    form.show.splice(0);
    expect(Object.keys(checkForm(form))).toEqual(["show"]);
  });

  it("refuses a budget range upside down, and days or limits out of range, at their controls", () => {
    const form = emptyForm("shanghai");
    Object.assign(form, { name: "x", budgetMin: 500, budgetMax: 100, noticeDays: 400 });
    form.show[0].limit = 50;
    const errors = checkForm(form);
    expect(errors["conditions.place.budget_min"]).toEqual([{ key: "budget_order", params: {} }]);
    expect(errors["conditions.place.notice_within_days"][0]).toEqual({ key: "range", params: { min: 1, max: 365 } });
    expect(errors["show.0.limit"][0].key).toBe("range");
  });
});

describe("the server's 422 fields", () => {
  it("are flattened to the paths the controls listen on, with messages turned into keys", () => {
    const errors = serverErrors({
      conditions: { place: { budget_min: ["budget_min must not exceed budget_max."] } },
      show: { 1: { ids: ["Not talk_tracks of procurement-led-hospitals v3: pl-tt-x, pl-tt-y."] } },
      name: ["Missing data for required field."],
      priority: ["Something new the client does not know."],
    });
    expect(errors["conditions.place.budget_min"]).toEqual([{ key: "budget_order", params: {} }]);
    expect(errors["show.1.ids"]).toEqual([{ key: "unknown_components", params: { ids: "pl-tt-x, pl-tt-y" } }]);
    expect(errors.name).toEqual([{ key: "required", params: {} }]);
    expect(errors.priority).toEqual([{ text: "Something new the client does not know." }]);
    expect(errorsAt(errors, "show.1").length).toBe(1);
    expect(errorsAt(errors, "show.0")).toEqual([]);
  });

  it("know the range and the time messages", () => {
    expect(explainMessage("Must be greater than or equal to 1 and less than or equal to 365."))
      .toEqual({ key: "range", params: { min: "1", max: "365" } });
    expect(explainMessage("Use HH:MM (24-hour).")).toEqual({ key: "time_format", params: {} });
    expect(explainMessage("Not a pack of this rule's region.")).toEqual({ key: "not_our_pack", params: {} });
  });
});

describe("a rule in words", () => {
  it("says the doc's example as a manager would", () => {
    expect(conditionsInWords(DOC_RULE.conditions, "zh")).toBe(
      "区域类型为集采主导型；客户类型为三甲医院；近30天有采购公告；技能等级为新人或熟手；星期一至星期五；08:00–18:00");
    expect(conditionsInWords(DOC_RULE.conditions, "en")).toBe(
      "Zone type is Procurement-led; client type is Tier-3 hospital; a procurement notice in the last 30 days; "
      + "skill level is junior or intermediate; Monday–Friday; 08:00–18:00");
  });

  it("uses the bundle's names for categories and zone types, and says when there is no condition", () => {
    const names = { categories: { tier3_hospital: { zh: "三级甲等医院", en: "Grade-A tertiary hospital" } } };
    expect(conditionsInWords({ place: { categories: ["tier3_hospital"] } }, "zh", names)).toBe("客户类型为三级甲等医院");
    expect(conditionsInWords({}, "zh")).toBe("无附加条件");
    expect(conditionsInWords({}, "en")).toBe("No extra conditions");
  });

  it("writes budgets the way managers do, and one-sided ranges", () => {
    expect(cny(5000000, "zh")).toBe("¥500万");
    expect(cny(1234567, "zh")).toBe("¥1,234,567");
    expect(cny(5000000, "en")).toBe("¥5,000,000");
    expect(conditionsInWords({ place: { budget_min: 1000000, budget_max: 5000000 } }, "zh")).toBe("预算在¥100万–¥500万之间");
    expect(conditionsInWords({ place: { budget_max: 300000 } }, "zh")).toBe("预算不超过¥30万");
    expect(conditionsInWords({ time: { from: "18:00" } }, "en")).toBe("After 18:00");
  });

  it("folds runs of weekdays into ranges", () => {
    expect(weekdaysInWords([1, 2, 3, 4, 5], "zh")).toBe("星期一至星期五");
    expect(weekdaysInWords([6, 7], "zh")).toBe("星期六、星期日");
    expect(weekdaysInWords([1, 3, 4, 5, 7], "en")).toBe("Monday, Wednesday–Friday, Sunday");
  });

  it("says what is shown, in order", () => {
    expect(showInWords(DOC_RULE.show, "zh")).toBe("竞品应对锦囊 1 项 → 推荐话术 最多 2 项");
    expect(showInWords([{ kind: "compliance_notes" }], "en")).toBe("Compliance notes (all that fit)");
  });
});

describe("drag and drop", () => {
  it("moves one item to where it was dropped", () => {
    expect(move(["a", "b", "c", "d"], 0, 2)).toEqual(["b", "c", "a", "d"]);
    expect(move(["a", "b", "c"], 2, 0)).toEqual(["c", "a", "b"]);
    expect(move(["a", "b"], 1, 1)).toEqual(["a", "b"]);
  });
});

describe("the editor's options", () => {
  it("take the server's lists whatever way names are given", () => {
    const options = fromServer({
      events: ["enter_place", { key: "dwell", name: { zh: "停留", en: "Dwell" } }],
      zone_types: [{ key: "procurement_led", name: "集采主导型（上海）" }],
      categories: { tier3_hospital: { zh: "三甲医院", en: "Tier-3 hospital" } },
      rep_tags: ["已交付POC", "医疗器械", "已交付POC"],
      components: [{ kind: "counters", id: "c1", title: "康瑞医疗", pack: { key: "p", name: "包" } },
        { kind: "unknown", id: "x", title: "?", pack: "p" }],
    }, "en");
    expect(options.events).toEqual([{ key: "enter_place", name: "Enters a client's fence" }, { key: "dwell", name: "Dwell" }]);
    expect(options.zoneTypes).toEqual([{ key: "procurement_led", name: "集采主导型（上海）" }]);
    expect(options.categories).toEqual([{ key: "tier3_hospital", name: "Tier-3 hospital" }]);
    expect(options.repTags).toEqual(["医疗器械", "已交付POC"].sort((a, b) => a.localeCompare(b, "zh-CN")));
    expect(options.components.map((c) => c.id)).toEqual(["c1"]);
    expect(options.packs).toEqual([{ key: "p", name: "包" }]);
  });

  it("are derived from the bundle and the region's packs when the server has no options", () => {
    const bundle = {
      names: { zone_types: { procurement_led: { zh: "集采主导型", en: "Procurement-led" } },
        categories: { tier3_hospital: { zh: "三甲医院", en: "Tier-3 hospital" } } },
      places: new Map([[1, { id: 1, tags: ["重点客户"], context: { competitor_moves: [{ competitor: "恒泰器械" }] } }]]),
      zones: new Map(),
    };
    const options = derive({ bundle, locale: "zh", packs: [{ id: "pl", name: "集采包" }],
      bodies: { pl: { counters: [{ id: "c1", competitor: "康瑞医疗" }], talk_tracks: [{ id: "t1", title: "开场" }] } },
      users: [{ tags: ["集采经验"] }] });
    expect(options.zoneTypes).toEqual([{ key: "procurement_led", name: "集采主导型" }]);
    expect(options.placeTags).toEqual(["重点客户"]);
    expect(options.repTags).toEqual(["集采经验"]);
    expect(options.competitors).toContain("恒泰器械");
    expect(options.competitors).toContain("康瑞医疗");
    expect(options.components).toEqual([
      { kind: "talk_tracks", id: "t1", title: "开场", pack: { key: "pl", name: "集采包" } },
      { kind: "counters", id: "c1", title: "康瑞医疗", pack: { key: "pl", name: "集采包" } },
    ]);
  });

  it("name codes from the catalogues when the list gives only keys", () => {
    expect(namedList(["junior"], "skills", "zh")).toEqual([{ key: "junior", name: "新人" }]);
  });
});
