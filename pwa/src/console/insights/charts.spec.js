import { describe, expect, it } from "vitest";
import { dayLabel, experimentOption, funnelOption, pointCount, renderErrorBar, usageOption } from "@/console/insights/charts";

const EXP = {
  id: 2, status: "winner", winner: "B",
  variants: [
    { variant: "A", exposures: 123, successes: 21, rate: 0.1707, interval: [0.0671, 0.2743] },
    { variant: "B", exposures: 63, successes: 33, rate: 0.5238, interval: [0.3236, 0.724] },
  ],
};
const LABELS = { rate: "rate", interval: "interval", variant: (v) => `V${v}` };

describe("experimentOption", () => {
  it("draws a bar per variant in percent, the winner green, with its error bar from the interval", () => {
    const option = experimentOption(EXP, LABELS);
    expect(option.xAxis.data).toEqual(["VA\n17.1% · 21/123", "VB\n52.4% · 33/63"]);
    const [bars, whiskers] = option.series;
    expect(bars.data.map((d) => d.value)).toEqual([17.1, 52.4]);
    expect(bars.data[1].itemStyle.color).not.toEqual(bars.data[0].itemStyle.color);
    expect(whiskers.type).toBe("custom");
    expect(whiskers.data).toEqual([[0, 6.7, 27.4], [1, 32.4, 72.4]]);
    expect([option.yAxis.max, option.yAxis.interval]).toEqual([80, 20]);
  });

  it("marks no variant as the winner while running, and leaves out intervals it does not have", () => {
    const running = { status: "running", winner: null, variants: [{ variant: "A", exposures: 0, successes: 0, rate: null, interval: null },
      { variant: "B", exposures: 6, successes: 2, rate: 0.333, interval: [0, 0.9] }] };
    const option = experimentOption(running, LABELS);
    expect(new Set(option.series[0].data.map((d) => d.itemStyle.color)).size).toBe(1);
    expect(option.series[1].data).toEqual([[1, 0, 90]]);
    expect(pointCount(option)).toBe(2); // B's bar and B's whisker; A has no rate
  });
});

describe("renderErrorBar", () => {
  it("draws a vertical line between the interval's ends with a cap at each", () => {
    const api = { value: (i) => [1, 10, 40][i], coord: ([x, y]) => [x * 100, 200 - y], size: () => [80, 0] };
    const group = renderErrorBar({}, api);
    expect(group.children).toHaveLength(3);
    expect(group.children[0].shape).toEqual({ x1: 100, y1: 160, x2: 100, y2: 190 });
    expect(group.children[1].shape.x2 - group.children[1].shape.x1).toBe(16);
  });
});

describe("usageOption", () => {
  const days = [{ day: "2026-11-04", shown: 45, used: 20 }, { day: "2026-11-07", shown: 0, used: 0 }, { day: "2026-11-09", shown: 36, used: 19 }];
  it("puts cards shown as bars, used as a line and the use rate on its own axis, no rate on a day without cards", () => {
    const option = usageOption(days, { shown: "S", used: "U", rate: "R" });
    expect(option.xAxis.data).toEqual(["11-04", "11-07", "11-09"]);
    expect(option.series.map((s) => [s.name, s.type])).toEqual([["S", "bar"], ["U", "line"], ["R", "line"]]);
    expect(option.series[2].yAxisIndex).toBe(1);
    expect(option.series[2].data).toEqual([44.4, null, 52.8]);
    expect(pointCount(option)).toBe(8);
  });
  it("labels days month-day", () => { expect(dayLabel("2026-12-01")).toBe("12-01"); });
});

describe("funnelOption", () => {
  it("keeps the steps in order with each step's share of the one before", () => {
    const steps = [{ step: "shown", count: 1043 }, { step: "feedback", count: 524 }, { step: "used", count: 334 }, { step: "outcome", count: 118 }];
    const option = funnelOption(steps, { shown: "展示", feedback: "反馈", used: "使用", outcome: "结果" });
    const [series] = option.series;
    expect(series.sort).toBe("none");
    expect(series.data.map((d) => [d.name, d.value, d.share])).toEqual([["展示", 1043, null], ["反馈", 524, 50], ["使用", 334, 64], ["结果", 118, 35]]);
    expect(series.label.formatter({ name: "反馈", value: 524, data: series.data[1] })).toBe("反馈 524 · 50%");
    expect(series.label.formatter({ name: "展示", value: 1043, data: series.data[0] })).toBe("展示 1,043");
  });
});
