// `why` entries and errors rendered from codes + facts with the shared catalogues — the same rules as the
// server's app/i18n.py (docs/i18n.md), so an offline card explains itself exactly as a pushed one does.
import { catalogues } from "@/core/catalogues";

const CODED = { stage: "stages", skill_level: "skills", role: "roles", weekday: "weekdays", category: "categories",
  zone_type: "zone_types", option: "options", shopper_type: "shopper_types" };
const CODED_LISTS = { stages: "stages", skill_levels: "skills", roles: "roles", weekdays: "weekdays",
  categories: "categories", zone_types: "zone_types", shopper_types: "shopper_types" };
const NAMED_SECTIONS = ["categories", "zone_types"];

/** "en", "en-US", "EN_gb" → "en"; anything unsupported → "zh" (as app/i18n.py normalize_locale). */
export function normalizeLocale(value) {
  const primary = typeof value === "string" ? value.trim().toLowerCase().replace(/_/g, "-").split("-")[0] : "";
  return catalogues[primary] ? primary : "zh";
}

function catalogue(locale) {
  return catalogues[normalizeLocale(locale)];
}

function lookup(cat, path) {
  return path.split(".").reduce((node, key) => (node && typeof node === "object" ? node[key] : undefined), cat);
}

function sep(locale) {
  return locale === "en" ? ", " : "、";
}

function nameOf(section, code, locale, names) {
  const named = names?.[section]?.[String(code)]?.[locale];
  if (named) return named;
  return codeOf(section, code, locale);
}

function codeOf(section, code, locale) {
  const found = catalogue(locale)[section]?.[String(code)];
  return typeof found === "string" ? found : String(code);
}

function scalar(key, v, section, locale, names) {
  if (v == null) return "";
  if (section) return NAMED_SECTIONS.includes(section) ? nameOf(section, v, locale, names) : codeOf(section, v, locale);
  if (Number.isInteger(v)) return key.endsWith("_cny") ? v.toLocaleString("en-US") : String(v);
  return String(v);
}

function value(key, v, locale, names) {
  if (Array.isArray(v)) return v.map((x) => scalar(key, x, CODED_LISTS[key], locale, names)).join(sep(locale));
  return scalar(key, v, CODED[key], locale, names);
}

/** The message at a dotted path with {key} placeholders filled; a missing message renders as its last part. */
export function message(path, locale, facts = {}, names = null) {
  const loc = normalizeLocale(locale);
  const template = lookup(catalogue(loc), path);
  if (typeof template !== "string") return path.split(".").pop();
  return template.replace(/\{(\w+)\}/g, (_, key) => (key in (facts || {}) ? fact(key, facts[key], loc, names) : ""));
}

function fact(key, v, locale, names) {
  if (key === "conditions" && Array.isArray(v)) return renderConditions(v, locale, names);
  return value(key, v, locale, names);
}

export function renderConditions(list, locale, names) {
  if (!list.length) return message("cond._none", locale);
  return list.map((c) => message(`cond.${c.code}`, locale, c, names)).join(message("cond._sep", locale));
}

/** One why entry as a sentence in `locale`; `names` are the bundle's category and zone type names. */
export function renderWhy(entry, locale, names) {
  return message(`why.${entry.rule}`, locale, entry.facts || {}, names);
}

/** An error code as the rep reads it (falls back to the server's message, then the code). */
export function errorText(code, locale, fallback) {
  const found = lookup(catalogue(locale), `errors.${code}`);
  return typeof found === "string" ? found : fallback ?? code;
}
