// A trigger rule (app/schemas/rules.py RuleIn, docs/trigger-rules.md) ↔ the editor's form model; the
// conditions and what a rule shows, in words; checks as the manager types; the server's 422 `fields` mapped
// onto the form's controls, with marshmallow's English messages turned into catalogue keys where known.
import { catalogues } from "@/core/catalogues";
import { message, normalizeLocale } from "@/core/why";

export const EVENTS = ["enter_place", "dwell", "enter_zone", "budget_entered", "stage_changed", "visit_planned"];
export const KINDS = ["talk_tracks", "counters", "compliance_notes", "local_cases", "personas", "solution_hints"];
export const STAGES = ["prospecting", "discovery", "proposal", "negotiation", "closing", "after_sales"];
export const SKILLS = ["junior", "intermediate", "senior"];
export const ROLES = ["rep", "guide", "manager", "admin"];
export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];
export const LIMITS = { priority: [0, 10000], notice: [1, 365], budget: [0, 10 ** 15], show: 20, limit: [1, 20] };

let uid = 0;
const nextUid = () => `s${++uid}`;

/** A new show block: which components of one kind (of one pack, or of the zone's pack), in order. */
export function showBlock({ pack = "", kind = "talk_tracks", ids = [], limit = null } = {}) {
  return { uid: nextUid(), pack, kind, ids: [...ids], limit };
}

export function emptyForm(region = "") {
  return {
    id: null, name: "", region, event: "enter_place", priority: 100, enabled: true,
    zoneTypes: [], categories: [], placeTagsAny: [], placeTagsAll: [], stages: [], competitors: [],
    noticeDays: null, budgetMin: null, budgetMax: null, shopperTypes: [],
    roles: [], skillLevels: [], repTagsAny: [], repTagsAll: [],
    weekdays: [], timeFrom: "", timeTo: "",
    show: [showBlock()],
  };
}

const list = (v) => (Array.isArray(v) ? [...v] : []);
const num = (v) => (v === null || v === undefined || v === "" ? null : Number(v));

export function ruleToForm(rule) {
  const c = rule.conditions || {};
  const place = c.place || {};
  const rep = c.rep || {};
  const time = c.time || {};
  return {
    id: rule.id ?? null, name: rule.name || "", region: rule.region || "", event: rule.event || "enter_place",
    priority: rule.priority ?? 100, enabled: rule.enabled ?? true,
    zoneTypes: list(c.zone_types), categories: list(place.categories), placeTagsAny: list(place.tags_any),
    placeTagsAll: list(place.tags_all), stages: list(place.stages), competitors: list(place.competitors_any),
    noticeDays: num(place.notice_within_days), budgetMin: num(place.budget_min), budgetMax: num(place.budget_max),
    shopperTypes: list(c.shopper?.types),
    roles: list(rep.roles), skillLevels: list(rep.skill_levels), repTagsAny: list(rep.tags_any),
    repTagsAll: list(rep.tags_all),
    weekdays: list(time.weekdays).map(Number), timeFrom: time.from || "", timeTo: time.to || "",
    show: (rule.show || []).map((s) => showBlock({ pack: s.pack || "", kind: s.kind, ids: s.ids || [],
      limit: num(s.limit) })),
  };
}

function put(target, key, value) {
  if (Array.isArray(value) ? value.length : value !== null && value !== undefined && value !== "") target[key] = value;
}

function section(values) {
  const out = {};
  for (const [k, v] of Object.entries(values)) put(out, k, v);
  return Object.keys(out).length ? out : null;
}

