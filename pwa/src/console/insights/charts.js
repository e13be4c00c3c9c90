// ECharts options built from API answers: pure functions (words come in already translated), so the specs
// check what a chart will draw without a canvas. The components only hand these to <EChart>.

export const FONT = '-apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC", sans-serif';
export const COLOURS = { shown: "#2563eb", opened: "#0891b2", feedback: "#0891b2", used: "#16a34a", outcome: "#d97706",
  winner: "#15803d", variant: "#64748b", bar: "#2563eb", interval: "#111827" };
const TEXT = { fontFamily: FONT, color: "#374151" };

/** How many values a chart draws: every non-null datum of every series. */
export function pointCount(option) {
  return (option?.series || []).reduce((n, s) => n + (s.data || []).filter((d) => d != null
    && (typeof d !== "object" || ("value" in d ? d.value != null : true))).length, 0);
}

const pct = (rate) => (rate == null ? null : Math.round(rate * 1000) / 10);

/** "5/12" → "12-05" style axis labels: the month-day of an ISO date. */
export function dayLabel(iso) {
  const [, m, d] = String(iso).slice(0, 10).split("-");
  return m && d ? `${m}-${d}` : String(iso);
}

/**
 * Card use over time: bars of cards shown per day, a line of those used (rated used or helpful), and the use
 * rate on a second axis (a day without cards has no rate, not 0 %). `days` = [{day, shown, used}],
 * `labels` = {shown, used, rate}.
 */
export function usageOption(days, labels, { compact = false } = {}) {
  const x = days.map((d) => dayLabel(d.day ?? d.date));
  return {
    textStyle: TEXT,
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0, textStyle: TEXT, itemWidth: 14, itemHeight: 8 },
    grid: { left: compact ? 36 : 44, right: compact ? 40 : 48, top: 34, bottom: 24 },
    xAxis: { type: "category", data: x, axisLabel: { hideOverlap: true, fontSize: 11 } },
    yAxis: [{ type: "value", minInterval: 1, axisLabel: { fontSize: 11 } },
      { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%", fontSize: 11 }, splitLine: { show: false } }],
    series: [
      { name: labels.shown, type: "bar", data: days.map((d) => d.shown ?? 0), itemStyle: { color: "#bfdbfe" },
        barMaxWidth: 18 },
      { name: labels.used, type: "line", data: days.map((d) => d.used ?? 0), symbolSize: 5,
        itemStyle: { color: COLOURS.used } },
      { name: labels.rate, type: "line", yAxisIndex: 1, data: days.map((d) => (d.shown ? pct(d.used / d.shown) : null)),
        symbol: "none", lineStyle: { type: "dashed", width: 1.5 }, itemStyle: { color: "#7c3aed" }, connectNulls: true },
    ],
  };
}

/** The error bar of one variant, drawn by a custom series (ECharts has no error-bar series of its own). */
export function renderErrorBar(params, api) {
  const x = api.value(0);
  const top = api.coord([x, api.value(2)]);
  const bottom = api.coord([x, api.value(1)]);
  const half = Math.max(4, api.size([1, 0])[0] * 0.1);
  const style = { stroke: COLOURS.interval, lineWidth: 1.5 };
  return { type: "group", children: [
    { type: "line", shape: { x1: top[0], y1: top[1], x2: bottom[0], y2: bottom[1] }, style },
    { type: "line", shape: { x1: top[0] - half, y1: top[1], x2: top[0] + half, y2: top[1] }, style },
    { type: "line", shape: { x1: bottom[0] - half, y1: bottom[1], x2: bottom[0] + half, y2: bottom[1] }, style },
  ] };
}

/**
 * Success rate per variant with its always-valid interval: a bar per variant (the winner green), an error bar
 * from interval[0] to interval[1], "rate · successes/exposures" under the bar. `labels` = {rate, interval,
 * variant(v) → name}.
 */
export function experimentOption(exp, labels) {
  const variants = exp.variants || [];
  const name = labels.variant || ((v) => v);
  const bars = variants.map((v) => ({
    value: pct(v.rate),
    itemStyle: { color: exp.winner && v.variant === exp.winner ? COLOURS.winner : COLOURS.variant },
  }));
  const whiskers = variants.map((v, i) => (v.interval ? [i, pct(v.interval[0]), pct(v.interval[1])] : null));
  const top = Math.max(10, ...variants.map((v) => (v.interval ? pct(v.interval[1]) : pct(v.rate) || 0)));
  const max = Math.min(100, Math.ceil(top / 20) * 20);
  return {
    textStyle: TEXT,
    animation: false,
    tooltip: { trigger: "item" },
    grid: { left: 40, right: 12, top: 12, bottom: 40 },
    // the numbers sit under each bar, where the whisker cannot cross them
    xAxis: { type: "category", axisTick: { show: false },
      data: variants.map((v) => `${name(v.variant)}\n${v.rate == null ? "—" : `${pct(v.rate)}%`} · ${v.successes}/${v.exposures}`),
      axisLabel: { lineHeight: 16, fontSize: 12, color: "#374151" } },
    yAxis: { type: "value", min: 0, max, interval: max <= 40 ? 10 : 20, axisLabel: { formatter: "{value}%", fontSize: 11 } },
    series: [
      { name: labels.rate, type: "bar", data: bars, barMaxWidth: 56 },
      { name: labels.interval, type: "custom", renderItem: renderErrorBar, data: whiskers.filter(Boolean),
        encode: { x: 0, y: [1, 2] }, z: 10, tooltip: { show: false } },
    ],
  };
}

/**
 * The funnel shown → (opened →) feedback → used → outcome: `steps` = [{step, count}] in order, each labelled
 * with its count and its share of the step before. `labels` = {[step]: name}.
 */
export function funnelOption(steps, labels) {
  const data = steps.map((s, i) => {
    const before = i ? steps[i - 1].count : null;
    const share = before ? Math.round((s.count / before) * 100) : null;
    return { name: labels[s.step] || s.step, value: s.count, itemStyle: { color: COLOURS[s.step] || COLOURS.bar },
      share };
  });
  return {
    textStyle: TEXT,
    animation: false,
    tooltip: { trigger: "item" },
    series: [{
      type: "funnel", sort: "none", gap: 2, left: "4%", right: "4%", top: 8, bottom: 8, minSize: "42%",
      label: { show: true, position: "inside", color: "#fff", fontSize: 12,
        formatter: (p) => `${p.name} ${p.value.toLocaleString("en-US")}${p.data.share != null ? ` · ${p.data.share}%` : ""}` },
      data,
    }],
  };
}
