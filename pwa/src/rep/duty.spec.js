import { describe, expect, it } from "vitest";
import { withinDuty } from "@/rep/duty";

const WEEKDAYS = { days: [1, 2, 3, 4, 5], start: "09:00", end: "18:00" };
// 2026-12-02 is a Wednesday; Shanghai is UTC+8.
const at = (iso) => Date.parse(iso);

describe("withinDuty", () => {
  it("takes fixes inside the schedule, in the server's time zone", () => {
    expect(withinDuty(WEEKDAYS, at("2026-12-02T02:00:00Z"))).toBe(true); // 10:00 Shanghai
    expect(withinDuty(WEEKDAYS, at("2026-12-02T01:00:00Z"))).toBe(true); // 09:00, start inclusive
  });
  it("refuses after hours, at the end and at weekends", () => {
    expect(withinDuty(WEEKDAYS, at("2026-12-02T10:00:00Z"))).toBe(false); // 18:00, end exclusive
    expect(withinDuty(WEEKDAYS, at("2026-12-02T00:30:00Z"))).toBe(false); // 08:30
    expect(withinDuty(WEEKDAYS, at("2026-12-05T02:00:00Z"))).toBe(false); // Saturday 10:00
  });
  it("takes everything without a schedule", () => {
    expect(withinDuty(null, at("2026-12-05T20:00:00Z"))).toBe(true);
  });
});
