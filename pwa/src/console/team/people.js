// The people the console picks from (the preview's and the replay's rep, a grid's leader): `GET /users`, one
// request per filter, kept for the session; an older server without /users gives an empty list (the screens
// then ask for a rep's number instead).
import { reactive, ref } from "vue";
import { api } from "@/core/api";

export const people = reactive({ missing: false });
const cache = new Map();

/** The query string of a user filter: only what is set (`active` as "true"/"false"). */
export function userQuery(filter = {}) {
  const q = new URLSearchParams();
  for (const key of ["region", "grid", "role", "q"]) if (filter[key]) q.set(key, filter[key]);
  if (filter.active === true || filter.active === false) q.set("active", String(filter.active));
  if (filter.active === "true" || filter.active === "false") q.set("active", filter.active);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Users matching `filter` (cached unless `fresh`); [] when the server has no /users. */
export async function loadUsers(filter = {}, { fresh = false } = {}) {
  const key = userQuery(filter);
  if (!fresh && cache.has(key)) return cache.get(key);
  try {
    const items = (await api(`/users${key}`)).items || [];
    cache.set(key, items);
    people.missing = false;
    return items;
  } catch (err) {
    if (err.status === 404 || err.status === 405) { people.missing = true; return []; }
    throw err;
  }
}

export function forgetUsers() {
  cache.clear();
  grids = null;
}

let grids = null;

/** Grid names by key (for labels), from `GET /grids`; {} when there are none or no such API. */
export async function gridNames() {
  if (!grids) {
    grids = api("/grids").then((a) => Object.fromEntries((a.items || []).map((g) => [g.key, g.name])))
      .catch(() => ({}));
  }
  return grids;
}

/** Reps first by name (as a manager looks them up), the inactive last. */
export function byName(a, b) {
  return (a.active === false) - (b.active === false) || a.name.localeCompare(b.name, "zh-CN");
}

/** "name · skill level · grid" for a picker. */
export function personLabel(user, t, names = {}) {
  const parts = [user.name];
  if (user.skill_level) parts.push(t(`skills.${user.skill_level}`));
  if (user.grid) parts.push(names[user.grid] || user.grid);
  if (user.active === false) parts.push(t("app.console.team.inactive"));
  return parts.join(" · ");
}

/**
 * The reps a console screen picks from (the preview's and the replay's): `reps` by name, grid names for their
 * labels, and `loaded` once the answer (or the failure: then no reps) is in. Call `load()` when mounted.
 */
export function useRepPicker() {
  const reps = ref([]);
  const grids = ref({});
  const loaded = ref(false);
  async function load() {
    try {
      const [users, names] = await Promise.all([loadUsers({ role: "rep" }), gridNames()]);
      reps.value = [...users].sort(byName);
      grids.value = names;
    } catch {
      reps.value = [];
    }
    loaded.value = true;
    return reps.value;
  }
  return { reps, grids, loaded, load };
}
