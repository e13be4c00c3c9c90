// The packs screen's data: the list with its filters, the open pack with its versions, and every call the
// screen makes to the packs API (docs/packs-api.md). Errors are thrown as core/api's ApiError and rendered
// from their code by the components (errorMessage below).
import { reactive } from "vue";
import { api, ApiError } from "@/core/api";
import { errorText } from "@/core/why";

const enc = encodeURIComponent;

export const packsState = reactive({
  items: [],
  loading: false,
  error: null,
  filters: { q: "", region: "", zone_type: "", grid: "", status: "" },
  regions: [],
  grids: [],
  lastChange: {},
});

/** The query string of the list's filters (empty ones left out). */
export function listQuery(filters) {
  const params = new URLSearchParams();
  for (const key of ["region", "zone_type", "grid", "status"]) if (filters[key]) params.set(key, filters[key]);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The packs whose name or id contains `q` (the search box; the other filters are the server's). */
export function searchPacks(items, q) {
  const needle = String(q || "").trim().toLowerCase();
  if (!needle) return items;
  return items.filter((p) => `${p.name} ${p.id}`.toLowerCase().includes(needle));
}

/** The newest audit entry of each pack (entries come newest first). */
export function latestByPack(entries) {
  const out = {};
  for (const e of entries || []) if (e.pack_id && !out[e.pack_id]) out[e.pack_id] = e;
  return out;
}

export async function loadPacks() {
  packsState.loading = true;
  packsState.error = null;
  try {
    const data = await api(`/packs${listQuery(packsState.filters)}`);
    packsState.items = data.items || [];
    for (const p of packsState.items) if (p.region && !packsState.regions.includes(p.region)) packsState.regions.push(p.region);
  } catch (err) {
    packsState.error = err;
  } finally {
    packsState.loading = false;
  }
  api("/audit?limit=200").then((d) => { packsState.lastChange = latestByPack(d.items); }).catch(() => {});
}

/** Grids of the manager's regions for the filter (an older server without grids leaves the filter out). */
export async function loadGrids() {
  try {
    const data = await api("/grids");
    packsState.grids = data.items || [];
  } catch {
    packsState.grids = [];
  }
}

export const getPack = (key) => api(`/packs/${enc(key)}`);
export const getVersion = (key, n) => api(`/packs/${enc(key)}/versions/${n}`);
export const validateBody = (body) => api("/packs/validate", { method: "POST", body: { body } });
export const validateYaml = (yaml) => api("/packs/validate", { method: "POST", body: { yaml } });
export const createVersion = (key, payload) => api(`/packs/${enc(key)}/versions`, { method: "POST", body: payload });
export const createPack = (payload) => api("/packs", { method: "POST", body: payload });
export const step = (key, n, name, body = {}) => api(`/packs/${enc(key)}/versions/${n}/${name}`, { method: "POST", body });
export const rollback = (key, n) => api(`/packs/${enc(key)}/rollback`, { method: "POST", body: { version: n } });
export const audience = (key, n) => api(`/packs/${enc(key)}/versions/${n}/audience`);
export const diff = (key, from, to) => api(`/packs/${enc(key)}/diff?from=${from}&to=${to}`);
export const auditOf = (key) => api(`/audit?pack=${enc(key)}&limit=100`);
export const comments = (key, n) => api(`/packs/${enc(key)}/versions/${n}/comments`);
export const addComment = (key, n, payload) => api(`/packs/${enc(key)}/versions/${n}/comments`, { method: "POST", body: payload });

export function components({ kind = "", q = "", region = "" } = {}) {
  const params = new URLSearchParams();
  if (kind) params.set("kind", kind);
  if (q) params.set("q", q);
  if (region) params.set("region", region);
  return api(`/components?${params}`);
}

/** The version's YAML as the server writes it (`flask packs export`), as a download named `<pack id>.yaml`. */
export async function downloadYaml(key, n) {
  const response = await api(`/packs/${enc(key)}/versions/${n}/yaml`, { raw: true });
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    throw new ApiError(response.status, data.error);
  }
  const blob = new Blob([await response.text()], { type: "text/yaml;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = `${key}.yaml`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** An API error in the manager's language: the error code's message, else the server's own message. */
export function errorMessage(err, locale) {
  if (!err) return "";
  return errorText(err.code, locale, err.message);
}

/** An audit action ("version.published") in words; the catalogue keys use "_" for the dot. */
export function auditAction(action, t, te) {
  const key = `app.console.packs.audit.actions.${String(action).replace(/\./g, "_")}`;
  return te(key) ? t(key) : action;
}
