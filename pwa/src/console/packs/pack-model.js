// A pack body (docs/content-packs.md, content_packs/schema.py) as the editor's form model and back, the field
// specs the forms are drawn from, the server's error paths per field, and copying a component from another
// pack with a new id and its provenance. Pure functions over plain objects: no Vue, no network.

export const STAGES = ["prospecting", "discovery", "proposal", "negotiation", "closing", "after_sales"];
export const SKILL_LEVELS = ["junior", "intermediate", "senior"];
export const ROLES = ["rep", "guide", "manager", "admin"];
export const KINDS = ["personas", "talk_tracks", "counters", "compliance_notes", "local_cases", "solution_hints"];

/**
 * Every component kind's fields, in form order. `type`: id | text | textarea | enum (one of `choices`) |
 * enums (several of `choices`) | keys (snake_case keys, several) | key (one) | list (texts) | objections |
 * variants | date. `min`: the schema's minimum length; `optional`: may be left out (an empty optional list is
 * left out of the body, as "omitted = all").
 */
export const FIELDS = {
  personas: [
    { name: "id", type: "id" },
    { name: "title", type: "text" },
    { name: "description", type: "textarea" },
    { name: "cares_about", type: "list", min: 1 },
    { name: "avoid", type: "list", optional: true },
  ],
  talk_tracks: [
    { name: "id", type: "id" },
    { name: "title", type: "text" },
    { name: "stage", type: "enum", choices: STAGES, catalogue: "stages" },
    { name: "skill_levels", type: "enums", choices: SKILL_LEVELS, catalogue: "skills", optional: true },
    { name: "categories", type: "keys", catalogue: "categories", fromPack: "categories", optional: true },
    { name: "shopper_types", type: "keys", catalogue: "shopper_types", optional: true },
    { name: "lines", type: "list", min: 2, long: true },
    { name: "objections", type: "objections", min: 3 },
    { name: "variants", type: "variants", min: 2, optional: true },
  ],
  counters: [
    { name: "id", type: "id" },
    { name: "competitor", type: "text" },
    { name: "their_move", type: "textarea" },
    { name: "our_response", type: "textarea" },
    { name: "proof_points", type: "list", min: 1 },
    { name: "skill_levels", type: "enums", choices: SKILL_LEVELS, catalogue: "skills", optional: true },
    { name: "categories", type: "keys", catalogue: "categories", fromPack: "categories", optional: true },
    { name: "shopper_types", type: "keys", catalogue: "shopper_types", optional: true },
  ],
  compliance_notes: [
    { name: "id", type: "id" },
    { name: "title", type: "text" },
    { name: "text", type: "textarea" },
    { name: "expires_on", type: "date", optional: true },
  ],
  local_cases: [
    { name: "id", type: "id" },
    { name: "title", type: "text" },
    { name: "place_category", type: "key", catalogue: "categories", fromPack: "categories" },
    { name: "summary", type: "textarea" },
    { name: "result", type: "textarea" },
  ],
  solution_hints: [
    { name: "id", type: "id" },
    { name: "needs", type: "list", min: 1 },
    { name: "text", type: "textarea" },
  ],
};

/** The pack's own fields (its scope), in form order. */
export const PACK_FIELDS = [
  { name: "id", type: "id" },
  { name: "name", type: "text" },
  { name: "description", type: "textarea" },
  { name: "region", type: "key" },
  { name: "grid", type: "key", options: "grids", optional: true },
  { name: "zone_types", type: "keys", catalogue: "zone_types", min: 1 },
  { name: "categories", type: "keys", catalogue: "categories" },
  { name: "audience.roles", type: "enums", choices: ROLES, catalogue: "roles", min: 1 },
  { name: "audience.skill_levels", type: "enums", choices: SKILL_LEVELS, catalogue: "skills", optional: true },
];

const clone = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

function blankValue(field) {
  switch (field.type) {
    case "list": return Array.from({ length: field.min || 0 }, () => "");
    case "objections": return Array.from({ length: field.min || 0 }, () => ({ objection: "", response: "" }));
    case "variants": case "enums": case "keys": return [];
    default: return "";
  }
}

/** A body as the forms edit it: a deep copy in which every component kind and optional field exists. */
export function fromBody(body) {
  const model = clone(body || {});
  model.audience = model.audience || { roles: [] };
  model.audience.roles = model.audience.roles || [];
  model.audience.skill_levels = model.audience.skill_levels || [];
  for (const key of ["zone_types", "categories"]) model[key] = model[key] || [];
  for (const field of PACK_FIELDS) if (field.optional && !field.name.includes(".") && model[field.name] == null) model[field.name] = "";
  for (const kind of KINDS) {
    model[kind] = (model[kind] || []).map((item) => {
      for (const field of FIELDS[kind]) if (item[field.name] == null) item[field.name] = blankValue(field);
      return item;
    });
  }
  return model;
}

function empty(value) {
  return value == null || value === "" || (Array.isArray(value) && value.length === 0);
}

