// Data shaping for the insights screen: API answers → what the screen says (message keys + parameters, so the
// words come from the catalogues) and draws. Pure, checked by shaping.spec.js.
export { whyText } from "@/rep/coaching-words";

export const RAG = ["red", "amber", "green"];
export const HEAT_METRICS = ["visits", "cards_used", "wins"];

/** A rate 0..1 as a whole or one-decimal percentage ("52", "4.5"); "—" when there is none. */
export function percent(rate) {
  if (rate == null || Number.isNaN(rate)) return "—";
  const p = Math.round(rate * 1000) / 10;
  return Number.isInteger(p) ? String(p) : p.toFixed(1);
}

/** A rate as a message parameter, with its "%" (catalogue messages carry no "%": the server renders them too). */
export function percentText(rate) {
  const p = percent(rate);
  return p === "—" ? p : `${p}%`;
}

/** A difference of rates in percentage points with its sign ("+35", "−3"). */
export function points(diff) {
  if (diff == null) return "—";
  const p = Math.round(diff * 100);
  return p > 0 ? `+${p}` : p < 0 ? `−${Math.abs(p)}` : "0";
}

/**
 * The verdict of an experiment in words: a message key under app.console.insights.verdict and its parameters.
 * running/min_sample names the smallest sample so far; winner names both rates and the difference.
 */
export function verdict(exp) {
  const variants = exp.variants || [];
  const reason = exp.reason || (exp.status === "running" ? "undecided" : exp.status === "winner" ? "evidence" : "equivalent");
  if (exp.status === "winner") {
    const win = variants.find((v) => v.variant === exp.winner) || {};
    const others = variants.filter((v) => v.variant !== exp.winner);
    const best = others.sort((a, b) => (b.rate ?? 0) - (a.rate ?? 0))[0] || {};
    const pair = (exp.pairs || []).find((p) => [p.a, p.b].includes(exp.winner) && [p.a, p.b].includes(best.variant));
    const sign = pair && pair.b === exp.winner ? 1 : -1;
    return { key: "winner", params: {
      winner: exp.winner, rate: percentText(win.rate), n: win.exposures ?? 0, k: win.successes ?? 0,
      other: best.variant ?? "", other_rate: percentText(best.rate), other_n: best.exposures ?? 0, other_k: best.successes ?? 0,
      diff: pair ? points(sign * pair.difference) : points((win.rate ?? 0) - (best.rate ?? 0)),
      lo: pair ? points(sign > 0 ? pair.interval[0] : -pair.interval[1]) : "—",
      hi: pair ? points(sign > 0 ? pair.interval[1] : -pair.interval[0]) : "—",
      alpha: exp.alpha } };
  }
  if (exp.status === "no_difference") {
    return { key: `no_difference_${reason === "max_sample" ? "max_sample" : "equivalent"}`,
      params: { n: Math.min(...variants.map((v) => v.exposures ?? 0)) } };
  }
  if (reason === "min_sample") {
    const fewest = variants.length ? Math.min(...variants.map((v) => v.exposures ?? 0)) : 0;
    return { key: "running_min_sample", params: { min: exp.min_exposures, n: fewest,
      left: Math.max(0, (exp.min_exposures ?? 0) - fewest) } };
  }
  return { key: "running_evidence", params: { alpha: exp.alpha } };
}

/** Where the winner's promoted draft opens in the packs screen (its review tab), or null. */
export function promotedHash(exp) {
  const p = exp?.promoted_version;
  if (!p?.pack) return null;
  const params = new URLSearchParams({ pack: p.pack });
  if (p.number) params.set("v", String(p.number));
  params.set("tab", "review");
  return `#/console/packs?${params}`;
}

/** The talk-track's title from the bundle's components (managers get their region's packs; a track with
 * variants is there once per variant, "<ref>@<variant>"), else its id. */
