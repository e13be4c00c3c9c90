// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from "vitest";
import { composeCard } from "@/core/card";
import { db } from "@/core/db";
import { applyBundle, bundle, loadStoredBundle } from "@/core/sync";

const place = (id, name) => ({ id, key: `p${id}`, name, category: "tier3_hospital", lat: 31.2 + id / 100, lon: 121.4,
  radius_m: 500, address: "", tags: [], zone: { id: 1, type: "procurement_led", name: "枫林" },
  context: { procurement_notices: [{ id: 9, title: "彩超采购", date: "2026-11-01" }], contacts: [], competitor_moves: [],
    stage: "proposal", budget_cny: 100000 } });
const ref = "pack-a/talk_tracks/tt-1";
const full = {
  version: "b1", full: true, rep: { id: 1 }, settings: { fence: { cooldown_s: 1800 } }, names: {},
  upserts: {
    places: { 1: place(1, "甲医院"), 2: place(2, "乙医院") },
    zones: { 1: { id: 1, key: "z", name: "枫林", type: "procurement_led", shell: [], holes: [] } },
    packs: { "pack-a": { id: "pack-a", name: "集采包", version: 1 } },
    components: { [ref]: { id: "tt-1", title: "旧标题", stage: "proposal", lines: ["a", "b"], objections: [] } },
    cards: { 1: { place_id: 1, pack: "pack-a", zone: null, components: { talk_tracks: [ref] },
      why: [{ rule: "place_category", facts: { category: "tier3_hospital" } }], dwell: null },
    2: { place_id: 2, pack: null, zone: null, components: {}, why: [], dwell: null } },
  },
  removed: {},
};

beforeEach(async () => {
  await Promise.all(db.tables.map((t) => t.clear()));
});

describe("the stored bundle", () => {
  it("is read back after a reload and composes the card the server would push", async () => {
    await applyBundle(full);
    const b = await loadStoredBundle();
    expect(b.version).toBe("b1");
    const card = composeCard(b, 1, { id: "x", distanceM: 120.44 });
    expect(card.place.name).toBe("甲医院");
    expect(card.talk_tracks.map((t) => t.title)).toEqual(["旧标题"]);
    expect(card.pack).toEqual({ id: "pack-a", name: "集采包", version: 1 });
    expect(card.why[0]).toEqual({ rule: "fence_entered", facts: { place: "甲医院", distance_m: 120, radius_m: 500 } });
    expect(card.why[1].rule).toBe("place_category");
    expect(card.context.procurement_notices[0].title).toBe("彩超采购");
    expect(composeCard(b, 99, { id: "y" })).toBeNull();
  });

  it("takes a delta: changed items replaced, removed ones gone, the rest kept", async () => {
    await applyBundle(full);
    await applyBundle({ version: "b2", full: false, rep: { id: 1 }, settings: full.settings, names: {},
      upserts: { components: { [ref]: { ...full.upserts.components[ref], title: "新标题" } },
        packs: { "pack-a": { id: "pack-a", name: "集采包", version: 2 } } },
      removed: { places: ["2"], cards: ["2"] } });
    const b = await loadStoredBundle();
    expect(b.version).toBe("b2");
    expect([...b.places.keys()]).toEqual([1]);
    expect(composeCard(b, 1, { id: "x" }).talk_tracks[0].title).toBe("新标题");
    expect(composeCard(b, 1, { id: "x" }).pack.version).toBe(2);
    expect(bundle.value.cards.has(2)).toBe(false);
  });

  it("replaces everything on a full answer", async () => {
    await applyBundle(full);
    await applyBundle({ ...full, version: "b3", upserts: { ...full.upserts, places: { 2: place(2, "乙医院") } } });
    const b = await loadStoredBundle();
    expect([...b.places.keys()]).toEqual([2]);
  });
});
