import { describe, expect, it } from "vitest";
import { catalogues } from "@/core/catalogues";
import {
  blankComponent, componentTitle, copyComponent, countUnder, FIELDS, fromBody, KINDS, looseErrors, move, normalizeErrors,
  PACK_FIELDS, packPrefix, splitKeys, toBody, uniqueId,
} from "@/console/packs/pack-model";

// Two bodies as the server answers them (content_packs' PackSchema output): every kind, optional fields both
// present and left out.
const pl = {
  format: 1, id: "procurement-led-hospitals", version: 3, name: "集采主导型·三甲医院作战包", description: "跟着采购日历走。",
  region: "shanghai", zone_types: ["procurement_led"], categories: ["tier3_hospital"],
  audience: { roles: ["rep"], skill_levels: ["junior", "intermediate", "senior"] },
  personas: [{ id: "pl-persona-equipment-head", title: "设备科科长", description: "管全院设备预算。", cares_about: ["年度预算申报节点"],
    avoid: ["私下约饭送礼"] }, { id: "pl-persona-buyer", title: "采购中心负责人", description: "按流程走。", cares_about: ["流程合规"] }],
  talk_tracks: [
    { id: "pl-tt-prospecting-calendar", title: "首次拜访设备科", stage: "prospecting", skill_levels: ["junior"],
      lines: ["科长您好，今天不占您太久。", "我们能提供注册证和同类医院数据。"],
      objections: [{ objection: "预算报完了。", response: "明年 9 月开始汇总。" }, { objection: "最后都是招标。", response: "技术分也不低。" },
        { objection: "你们是国产吗？", response: "主力机型国产注册证。" }] },
    { id: "pl-tt-proposal-vbp", title: "方案呈现", stage: "proposal", categories: ["tier3_hospital"],
      lines: ["全生命周期成本。", "质保 3 年。"], objections: [{ objection: "贵。", response: "算 5 年。" }, { objection: "a", response: "b" },
        { objection: "c", response: "d" }],
      variants: [{ id: "A", weight: 50, lines: ["一", "二"] }, { id: "B", weight: 50, lines: ["三", "四"] }] },
  ],
  counters: [{ id: "pl-counter-kangrui-lowball", competitor: "康瑞医疗", their_move: "低价投标。", our_response: "讲总拥有成本。",
    proof_points: ["整机质保 3 年"], skill_levels: ["intermediate", "senior"] }],
  compliance_notes: [{ id: "pl-cn-two-invoice", title: "两票制", text: "耗材执行两票制。", expires_on: "2027-06-30" },
    { id: "pl-cn-ad", title: "广告审查", text: "只用已审材料。" }],
  local_cases: [{ id: "pl-case-xuhui", title: "徐汇区某三甲医院", place_category: "tier3_hospital", summary: "跟到招标。", result: "中标。" }],
  solution_hints: [{ id: "pl-hint-lifecycle", needs: ["超声", "维保"], text: "标准款彩超 + 3 年全保。" }],
};
const other = {
  format: 1, id: "private-hospital-dense", version: 2, name: "民营医院密集型作战包", description: "…", region: "shanghai",
  zone_types: ["private_hospital_dense"], categories: [], audience: { roles: ["rep"] },
  talk_tracks: [{ id: "ph-tt-open", title: "开场", stage: "discovery", lines: ["a", "b"],
    objections: [{ objection: "a", response: "b" }, { objection: "c", response: "d" }, { objection: "e", response: "f" }] }],
  counters: [{ id: "ph-counter-meikang", competitor: "美康", their_move: "送设备。", our_response: "讲合规。", proof_points: ["x"] }],
  personas: [], compliance_notes: [], local_cases: [], solution_hints: [],
};
const shipped = [pl, other];

describe("pack body ↔ form model", () => {
  it("gives back a server body unchanged (apart from the version the server sets)", () => {
    for (const pack of shipped) {
      const { version, ...rest } = JSON.parse(JSON.stringify(pack));
      expect(version).toBeGreaterThanOrEqual(1);
      expect(toBody(fromBody(pack))).toEqual(rest);
    }
  });

  it("gives the forms every kind and every optional field, and leaves the empty optional ones out again", () => {
    const model = fromBody({ id: "x", talk_tracks: [{ id: "x-tt", title: "t", stage: "proposal", lines: ["a", "b"], objections: [] }] });
    for (const kind of KINDS) expect(Array.isArray(model[kind])).toBe(true);
    expect(model.talk_tracks[0].skill_levels).toEqual([]);
    expect(model.talk_tracks[0].variants).toEqual([]);
    expect(model.audience.skill_levels).toEqual([]);
    const body = toBody(model);
    expect(body.talk_tracks[0]).not.toHaveProperty("skill_levels");
    expect(body.talk_tracks[0]).not.toHaveProperty("variants");
    expect(body.audience).not.toHaveProperty("skill_levels");
    expect(body.talk_tracks[0].objections).toEqual([], "a required list stays, empty, so the checker names it");
  });

  it("leaves an empty grid out (a region-wide pack) and keeps a chosen one", () => {
    const model = fromBody({ ...pl, grid: "" });
    expect(toBody(model)).not.toHaveProperty("grid");
    model.grid = "sh-xuhui";
    expect(toBody(model).grid).toBe("sh-xuhui");
  });

  it("keeps a required field that is empty so the server's message lands next to it", () => {
    const model = fromBody({ compliance_notes: [{ id: "a-cn", title: "", text: "x" }] });
    const body = toBody(model);
    expect(body.compliance_notes[0].title).toBe("");
    expect(body.compliance_notes[0]).not.toHaveProperty("expires_on");
    model.compliance_notes[0].expires_on = "2027-06-30";
    expect(toBody(model).compliance_notes[0].expires_on).toBe("2027-06-30");
  });

  it("does not change the model it serialises", () => {
    const model = fromBody(shipped[0]);
    const before = JSON.stringify(model);
    toBody(model);
    expect(JSON.stringify(model)).toBe(before);
  });
});

