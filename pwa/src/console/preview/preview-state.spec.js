import { describe, expect, it } from "vitest";
import { localDay, localNow, toAware } from "@/console/preview/preview-state";

describe("preview times", () => {
  it("are Shanghai time, whatever the browser's zone", () => {
    expect(localNow(new Date("2026-11-23T01:30:00Z"))).toBe("2026-11-23T09:30");
    expect(localDay(new Date("2026-11-23T17:00:00Z"))).toBe("2026-11-24");
  });

  it("go to the server with their offset", () => {
    expect(toAware("2026-11-23T09:30")).toBe("2026-11-23T09:30:00+08:00");
    expect(toAware("")).toBeNull();
  });
});
