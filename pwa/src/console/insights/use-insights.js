// The insights screen's data: one section per API answer, each with its own loading and error state, so a slow
// or failing endpoint leaves the rest of the dashboard readable. Loaded again when the region or period changes.
import { reactive } from "vue";
import { api } from "@/core/api";

function section() {
  return { data: null, loading: false, error: null, missing: false };
}

export const insights = reactive({
  region: "", days: 28,
  numbers: section(), health: section(), experiments: section(), alerts: section(), warnings: section(),
  digests: section(),
});

const PATHS = {
  numbers: ({ region, days }) => `/insights?${query({ region, days })}`,
  health: ({ region, days }) => `/health?${query({ region, days })}`,
  experiments: ({ region }) => `/experiments?${query({ region })}`,
  alerts: ({ region }) => `/coaching-alerts?${query({ region })}`,
  warnings: ({ region }) => `/warnings?${query({ region })}`,
  digests: ({ region }) => `/digests?${query({ region, limit: 1 })}`,
};

function query(params) {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v != null) out.set(k, String(v));
  return out.toString();
}

let generation = 0;

async function loadOne(name, params, gen) {
  const s = insights[name];
  s.loading = true;
  try {
    const answer = await api(PATHS[name](params));
    if (gen !== generation) return;
    Object.assign(s, { data: answer, error: null, missing: false });
  } catch (err) {
    if (gen !== generation) return;
    // a server without this part of the loop (404/405) leaves its section out rather than failing it
    Object.assign(s, { data: null, error: err.status === 404 || err.status === 405 ? null : err,
      missing: err.status === 404 || err.status === 405 });
  } finally {
    if (gen === generation) s.loading = false;
  }
}

/** Every section for the chosen region and period; an answer to an older choice is dropped. */
export function loadInsights() {
  generation += 1;
  const params = { region: insights.region, days: insights.days };
  return Promise.all(Object.keys(PATHS).map((name) => loadOne(name, params, generation)));
}

export function reloadSection(name) {
  return loadOne(name, { region: insights.region, days: insights.days }, generation);
}

/** One rep's indicators with the units (days, visits, deals) and event ids behind each value. */
export function loadRepHealth(repId, days) {
  return api(`/health/reps/${repId}?${query({ days })}`);
}

export async function acknowledgeAlert(id) {
  const updated = await api(`/coaching-alerts/${id}/acknowledge`, { method: "POST" });
  const items = insights.alerts.data?.items || [];
  const i = items.findIndex((a) => a.id === id);
  if (i >= 0) items.splice(i, 1, updated);
  return updated;
}

export function replaceExperiment(updated) {
  const items = insights.experiments.data?.items || [];
  const i = items.findIndex((e) => e.id === updated.id);
  if (i >= 0) items.splice(i, 1, updated);
}
