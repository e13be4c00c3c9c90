import { describe, expect, it } from "vitest";
import { componentLines, fieldRows, inlineParts, layoutDiff, sideBySide, valueText } from "@/console/packs/diff-layout";

// The shape app/services/pack_diff.py answers (docs/packs-api.md "The diff").
const DIFF = {
  pack_id: "procurement-led-hospitals", from: 1, to: 2,
  pack: [{ field: "name", from: "集采主导型·三甲医院作战包", to: "集采主导型·三甲医院作战包（修订）" }],
  components: {
    added: [{ kind: "local_cases", id: "pl-case-new", title: "闵行区某三甲医院" }],
    removed: [{ kind: "counters", id: "pl-counter-yunyitong-platform", title: "云医通" }],
    changed: [{ kind: "talk_tracks", id: "pl-tt-prospecting-calendar", title: "首次拜访设备科",
      fields: [{ field: "lines", lines: ["@@ -1,2 +1,2 @@", "-科长您好，今天不占您太久。", "+科长您好，今天只占您五分钟。", " 我们看到……"] },
        { field: "stage", from: "discovery", to: "proposal" }] }],
  },
  summary: { pack_fields: 1, added: 1, removed: 1, changed: 1 },
};

describe("side by side", () => {
  it("pairs a removed line with the added one that replaces it, and numbers both sides from the hunk", () => {
    const rows = sideBySide(DIFF.components.changed[0].fields[0].lines);
    expect(rows.map((r) => r.type)).toEqual(["hunk", "change", "same"]);
    expect(rows[1].left).toMatchObject({ n: 1, text: "科长您好，今天不占您太久。" });
    expect(rows[1].right).toMatchObject({ n: 1, text: "科长您好，今天只占您五分钟。" });
    expect(rows[2].left).toMatchObject({ n: 2, text: "我们看到……" });
    expect(rows[2].right.n).toBe(2);
  });

  it("leaves the other side empty for lines only removed or only added, keeping the counts apart", () => {
    const rows = sideBySide(["@@ -3,3 +3,2 @@", " a", "-b", "-c", "+C", " d", "+e"]);
    expect(rows.map((r) => r.type)).toEqual(["hunk", "same", "change", "del", "same", "add"]);
    expect(rows[3]).toMatchObject({ left: { n: 5, text: "c" }, right: null });
    expect(rows[4].left.n).toBe(6);
    expect(rows[4].right.n).toBe(5);
    expect(rows[5]).toMatchObject({ left: null, right: { n: 6, text: "e" } });
  });

  it("starts a new pair when a removal follows additions", () => {
    const rows = sideBySide(["@@ -1 +1 @@", "+x", "-y", "+z"]);
    expect(rows.map((r) => r.type)).toEqual(["hunk", "add", "change"]);
  });

  it("marks only the changed middle of a changed line (by characters, so Chinese works)", () => {
    const [a, b] = inlineParts("今天不占您太久。", "今天只占您五分钟。");
    expect(a).toEqual([{ text: "今天", changed: false }, { text: "不占您太久", changed: true }, { text: "。", changed: false }]);
    expect(b.filter((p) => p.changed).map((p) => p.text)).toEqual(["只占您五分钟"]);
    const [same] = inlineParts("abc", "abc");
    expect(same.every((p) => !p.changed)).toBe(true);
  });
});

describe("fields and sections", () => {
  it("shows a {from, to} change as one changed row, and an empty side as an addition or removal", () => {
    expect(fieldRows({ field: "stage", from: "discovery", to: "proposal" })[0]).toMatchObject({ type: "change" });
    expect(fieldRows({ field: "expires_on", from: null, to: "2027-06-30" })[0]).toMatchObject({ type: "add", left: null });
    expect(fieldRows({ field: "expires_on", from: "2027-06-30", to: null })[0]).toMatchObject({ type: "del", right: null });
    expect(valueText({ roles: ["rep"], skill_levels: ["junior", "senior"] }, ", ")).toBe("roles: rep; skill_levels: junior, senior");
  });

  it("lays out the pack's fields first, then the components in the kinds' order, with added and removed ones in full", () => {
    const toBody = { local_cases: [{ id: "pl-case-new", title: "闵行区某三甲医院", place_category: "tier3_hospital", summary: "s", result: "r" }] };
    const fromBody = { counters: [{ id: "pl-counter-yunyitong-platform", competitor: "云医通", proof_points: ["p1", "p2"] }] };
    const sections = layoutDiff(DIFF, { fromBody, toBody, kinds: ["personas", "talk_tracks", "counters", "compliance_notes", "local_cases"] });
    expect(sections.map((s) => [s.key, s.status])).toEqual([
      ["pack", "changed"],
      ["talk_tracks/pl-tt-prospecting-calendar", "changed"],
      ["counters/pl-counter-yunyitong-platform", "removed"],
      ["local_cases/pl-case-new", "added"],
    ]);
    expect(sections[1].fields.map((f) => f.field)).toEqual(["lines", "stage"]);
    const removed = sections[2].fields[0].rows;
    expect(removed.every((r) => r.type === "del" && r.right === null)).toBe(true);
    expect(removed.map((r) => r.left.text)).toContain("proof_points: p2");
    expect(sections[3].fields[0].rows.map((r) => r.right.text)).toContain("place_category: tier3_hospital");
    expect(sections[3].copied_from).toBe(null);
    const copied = { ...toBody.local_cases[0], copied_from: { pack: "primary-care-gap", version: 2, id: "pc-case-a" } };
    const again = layoutDiff(DIFF, { fromBody, toBody: { local_cases: [copied] } });
    expect(again.find((s) => s.status === "added").copied_from).toEqual(copied.copied_from);
    expect(layoutDiff(null)).toEqual([]);
  });

  it("writes objections and variants of a whole component as the server's diff does", () => {
    const lines = componentLines({ id: "t", title: "T", objections: [{ objection: "贵", response: "算 5 年" }],
      variants: [{ id: "A", weight: 50, lines: ["一"] }], copied_from: { pack: "x" } });
    expect(lines).toEqual(["title: T", "objections: 贵 → 算 5 年", "variants: [A ×50] 一"]);
  });
});