export function trackTitle(exp, components) {
  const ref = `${exp.pack?.id}/talk_tracks/${exp.talk_track_id}`;
  const refs = [ref, ...[exp.winner, ...(exp.variants || []).map((v) => v.variant)].filter(Boolean).map((v) => `${ref}@${v}`)];
  for (const key of refs) {
    const found = components?.get?.(key);
    if (found?.title) return found.title;
  }
  return exp.talk_track_id;
}

/** Experiments in the order a manager reads them: decided first (newest decision first), then running. */
export function sortExperiments(items) {
  const rank = { winner: 0, no_difference: 1, running: 2 };
  return [...items].sort((a, b) => (rank[a.status] ?? 3) - (rank[b.status] ?? 3)
    || String(b.decided_at || "").localeCompare(String(a.decided_at || "")) || a.id - b.id);
}

/** The design form's values, and the PATCH body of what changed (numbers as numbers). */
export function designForm(exp) {
  return { metric: exp.metric, window_days: String(exp.window_days ?? ""), min_exposures: String(exp.min_exposures ?? ""),
    alpha: String(exp.alpha ?? "") };
}

export const DESIGN_LIMITS = { window_days: [1, 90], min_exposures: [20, 100000], alpha: [0.001, 0.2] };

/** The fields that changed, parsed; and the local range errors (the server checks the same ranges). */
export function designChanges(exp, form) {
  const body = {};
  const errors = {};
  if (form.metric !== exp.metric) body.metric = form.metric;
  for (const [field, [lo, hi]] of Object.entries(DESIGN_LIMITS)) {
    const raw = String(form[field] ?? "").trim();
    const value = Number(raw);
    if (raw === "" || !Number.isFinite(value) || (field !== "alpha" && !Number.isInteger(value)) || value < lo || value > hi) {
      errors[field] = { lo, hi };
      continue;
    }
    if (value !== exp[field]) body[field] = value;
  }
  return { body, errors };
}

/** A 422's `fields` → per field of the form, the range it must be in (the server's own words are English). */
export function serverFieldErrors(fields) {
  const out = {};
  for (const name of Object.keys(fields || {})) {
    if (DESIGN_LIMITS[name]) out[name] = { lo: DESIGN_LIMITS[name][0], hi: DESIGN_LIMITS[name][1] };
    else out[name] = { code: name };
  }
  return out;
}

/** The CSS class of a red/amber/green level (unknown → grey, "no data"). */
export function ragClass(level) {
  return RAG.includes(level) ? `rag-${level}` : "rag-none";
}

const HEAT = ["#fde68a", "#fbbf24", "#f97316", "#dc2626", "#991b1b"];

/**
 * Districts → circles for the heat map: the radius grows with the square root of the count (so the area is
 * proportional to it), the colour from yellow to dark red with its share of the busiest district. Districts
 * without coordinates or with nothing to show are left out.
 */
export function heatPoints(districts, metric, { minRadius = 6, maxRadius = 30 } = {}) {
  const rows = (districts || []).filter((d) => d.lat != null && d.lon != null && (d[metric] ?? 0) > 0);
  const max = Math.max(0, ...rows.map((d) => d[metric]));
  return rows.map((d) => {
    const share = max ? d[metric] / max : 0;
    return { key: String(d.key ?? d.place_id ?? d.district), name: d.name ?? d.district ?? "", lat: d.lat, lon: d.lon,
      value: d[metric], visits: d.visits ?? 0, cards_used: d.cards_used ?? 0, wins: d.wins ?? 0, place_id: d.place_id ?? null,
      radius: Math.round(minRadius + (maxRadius - minRadius) * Math.sqrt(share)),
      colour: HEAT[Math.min(HEAT.length - 1, Math.floor(share * HEAT.length))] };
  }).sort((a, b) => b.value - a.value);
}

export const HEAT_COLOURS = HEAT;

export const INDICATORS = ["plan_completion", "card_use", "follow_up_48h", "visit_notes", "outcomes_recorded",
  "proposal_after_budget"];

