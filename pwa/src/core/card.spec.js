import { describe, expect, it } from "vitest";
import { planComponents } from "@/core/card";

describe("components a plan may carry", () => {
  it("lists an A/B talk-track once although the bundle holds one entry per variant", () => {
    const b = { components: new Map([
      ["pl/talk_tracks/t1@A", { id: "t1", title: "开场", variant: "A" }],
      ["pl/talk_tracks/t1@B", { id: "t1", title: "开场", variant: "B" }],
      ["pl/talk_tracks/t2", { id: "t2", title: "收尾" }],
      ["pl/local_cases/c1", { id: "c1", title: "案例" }],
    ]) };
    const out = planComponents(b, ["talk_tracks", "local_cases", "solution_hints"]);
    expect(out.talk_tracks.map((c) => c.id)).toEqual(["t1", "t2"]);
    expect(out.local_cases).toHaveLength(1);
    expect(out.solution_hints).toEqual([]);
  });
});