describe("errors by field", () => {
  const errors = normalizeErrors({
    "body.talk_tracks[0].objections": ["Length must be at least 3"],
    "body.talk_tracks[0].lines[1]": ["Must not be blank"],
    "talk_tracks[2].stage": ["Must be one of: a, b"],
    "body.name": "Must not be blank",
    body: ["Invalid YAML"],
  });

  it("drops the request's body. prefix and keeps every message as a list", () => {
    expect(errors["talk_tracks[0].objections"]).toEqual(["Length must be at least 3"]);
    expect(errors.name).toEqual(["Must not be blank"]);
    expect(errors._schema).toEqual(["Invalid YAML"]);
  });

  it("counts what lies under a component or a kind, not under its neighbours", () => {
    expect(countUnder(errors, "talk_tracks[0]")).toBe(2);
    expect(countUnder(errors, "talk_tracks")).toBe(3);
    expect(countUnder(errors, "talk_tracks[1]")).toBe(0);
    expect(countUnder({ "talk_tracks[10].id": ["x"] }, "talk_tracks[1]")).toBe(0);
  });

  it("lists the messages no form shows: the whole pack and components that are not there", () => {
    const model = fromBody({ talk_tracks: [{ id: "a" }] });
    const loose = looseErrors(errors, model).map(([p]) => p);
    expect(loose).toContain("_schema");
    expect(loose).toContain("talk_tracks[2].stage");
    expect(loose).not.toContain("talk_tracks[0].objections");
    expect(loose).not.toContain("name");
  });
});

describe("ids and copies", () => {
  it("finds the prefix a pack's ids share, else the pack id's initials", () => {
    expect(packPrefix(pl)).toBe("pl");
    expect(packPrefix({ id: "night-clinic-visits" })).toBe("ncv");
    expect(uniqueId("a", new Set(["a", "a-2"]))).toBe("a-3");
  });

  it("makes a new component with a fresh id and the required fields empty", () => {
    const item = blankComponent("talk_tracks", pl);
    expect(item.id).toBe("pl-tt-new");
    expect(item.lines).toEqual(["", ""]);
    expect(item.objections).toHaveLength(3);
    const body = { ...pl, talk_tracks: [...pl.talk_tracks, item] };
    expect(blankComponent("talk_tracks", body).id).toBe("pl-tt-new-2");
  });

  it("copies a component from another pack with a new id in this pack's prefix and its provenance", () => {
    const source = other.counters[0];
    const copy = copyComponent(pl, "counters", source, { pack: other.id, version: 3 });
    expect(copy.id).not.toBe(source.id);
    expect(copy.id.startsWith("pl-")).toBe(true);
    expect(copy.copied_from).toEqual({ pack: other.id, version: 3, id: source.id });
    expect(copy.competitor).toBe(source.competitor);
    expect(source).not.toHaveProperty("copied_from");
    const again = copyComponent({ ...pl, counters: [...pl.counters, copy] }, "counters", source, { pack: other.id, version: 3 });
    expect(again.id).toBe(`${copy.id}-2`);
  });

  it("drops categories the receiving pack does not cover (the checker would refuse them)", () => {
    const copy = copyComponent({ categories: ["tier3_hospital"], talk_tracks: [] }, "talk_tracks",
      { id: "x-tt-a", title: "t", categories: ["private_hospital"], lines: [], objections: [] }, { pack: "x", version: 1 });
    expect(copy.categories).toEqual([]);
    expect(toBody({ talk_tracks: [copy] }).talk_tracks[0]).not.toHaveProperty("categories");
  });

  it("names components as the diff does", () => {
    expect(componentTitle("counters", { id: "c", competitor: "康瑞医疗" })).toBe("康瑞医疗");
    expect(componentTitle("solution_hints", { id: "h", needs: ["超声", "维保"], text: "…" })).toBe("超声 · 维保");
    expect(componentTitle("talk_tracks", { id: "t", title: " " })).toBe("t");
  });

  it("moves items and splits typed keys", () => {
    expect(move([1, 2, 3], 0, 2)).toEqual([2, 3, 1]);
    expect(move([1, 2, 3], 0, 5)).toEqual([1, 2, 3]);
    expect(splitKeys("a_b, c，d、 e")).toEqual(["a_b", "c", "d", "e"]);
  });
});

describe("the form's words", () => {
  it("has a label in both catalogues for every field of every kind and of the pack", () => {
    const names = new Set([...Object.values(FIELDS).flat(), ...PACK_FIELDS].map((f) => f.name.replace(".", "_")));
    for (const [locale, cat] of Object.entries(catalogues)) {
      const labels = cat.app.console.packs.fields;
      expect([...names].filter((n) => typeof labels[n] !== "string"), locale).toEqual([]);
      for (const kind of KINDS) {
        expect(typeof cat.app.console.packs.kinds[kind], `${locale} ${kind}`).toBe("string");
        expect(typeof cat.app.console.packs.kind_one[kind], `${locale} ${kind}`).toBe("string");
      }
    }
  });
});
