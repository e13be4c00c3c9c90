// What the rule editor offers in its controls: `GET /rules/options?region=` when the server has it, otherwise
// derived from what the console already has (the bundle's names and places, the catalogues, the region's packs,
// the team's tags). Either way one shape: lists of {key, name}, tag lists, and components {kind, id, title, pack}.
import { api } from "@/core/api";
import { normalizeLocale } from "@/core/why";
import { EVENTS, KINDS, ROLES, SKILLS, STAGES, nameOf } from "@/console/rules/rule-form";

/** A component's title as a manager recognises it. */
export function componentTitle(c) {
  const text = c.title || c.competitor || c.name || c.text || c.id;
  return text.length > 60 ? `${text.slice(0, 58)}…` : text;
}

function localName(name, locale) {
  if (name && typeof name === "object") return name[locale] || name.zh || name.en || "";
  return name || "";
}

/** ["a", {key|id|value, name|name_zh/name_en}, …] or {key: name} → [{key, name}]; names fall back to `section`. */
export function namedList(value, section, locale, names) {
  const loc = normalizeLocale(locale);
  const rows = Array.isArray(value) ? value : Object.entries(value || {}).map(([key, name]) => ({ key, name }));
  return rows.map((row) => {
    if (typeof row === "string" || typeof row === "number") return { key: String(row), name: nameOf(section, row, loc, names) };
    const key = String(row.key ?? row.id ?? row.value);
    const name = localName(row.name, loc) || row[`name_${loc}`] || row.name_zh || row.label;
    return { key, name: name || nameOf(section, key, loc, names) };
  });
}

const strings = (value) => [...new Set((value || []).map((v) => (typeof v === "string" ? v : v?.key ?? v?.name))
  .filter(Boolean))].sort((a, b) => a.localeCompare(b, "zh-CN"));

function normalComponents(items, packsByKey = {}) {
  return (items || []).map((c) => {
    const pack = typeof c.pack === "string" ? { key: c.pack, name: packsByKey[c.pack]?.name || c.pack }
      : { key: c.pack?.key ?? c.pack?.id, name: c.pack?.name ?? c.pack?.key ?? c.pack?.id, version: c.pack?.version };
    return { kind: c.kind, id: c.id, title: c.title || componentTitle(c.component || c), pack };
  }).filter((c) => KINDS.includes(c.kind) && c.id && c.pack.key);
}

function packsOf(components, extra = []) {
  const out = new Map(extra.map((p) => [p.key, p]));
  for (const c of components) if (!out.has(c.pack.key)) out.set(c.pack.key, { key: c.pack.key, name: c.pack.name });
  return [...out.values()];
}

/** The server's answer in the editor's shape (tolerant of names given as strings, {zh, en} or name_zh/name_en). */
export function fromServer(answer, locale, names) {
  const packs = namedList(answer.packs || [], "packs", locale);
  const byKey = Object.fromEntries(packs.map((p) => [p.key, p]));
  const components = normalComponents(answer.components, byKey);
  return {
    source: "server",
    region: answer.region || null,
    events: namedList(answer.events || EVENTS, "app.console.rules.events", locale),
    zoneTypes: namedList(answer.zone_types || [], "zone_types", locale, names),
    categories: namedList(answer.categories || [], "categories", locale, names),
    stages: namedList(answer.stages || STAGES, "stages", locale),
    skills: namedList(answer.skills || answer.skill_levels || SKILLS, "skills", locale),
    roles: namedList(answer.roles || ROLES, "roles", locale),
    shopperTypes: namedList(answer.shopper_types || [], "shopper_types", locale),
    repTags: strings(answer.rep_tags),
    placeTags: strings(answer.place_tags),
    competitors: strings(answer.competitors),
    components,
    packs: packsOf(components, packs),
  };
}

/** The editor's options from the bundle, the catalogues, the region's packs and its people. */
export function derive({ bundle, locale, packs = [], bodies = {}, users = [], shopperTypes = [] }) {
  const names = bundle?.names || {};
  const places = [...(bundle?.places?.values?.() || [])];
  const components = [];
  for (const p of packs) {
    const body = bodies[p.id] || {};
    for (const kind of KINDS) {
      for (const c of body[kind] || []) {
        components.push({ kind, id: c.id, title: componentTitle(c), pack: { key: p.id, name: p.name } });
      }
    }
  }
  const competitors = [
    ...places.flatMap((p) => (p.context?.competitor_moves || []).map((m) => m.competitor)),
    ...components.filter((c) => c.kind === "counters").map((c) => c.title),
  ];
  const zoneTypes = Object.keys(names.zone_types || {}).length ? Object.keys(names.zone_types)
    : [...new Set([...(bundle?.zones?.values?.() || [])].map((z) => z.type))];
  return {
    source: "derived",
    events: namedList(EVENTS, "app.console.rules.events", locale),
    zoneTypes: namedList(zoneTypes, "zone_types", locale, names),
    categories: namedList(Object.keys(names.categories || {}), "categories", locale, names),
    stages: namedList(STAGES, "stages", locale),
    skills: namedList(SKILLS, "skills", locale),
    roles: namedList(ROLES, "roles", locale),
    shopperTypes: namedList(shopperTypes.map((s) => ({ key: s.key, name_zh: s.name_zh, name_en: s.name_en })),
      "shopper_types", locale),
    repTags: strings(users.flatMap((u) => u.tags || [])),
    placeTags: strings(places.flatMap((p) => p.tags || [])),
    competitors: strings(competitors),
    components,
    packs: packs.map((p) => ({ key: p.id, name: p.name })),
  };
}

async function quietly(promise, fallback) {
  try { return await promise; } catch { return fallback; }
}

/** Load the options for `region` in `locale`: the server's list, else derived (one request per live pack). */
export async function loadRuleOptions({ region, locale, bundle }) {
  const q = region ? `?region=${encodeURIComponent(region)}&locale=${locale}` : `?locale=${locale}`;
  try {
    return fromServer(await api(`/rules/options${q}`), locale, bundle?.names);
  } catch (err) {
    if (err.isNetwork) throw err;
  }
  const regionQ = region ? `?region=${encodeURIComponent(region)}` : "";
  const [packList, users, shopper] = await Promise.all([
    quietly(api(`/packs${regionQ}`), { items: [] }),
    quietly(api(`/users?role=rep${region ? `&region=${encodeURIComponent(region)}` : ""}`), { items: [] }),
    quietly(api("/shopper-types"), { items: [] }),
  ]);
  const packs = (packList.items || []).filter((p) => p.live_version);
  const versions = await Promise.all(packs.map((p) => quietly(api(`/packs/${encodeURIComponent(p.id)}/versions/${p.live_version}`), null)));
  const bodies = Object.fromEntries(packs.map((p, i) => [p.id, versions[i]?.body || {}]));
  return derive({ bundle, locale, packs, bodies, users: users.items || [], shopperTypes: shopper.items || [] });
}
