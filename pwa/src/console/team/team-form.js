// The team screens' forms ↔ the /users and /grids bodies (docs/team.md), only the changed fields in a PATCH,
// and the server's refusals (409 user_exists, 422 weak_password / invalid_values `fields`) at their controls.
import { catalogues } from "@/core/catalogues";
import { serverErrors } from "@/console/rules/rule-form";

export const USER_ROLES = ["rep", "guide", "manager", "admin"];
/** The roles `actor` may give: an admin any, a manager rep and guide only (docs/team.md). */
export const rolesFor = (actor) => (actor?.role === "admin" ? USER_ROLES : ["rep", "guide"]);
export const SKILL_LEVELS = ["junior", "intermediate", "senior"];
const KEY = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function newUserForm(region = "") {
  return { email: "", name: "", password: "", role: "rep", region, grid: "", skill_level: "junior", tags: [] };
}

/** The POST /users body: grid and skill level only when set (a manager has no skill level). */
export function userBody(form) {
  const body = { email: form.email.trim(), name: form.name.trim(), password: form.password, role: form.role,
    region: form.region };
  if (form.grid) body.grid = form.grid;
  if (form.skill_level && ["rep", "guide"].includes(form.role)) body.skill_level = form.skill_level;
  if (form.tags?.length) body.tags = [...form.tags];
  return body;
}

export function editUserForm(user) {
  return { skill_level: user.skill_level || "", tags: [...(user.tags || [])], grid: user.grid || "",
    active: user.active !== false };
}

/** Only what changed, as PATCH takes it (grid "" → null: out of every grid). */
export function patchOf(before, after) {
  const out = {};
  for (const [key, value] of Object.entries(after)) {
    const old = before[key];
    const same = Array.isArray(value) ? JSON.stringify(value) === JSON.stringify(old || []) : (value ?? "") === (old ?? "");
    if (!same) out[key] = value === "" ? null : value;
  }
  return out;
}

/** What is wrong with a new user before sending, as {field: [{key, params}]}. */
export function checkUser(form) {
  const errors = {};
  const add = (field, key, params = {}) => { (errors[field] ||= []).push({ key, params }); };
  if (!EMAIL.test(form.email.trim())) add("email", "email");
  if (!form.name.trim()) add("name", "required");
  if (!form.password) add("password", "required");
  if (!form.region) add("region", "required");
  return errors;
}

export function newGridForm(region = "") {
  return { key: "", name: "", region, leader: "", discount_limit_cny: 50000 };
}

export function editGridForm(grid) {
  return { name: grid.name || "", leader: grid.leader == null ? "" : String(grid.leader),
    discount_limit_cny: grid.discount_limit_cny ?? null };
}

function leaderValue(v) {
  if (v === "" || v == null) return null;
  return /^\d+$/.test(String(v)) ? Number(v) : v;
}

export function gridBody(form) {
  const body = { key: form.key.trim(), name: form.name.trim(), region: form.region };
  const leader = leaderValue(form.leader);
  if (leader !== null) body.leader = leader;
  if (form.discount_limit_cny !== "" && form.discount_limit_cny != null) body.discount_limit_cny = Number(form.discount_limit_cny);
  return body;
}

export function gridPatch(grid, form) {
  const out = patchOf(editGridForm(grid), form);
  if ("leader" in out) out.leader = leaderValue(out.leader);
  if ("discount_limit_cny" in out && out.discount_limit_cny !== null) out.discount_limit_cny = Number(out.discount_limit_cny);
  return out;
}

export function checkGrid(form, { creating }) {
  const errors = {};
  const add = (field, key, params = {}) => { (errors[field] ||= []).push({ key, params }); };
  if (creating && !(KEY.test(form.key.trim()) && form.key.trim().length <= 64)) add("key", "grid_key");
  if (!form.name.trim()) add("name", "required");
  const limit = form.discount_limit_cny;
  if (limit !== "" && limit != null && !(Number.isInteger(Number(limit)) && Number(limit) >= 0)) add("discount_limit_cny", "not_amount");
  return errors;
}

function lookup(cat, path) {
  return path.split(".").reduce((n, k) => (n && typeof n === "object" ? n[k] : undefined), cat);
}

const escape = (text) => text.replace(/[.*+?^$()|[\]\\]/g, "\\$&");

/** The server's English `fields` messages are catalogue messages (`team.password.*`, `team.problems.*`)
 * rendered with facts: find which one, and its facts, so the reader gets it in their own language. */
export function unrender(text, sections = ["team.password", "team.problems"]) {
  for (const section of sections) {
    for (const [code, template] of Object.entries(lookup(catalogues.en, section) || {})) {
      if (typeof template !== "string") continue;
      const names = [];
      const pattern = escape(template).replace(/\{(\w+)\}/g, (_, name) => { names.push(name); return "(.+?)"; });
      const m = String(text).trim().match(new RegExp(`^${pattern}$`, "i"));
      if (m) return { path: `${section}.${code}`, params: Object.fromEntries(names.map((n, i) => [n, m[i + 1]])) };
    }
  }
  return null;
}

// The grid service's own words (not from the catalogue), as the console's keys.
const GRID_MESSAGES = [
  [/^No active user with this id/, "leader_unknown"],
  [/^A rep leader must belong to the grid's region/, "leader_region"],
  [/^This rep belongs to another grid/, "leader_other_grid"],
  [/^A manager leader must manage the grid's region/, "leader_manager_region"],
  [/^A grid leader is a rep or a manager/, "leader_role"],
  [/^At most your own limit, (¥[\d,]+)/, "limit_above_own", (m) => ({ limit: m[1] })],
  [/^A grid with this key already exists/, "grid_exists"],
];

function explainTeam(text) {
  for (const [pattern, key, params] of GRID_MESSAGES) {
    const m = String(text).match(pattern);
    if (m) return { key, params: params ? params(m) : {} };
  }
  return unrender(text);
}

/** A refusal at its controls: {field: [{path|key, params} | {text}]}, plus "_" for what belongs to no control. */
export function refusalAt(err) {
  const out = {};
  for (const [field, messages] of Object.entries(serverErrors(err.fields || {}))) {
    out[field] = messages.map((m) => (m.text ? explainTeam(m.text) || m : m));
  }
  if (err.code === "user_exists") (out.email ||= []).push({ key: "user_exists" });
  if (err.code === "grid_exists" && !out.key) out.key = [{ key: "grid_exists" }];
  if (err.code === "weak_password" && !out.password) out.password = [{ key: "weak_password" }];
  return out;
}