/** The RuleIn body the server takes: only the conditions the manager set. */
export function formToRule(form) {
  const conditions = {};
  put(conditions, "zone_types", form.zoneTypes);
  const place = section({ categories: form.categories, tags_any: form.placeTagsAny, tags_all: form.placeTagsAll,
    stages: form.stages, competitors_any: form.competitors, notice_within_days: num(form.noticeDays),
    budget_min: num(form.budgetMin), budget_max: num(form.budgetMax) });
  if (place) conditions.place = place;
  const shopper = section({ types: form.shopperTypes });
  if (shopper) conditions.shopper = shopper;
  const rep = section({ roles: form.roles, skill_levels: form.skillLevels, tags_any: form.repTagsAny,
    tags_all: form.repTagsAll });
  if (rep) conditions.rep = rep;
  const time = section({ weekdays: [...form.weekdays].map(Number).sort((a, b) => a - b), from: form.timeFrom,
    to: form.timeTo });
  if (time) conditions.time = time;
  const show = form.show.map((b) => {
    const item = { kind: b.kind };
    if (b.pack) item.pack = b.pack;
    if (b.ids.length) item.ids = [...b.ids];
    if (num(b.limit) !== null) item.limit = num(b.limit);
    return item;
  });
  return { name: form.name.trim(), region: form.region, event: form.event, conditions, show,
    priority: num(form.priority) ?? 100, enabled: !!form.enabled };
}

const inRange = (v, [lo, hi]) => Number.isInteger(v) && v >= lo && v <= hi;

/** What is wrong before sending, as {server path: [{key, params}]} (the same paths the server's 422 uses). */
export function checkForm(form) {
  const errors = {};
  const add = (path, key, params = {}) => { (errors[path] ||= []).push({ key, params }); };
  if (!form.name.trim()) add("name", "required");
  if (!form.region) add("region", "required");
  const priority = num(form.priority);
  if (priority === null || !inRange(priority, LIMITS.priority)) {
    add("priority", "range", { min: LIMITS.priority[0], max: LIMITS.priority[1] });
  }
  const days = num(form.noticeDays);
  if (days !== null && !inRange(days, LIMITS.notice)) {
    add("conditions.place.notice_within_days", "range", { min: LIMITS.notice[0], max: LIMITS.notice[1] });
  }
  const [lo, hi] = [num(form.budgetMin), num(form.budgetMax)];
  for (const [path, v] of [["conditions.place.budget_min", lo], ["conditions.place.budget_max", hi]]) {
    if (v !== null && !inRange(v, LIMITS.budget)) add(path, "not_amount");
  }
  if (lo !== null && hi !== null && lo > hi) add("conditions.place.budget_min", "budget_order");
  if (!form.show.length) add("show", "show_required");
  if (form.show.length > LIMITS.show) add("show", "show_too_many", { max: LIMITS.show });
  form.show.forEach((b, i) => {
    if (!KINDS.includes(b.kind)) add(`show.${i}.kind`, "required");
    const limit = num(b.limit);
    if (limit !== null && !inRange(limit, LIMITS.limit)) {
      add(`show.${i}.limit`, "range", { min: LIMITS.limit[0], max: LIMITS.limit[1] });
    }
  });
  return errors;
}