/** The form model as a body to validate or save: optional fields left empty are left out (omitted = all). */
export function toBody(model) {
  const body = clone(model);
  if (body.audience && empty(body.audience.skill_levels)) delete body.audience.skill_levels;
  for (const field of PACK_FIELDS) if (field.optional && !field.name.includes(".") && empty(body[field.name])) delete body[field.name];
  for (const kind of KINDS) {
    for (const item of body[kind] || []) {
      for (const field of FIELDS[kind]) if (field.optional && empty(item[field.name])) delete item[field.name];
    }
  }
  delete body.version;
  return body;
}

/** The server's error map keyed by paths inside the body (a leading "body." taken off). */
export function normalizeErrors(fields) {
  const out = {};
  for (const [path, messages] of Object.entries(fields || {})) {
    const key = path.startsWith("body.") ? path.slice(5) : path === "body" ? "_schema" : path;
    out[key] = [...(out[key] || []), ...(Array.isArray(messages) ? messages : [messages])];
  }
  return out;
}

export function fieldPath(kind, index, field) {
  return kind ? `${kind}[${index}].${field}` : field;
}

/** The messages at exactly `path`. */
export function errorsAt(errors, path) {
  return errors?.[path] || [];
}

/** How many messages lie at `prefix` or under it (a component's badge, a kind's badge). */
export function countUnder(errors, prefix) {
  return Object.entries(errors || {})
    .filter(([path]) => path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`))
    .reduce((n, [, list]) => n + list.length, 0);
}

/** The messages that no form field shows (the pack as a whole, or a path the forms do not have). */
export function looseErrors(errors, model) {
  const known = new Set(PACK_FIELDS.map((f) => f.name));
  return Object.entries(errors || {}).filter(([path]) => {
    if (known.has(path)) return false;
    const m = path.match(/^(\w+)\[(\d+)\]/);
    return !(m && KINDS.includes(m[1]) && model?.[m[1]]?.[Number(m[2])]);
  });
}

/** A component's title as the lists and the diff name it (the server's pack_diff `_title` order). */
export function componentTitle(kind, item) {
  if (!item) return "";
  if (kind === "solution_hints" && item.needs?.length) return item.needs.filter(Boolean).join(" · ") || item.id;
  return [item.title, item.competitor, item.text].find((v) => typeof v === "string" && v.trim()) || item.id || "";
}

/** Every component id of the body, whatever its kind. */
export function componentIds(body) {
  return new Set(KINDS.flatMap((kind) => (body?.[kind] || []).map((c) => c.id).filter(Boolean)));
}

/** The id prefix the pack's components share ("pl" for pl-tt-…), else the initials of the pack id. */
export function packPrefix(body) {
  const counts = {};
  for (const id of componentIds(body)) {
    const head = id.split("-")[0];
    counts[head] = (counts[head] || 0) + 1;
  }
  const best = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
  if (best) return best[0];
  const initials = String(body?.id || "").split("-").filter(Boolean).map((s) => s[0]).join("");
  return initials || "pack";
}

const KIND_SHORT = { personas: "persona", talk_tracks: "tt", counters: "counter", compliance_notes: "cn",
  local_cases: "case", solution_hints: "hint" };

/** `wanted`, or `wanted-2`, `wanted-3`… : the first that is not in `taken`. */
export function uniqueId(wanted, taken) {
  if (!taken.has(wanted)) return wanted;
  let n = 2;
  while (taken.has(`${wanted}-${n}`)) n += 1;
  return `${wanted}-${n}`;
}

/** A new component of `kind` with a fresh id and the fields the schema requires, empty. */
export function blankComponent(kind, body) {
  const item = {};
  for (const field of FIELDS[kind]) item[field.name] = blankValue(field);
  item.id = uniqueId(`${packPrefix(body)}-${KIND_SHORT[kind]}-new`, componentIds(body));
  return item;
}

/**
 * A copy of another pack's component for this body: a new id in this pack's prefix (ids are unique across all
 * packs), `copied_from` naming where it came from, and the categories this pack does not cover left out.
 */
export function copyComponent(body, kind, component, source) {
  const item = clone(component);
  delete item.copied_from;
  const tail = String(component.id).split("-").slice(1).join("-") || String(component.id);
  const taken = componentIds(body);
  taken.add(component.id);
  item.id = uniqueId(`${packPrefix(body)}-${tail}`, taken);
  item.copied_from = { pack: source.pack, version: source.version, id: component.id };
  const allowed = body?.categories || [];
  if (allowed.length && Array.isArray(item.categories)) {
    item.categories = item.categories.filter((c) => allowed.includes(c));
    if (!item.categories.length) delete item.categories;
  }
  return fromBody({ [kind]: [item] })[kind][0];
}

/** A first draft of a new pack in `region` (the manager fills in the rest; the validation says what). */
export function newPackBody(region) {
  return fromBody({
    format: 1, id: "", name: "", description: "", region: region || "", zone_types: [], categories: [],
    audience: { roles: ["rep"] }, talk_tracks: [blankComponent("talk_tracks", {})],
  });
}

/** Moves item `from` to `to` within a list (in place). */
export function move(list, from, to) {
  if (to < 0 || to >= list.length || from === to) return list;
  const [item] = list.splice(from, 1);
  list.splice(to, 0, item);
  return list;
}

/** "a, b、c\nd" → ["a", "b", "c", "d"]: the key chips typed as text. */
export function splitKeys(text) {
  return String(text || "").split(/[\s,，、;；]+/).map((s) => s.trim()).filter(Boolean);
}
