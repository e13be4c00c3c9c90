import { describe, expect, it } from "vitest";
import { buildTimeline, countsOf, fixesOf, nearestFix, positionAt, reasonText, segments, toMs }
  from "@/console/replay/timeline";

const T = Date.parse("2026-11-23T02:00:00Z"); // 10:00 in Shanghai
const MIN = 60_000;
const fix = (m, lat, lon, extra = {}) => ({ ts: T + m * MIN, lat, lon, accuracy_m: 12, status: "accepted", ...extra });
const HOSPITAL = { id: 7, name: "上海市第六人民医院" };

// A rep walks into the hospital, out, and back in within the cooldown (suppressed); one fix is dropped.
const REPLAY = {
  rep: { id: 3, name: "李明" },
  date: "2026-11-23",
  fixes: [
    fix(0, 31.2000, 121.4000), fix(1, 31.2010, 121.4010), fix(2, 31.2020, 121.4020),
    fix(3, 31.5000, 121.9000, { status: "dropped", reason: "impossible_speed" }),
    fix(8, 31.2100, 121.4100), fix(40, 31.2021, 121.4021), fix(41, 31.2020, 121.4020),
  ],
  events: [
    { type: "exit", place: HOSPITAL, ts: new Date(T + 8 * MIN).toISOString() },
    { type: "enter", place: HOSPITAL, ts: new Date(T + 2 * MIN).toISOString() },
    { type: "suppressed", place: HOSPITAL, ts: new Date(T + 41 * MIN).toISOString(), reason: "cooldown" },
  ],
  cards: [{ popup_id: "p1", place: HOSPITAL, at: new Date(T + 2 * MIN).toISOString(), event: "enter_place" }],
};

describe("the replay timeline", () => {
  it("puts events, cards and dropped fixes in time order, the card right after the enter that pushed it", () => {
    const entries = buildTimeline(REPLAY);
    expect(entries.map((e) => e.type)).toEqual(["enter", "card", "dropped", "exit", "suppressed"]);
    const suppressed = entries.find((e) => e.type === "suppressed");
    expect(suppressed.reason).toBe("cooldown");
    expect(suppressed.place).toEqual(HOSPITAL);
  });

  it("places each event at the fix nearest in time, a dropped fix where the phone said it was", () => {
    const entries = buildTimeline(REPLAY);
    const enter = entries.find((e) => e.type === "enter");
    expect([enter.lat, enter.lon]).toEqual([31.2020, 121.4020]);
    const dropped = entries.find((e) => e.type === "dropped");
    expect([dropped.lat, dropped.lon, dropped.reason]).toEqual([31.5, 121.9, "impossible_speed"]);
  });

  it("falls back to the place's own position when no fix is near", () => {
    const places = new Map([[7, { id: 7, lat: 31.3, lon: 121.5 }]]);
    const entries = buildTimeline({ fixes: [], events: [{ type: "enter", place: HOSPITAL, ts: T }], cards: [] }, { places });
    expect([entries[0].lat, entries[0].lon]).toEqual([31.3, 121.5]);
  });

  it("draws the accepted fixes only, and breaks the line where the phone was silent", () => {
    const lines = segments(fixesOf(REPLAY));
    expect(lines.length).toBe(2);
    expect(lines[0]).toEqual([[31.2, 121.4], [31.201, 121.401], [31.202, 121.402], [31.21, 121.41]]);
    expect(lines.flat()).not.toContainEqual([31.5, 121.9]);
  });

  it("counts what happened", () => {
    expect(countsOf(REPLAY)).toEqual({ accepted: 6, dropped: 1, enter: 1, dwell: 0, exit: 1, suppressed: 1, cards: 1 });
  });

  it("knows where the rep was at any time of the slider", () => {
    const accepted = fixesOf(REPLAY).filter((f) => f.status !== "dropped");
    expect(positionAt(accepted, T - MIN)).toBeNull();
    expect(positionAt(accepted, T + 5 * MIN).lat).toBe(31.2020);
    expect(nearestFix(accepted, T + 30 * MIN).lat).toBe(31.2021);
  });

  it("reads times as ms, seconds or ISO (no offset = UTC, as the server writes)", () => {
    expect(toMs(1_700_000_000)).toBe(1_700_000_000_000);
    expect(toMs(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(toMs("2026-11-23T02:00:00")).toBe(T);
    expect(toMs("2026-11-23T10:00:00+08:00")).toBe(T);
  });

  it("says a suppression's and a drop's reason in words", () => {
    expect(reasonText("cooldown", "zh")).toBe("冷却期内再次进入，未推送");
    expect(reasonText("cooldown", "en")).toBe("Re-entered within the cooldown, not pushed");
    expect(reasonText("low_accuracy", "zh")).toBe("定位精度太低，已忽略");
    expect(reasonText("something_new", "zh")).toBe("something_new");
  });
});