const KNOWN = [
  [/^Missing data for required field/, "required"],
  [/^Field may not be null/, "required"],
  [/budget_min must not exceed budget_max/, "budget_order"],
  [/^Use HH:MM/, "time_format"],
  [/^Must be one of/, "not_allowed"],
  [/^Unknown pack/, "unknown_pack"],
  [/^Not \w+ of \S+ v\d+: (.+?)\.?$/, "unknown_components", (m) => ({ ids: m[1] })],
  [/^Must be greater than or equal to (\d+) and less than or equal to (\d+)/, "range",
    (m) => ({ min: m[1], max: m[2] })],
  [/^Length must be between (\d+) and (\d+)/, "length", (m) => ({ min: m[1], max: m[2] })],
  [/^Longer than maximum length (\d+)/, "length", (m) => ({ min: 0, max: m[1] })],
  [/^Not a valid integer/, "not_amount"],
  [/^Unknown field/, "unknown_field"],
  [/^Unknown region/, "unknown_region"],
  [/^Not a pack of this rule's region/, "not_our_pack"],
  [/^Unknown shopper type (.+?); one of (.+?)\.?$/, "unknown_shopper_type", (m) => ({ types: m[1], choices: m[2] })],
];

/** One server message as {key, params} when it is a known one, else {text} (shown as the server wrote it). */
export function explainMessage(text) {
  for (const [pattern, key, params] of KNOWN) {
    const m = String(text).match(pattern);
    if (m) return { key, params: params ? params(m) : {} };
  }
  return { text: String(text) };
}

/** The server's nested `fields` ({"conditions": {"place": {"budget_min": ["…"]}}, "show": {"0": …}}) flattened
 * to {"conditions.place.budget_min": [{key, params} | {text}]}. */
export function serverErrors(fields, prefix = "") {
  const out = {};
  if (fields == null) return out;
  if (Array.isArray(fields) || typeof fields !== "object") {
    const messages = Array.isArray(fields) ? fields : [fields];
    const flat = messages.filter((m) => typeof m !== "object" || m === null);
    if (flat.length) out[prefix || "_"] = flat.map(explainMessage);
    messages.filter((m) => m && typeof m === "object").forEach((m) => Object.assign(out, serverErrors(m, prefix)));
    return out;
  }
  for (const [key, value] of Object.entries(fields)) {
    const path = prefix ? `${prefix}.${key}` : key;
    for (const [p, msgs] of Object.entries(serverErrors(value, path))) (out[p] ||= []).push(...msgs);
  }
  return out;
}

/** The errors at `path` and under it (a show block's errors are under "show.<i>"). */
export function errorsAt(errors, path, { exact = false } = {}) {
  return Object.entries(errors || {}).filter(([p]) => p === path || (!exact && p.startsWith(`${path}.`)))
    .flatMap(([, msgs]) => msgs);
}

/** Move one item of `array` (in place) from index `from` to `to`, as a drag and drop does. */
export function move(array, from, to) {
  if (from === to || from < 0 || from >= array.length) return array;
  const [item] = array.splice(from, 1);
  array.splice(Math.min(to, array.length), 0, item);
  return array;
}

// --- in words ------------------------------------------------------------------------------------------------

const P = "app.console.rules.summary";

function catalogue(locale) {
  return catalogues[normalizeLocale(locale)];
}

/** A coded value's name: the bundle's/the options' names first, then the catalogue section, then the code. */
export function nameOf(section, key, locale, names) {
  const loc = normalizeLocale(locale);
  const named = names?.[section]?.[String(key)];
  if (typeof named === "string") return named;
  if (named && (named[loc] || named.zh)) return named[loc] || named.zh;
  const node = section.split(".").reduce((n, k) => (n && typeof n === "object" ? n[k] : undefined), catalogue(loc));
  const found = node?.[String(key)];
  return typeof found === "string" ? found : String(key);
}

function joined(values, locale, word = "or") {
  const loc = normalizeLocale(locale);
  if (values.length <= 1) return values.join("");
  const last = values[values.length - 1];
  return `${values.slice(0, -1).join(loc === "en" ? ", " : "、")}${message(`${P}.${word}`, loc)}${last}`;
}

/** ¥ amounts as a manager writes them: in units of ten thousand in Chinese when round, "¥5,000,000" in English. */
export function cny(value, locale) {
  const v = Number(value);
  if (normalizeLocale(locale) === "zh" && v >= 10000 && v % 10000 === 0) return message(`${P}.wan`, "zh", { n: (v / 10000).toLocaleString("zh-CN") });
  return `¥${v.toLocaleString("en-US")}`;
}

/** ISO weekdays as ranges: [1,2,3,4,5] → "Monday–Friday"; [1,3] → "Monday, Wednesday" (so in Chinese). */
export function weekdaysInWords(days, locale) {
  const loc = normalizeLocale(locale);
  const sorted = [...new Set(days.map(Number))].sort((a, b) => a - b);
  const name = (d) => nameOf("weekdays", d, loc);
  const parts = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j += 1;
    if (j - i >= 2) parts.push(message(`${P}.day_range`, loc, { from: name(sorted[i]), to: name(sorted[j]) }));
    else for (let k = i; k <= j; k += 1) parts.push(name(sorted[k]));
    i = j + 1;
  }
  return parts.join(loc === "en" ? ", " : "、");
}