/** The indicator columns in a stable order: the known six first, then any the server adds. */
export function indicatorColumns(health) {
  const seen = new Set();
  for (const row of [...(health?.reps || []), ...(health?.grids || [])]) for (const i of row.indicators || []) seen.add(i.code);
  return [...INDICATORS.filter((c) => seen.has(c)), ...[...seen].filter((c) => !INDICATORS.includes(c))];
}

/** Per rep (or grid): the indicator cells by code, and how many are red, so the table can put the worst first. */
export function healthRows(rows, { key = (r) => r.rep?.id } = {}) {
  return (rows || []).map((row) => {
    const cells = Object.fromEntries((row.indicators || []).map((i) => [i.code, i]));
    const red = (row.indicators || []).filter((i) => i.rag === "red").length;
    const amber = (row.indicators || []).filter((i) => i.rag === "amber").length;
    return { id: key(row), row, cells, red, amber };
  }).sort((a, b) => b.red - a.red || b.amber - a.amber);
}

/** The dashboard's headline numbers from /insights and /experiments. */
export function headline(numbers, experiments) {
  const days = numbers?.cards_over_time || [];
  const shown = days.reduce((n, d) => n + (d.shown || 0), 0);
  const used = days.reduce((n, d) => n + (d.used || 0), 0);
  const steps = Object.fromEntries((numbers?.funnel?.steps || []).map((s) => [s.step, s.count]));
  const wins = (numbers?.districts || []).reduce((n, d) => n + (d.wins || 0), 0);
  const items = experiments?.items || [];
  return { shown, used, rate: shown ? used / shown : null, outcomes: steps.outcome ?? null, wins,
    decided: items.filter((e) => e.status !== "running").length, running: items.filter((e) => e.status === "running").length };
}

/** A unit of the drill-down as the table shows it: its day, the share, hit or miss against the threshold. */
export function unitRow(unit, threshold) {
  const kind = String(unit.key || "").split(":")[0];
  return { key: unit.key, at: unit.at, place_id: unit.place_id ?? null, value: unit.value,
    share: `${unit.numerator}/${unit.denominator}`, miss: unit.value < threshold, events: unit.event_ids?.length || 0,
    kind: ["plan", "cards", "deal"].includes(kind) ? kind : "visit" };
}


/**
 * The weekly digest as lines: [{key, params}] under app.console.insights.digest.lines; `title(exp)` names a
 * talk-track, `sep` is the locale's list separator.
 */
export function digestLines(body, { title = (e) => e.talk_track_id, sep = "、" } = {}) {
  if (!body) return [];
  const lines = [];
  const used = body.used || {};
  lines.push({ key: "used", params: { shown: used.cards_shown ?? 0, feedback: used.feedback ?? 0,
    used: used.used_or_helpful ?? 0, rate: percentText(used.rate) } });
  if (used.top_talk_tracks?.length) {
    lines.push({ key: "top", params: { list: used.top_talk_tracks.slice(0, 3).map((x) => `${x.title} ×${x.used}`).join(sep) } });
  }
  const o = body.outcomes || {};
  lines.push({ key: "outcomes", params: { advanced: o.advanced ?? 0, won: o.won ?? 0, lost: o.lost ?? 0,
    no_decision: o.no_decision ?? 0 } });
  for (const e of body.experiments?.decided || []) {
    const name = title({ pack: { id: e.pack }, talk_track_id: e.talk_track_id });
    lines.push(e.status === "winner" ? { key: "winner", params: { title: name, winner: e.winner } }
      : { key: "no_difference", params: { title: name } });
  }
  if (body.experiments?.running) lines.push({ key: "running", params: { n: body.experiments.running } });
  const coach = (body.coaching || []).filter((c) => c.red?.length || c.alerts?.length);
  if (coach.length) lines.push({ key: "coaching", params: { list: coach.map((c) => c.rep?.name).filter(Boolean).join(sep), n: coach.length } });
  if (body.warnings?.length) lines.push({ key: "warnings", params: { n: body.warnings.length } });
  return lines;
}
