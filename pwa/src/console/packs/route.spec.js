// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { hashOf, parseHash } from "@/console/packs/route";
import { auditAction, latestByPack, listQuery, searchPacks } from "@/console/packs/use-packs";
import { catalogues } from "@/core/catalogues";

describe("the packs screen's place in the hash", () => {
  it("reads and writes the pack, the version and the tab", () => {
    const place = { pack: "procurement-led-hospitals", version: 3, tab: "diff" };
    expect(parseHash(hashOf(place))).toEqual(place);
    expect(hashOf({ pack: "a", version: null, tab: "edit" })).toBe("#/console/packs?pack=a");
    expect(parseHash("#/console/packs")).toEqual({ pack: null, version: null, tab: "edit" });
    expect(parseHash("#/console/rules")).toEqual({ pack: null, version: null, tab: "edit" });
    expect(parseHash("#/console/packs?pack=a&tab=nonsense").tab).toBe("edit");
  });
});

describe("the list's helpers", () => {
  it("sends only the filters that are set", () => {
    expect(listQuery({ q: "x", region: "", zone_type: "procurement_led", grid: "", status: "in_review" }))
      .toBe("?zone_type=procurement_led&status=in_review");
    expect(listQuery({ q: "", region: "", zone_type: "", grid: "", status: "" })).toBe("");
  });

  it("searches names and ids, and keeps each pack's newest audit entry", () => {
    const items = [{ id: "procurement-led-hospitals", name: "集采主导型·三甲医院作战包" }, { id: "community-retail", name: "社区零售作战包" }];
    expect(searchPacks(items, "三甲").map((p) => p.id)).toEqual(["procurement-led-hospitals"]);
    expect(searchPacks(items, "RETAIL").map((p) => p.id)).toEqual(["community-retail"]);
    expect(searchPacks(items, " ")).toHaveLength(2);
    const latest = latestByPack([{ id: 9, pack_id: "a" }, { id: 8, pack_id: "a" }, { id: 7, pack_id: "b" }, { id: 6, pack_id: null }]);
    expect(Object.fromEntries(Object.entries(latest).map(([k, e]) => [k, e.id]))).toEqual({ a: 9, b: 7 });
  });
});

describe("the audit log's words", () => {
  it("names every pack step the server records, in both languages", () => {
    const actions = ["pack.created", "version.created", "version.submitted", "version.approved", "version.rejected",
      "version.scheduled", "version.published", "version.rolled_back", "version.expired", "version.commented"];
    for (const cat of Object.values(catalogues)) {
      const lookup = (key) => key.split(".").reduce((n, k) => n?.[k], cat);
      const t = (key) => lookup(key);
      const te = (key) => typeof lookup(key) === "string";
      for (const a of actions) expect(auditAction(a, t, te), a).not.toBe(a);
    }
    expect(auditAction("rule.create", () => "", () => false)).toBe("rule.create");
  });
});