/** The conditions of a rule as short phrases in `locale`, in the order the engine checks them. */
export function conditionPhrases(conditions, locale, names = {}) {
  const loc = normalizeLocale(locale);
  const c = conditions || {};
  const place = c.place || {};
  const rep = c.rep || {};
  const time = c.time || {};
  const out = [];
  const say = (key, facts) => out.push(message(`${P}.${key}`, loc, facts));
  const coded = (section, values) => joined(values.map((v) => nameOf(section, v, loc, names)), loc);
  const plain = (values, word = "or") => joined(values.map(String), loc, word);
  if (c.zone_types?.length) say("zone_types", { list: coded("zone_types", c.zone_types) });
  if (place.categories?.length) say("categories", { list: coded("categories", place.categories) });
  if (place.tags_any?.length) say("place_tags_any", { list: plain(place.tags_any) });
  if (place.tags_all?.length) say("place_tags_all", { list: plain(place.tags_all, "and") });
  if (place.stages?.length) say("stages", { list: coded("stages", place.stages) });
  if (place.competitors_any?.length) say("competitors", { list: plain(place.competitors_any) });
  if (place.notice_within_days) say("notice", { days: String(place.notice_within_days) });
  const [lo, hi] = [place.budget_min, place.budget_max];
  if (lo != null && hi != null) say("budget_between", { min: cny(lo, loc), max: cny(hi, loc) });
  else if (lo != null) say("budget_min", { min: cny(lo, loc) });
  else if (hi != null) say("budget_max", { max: cny(hi, loc) });
  if (c.shopper?.types?.length) say("shopper_types", { list: coded("shopper_types", c.shopper.types) });
  if (rep.roles?.length) say("roles", { list: coded("roles", rep.roles) });
  if (rep.skill_levels?.length) say("skill_levels", { list: coded("skills", rep.skill_levels) });
  if (rep.tags_any?.length) say("rep_tags_any", { list: plain(rep.tags_any) });
  if (rep.tags_all?.length) say("rep_tags_all", { list: plain(rep.tags_all, "and") });
  if (time.weekdays?.length) out.push(weekdaysInWords(time.weekdays, loc));
  if (time.from && time.to) say("time_between", { from: time.from, to: time.to });
  else if (time.from) say("time_from", { from: time.from });
  else if (time.to) say("time_to", { to: time.to });
  return out;
}

/** One line: "zone type is Procurement-led; client type is Tier-3 hospital; …" (or "no extra conditions"). */
export function conditionsInWords(conditions, locale, names = {}) {
  const phrases = conditionPhrases(conditions, locale, names);
  const line = phrases.length ? phrases.join(message("cond._sep", locale)) : message("cond._none", locale);
  return normalizeLocale(locale) === "en" ? line.charAt(0).toUpperCase() + line.slice(1) : line;
}

/** What a rule shows, in order: "Competitor counters ×1 → Talk-tracks, up to 2 → Compliance notes (all that fit)". */
export function showInWords(show, locale) {
  const loc = normalizeLocale(locale);
  return (show || []).map((s) => {
    const kind = message(`app.kinds.${s.kind}`, loc);
    if (s.ids?.length) return message(`${P}.show_ids`, loc, { kind, n: String(s.ids.length) });
    if (s.limit) return message(`${P}.show_limit`, loc, { kind, n: String(s.limit) });
    return message(`${P}.show_all`, loc, { kind });
  }).join(" → ");
}
