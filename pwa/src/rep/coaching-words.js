// What the rep's coaching card and onboarding list say, from codes and numbers: pure (checked by
// coaching-words.spec.js), so a card received offline days ago reads exactly as it did when it arrived.
import { renderWhy } from "@/core/why";

const UNITS = { plan_completion: "day", card_use: "day", follow_up_48h: "visit", visit_notes: "visit",
  outcomes_recorded: "visit", proposal_after_budget: "deal" };

/** 0.333 → "33%". */
export function pct(value) {
  return value == null || Number.isNaN(Number(value)) ? "—" : `${Math.round(Number(value) * 100)}%`;
}

/**
 * The why of a coaching card: which indicator, its last values (oldest first), the threshold. Returns a message
 * key under app.rep.coaching.why and its parameters; `join` is the locale's list separator.
 */
export function coachingWhy(card, join = "、") {
  const values = (card.values || []).map(pct);
  return { key: "app.rep.coaching.why", params: {
    n: values.length, values: values.join(join), threshold: pct(card.threshold),
    unit: card.unit || UNITS[card.indicator] || "visit", indicator: card.indicator } };
}

/** The component pushed with the card: the server's rendering (as in a popup), else the bundle's by its ref
 * ("<pack>/<kind>/<id>"); null when the manager linked none. */
export function pushedComponent(card, components) {
  const ref = card.component?.ref || (typeof card.component === "string" ? card.component : null);
  const kind = card.component?.kind || ref?.split("/")[1] || "talk_tracks";
  const item = card.component?.item || (ref ? components?.get?.(ref) : null);
  return item ? { ref, kind, item } : null;
}

/** The cards the rep keeps: one per id, newest first, at most `keep`. */
export function mergeCards(cards, incoming, keep = 20) {
  const byId = new Map();
  for (const c of [...incoming, ...cards]) if (c && c.id != null && !byId.has(String(c.id))) byId.set(String(c.id), c);
  return [...byId.values()].sort((a, b) => String(b.created_at || "").localeCompare(String(a.created_at || ""))).slice(0, keep);
}

/**
 * Where an onboarding item came from, in words: the winning variant's rate and counts against the best other.
 * Returns {key, params} (app.rep.onboarding.source_*).
 */
export function onboardingSource(item) {
  const src = item.source || {};
  const variants = src.variants || [];
  const win = variants.find((v) => v.variant === item.variant);
  const other = variants.filter((v) => v.variant !== item.variant).sort((a, b) => (b.rate ?? 0) - (a.rate ?? 0))[0];
  if (!win || !other) return { key: "app.rep.onboarding.source_plain", params: { experiment: src.experiment ?? "" } };
  return { key: "app.rep.onboarding.source_experiment", params: {
    experiment: src.experiment ?? "", variant: win.variant, rate: pct(win.rate), k: win.successes, n: win.exposures,
    other: other.variant, other_rate: pct(other.rate), other_k: other.successes, other_n: other.exposures } };
}

/** A rep in their first weeks (skill level junior): the onboarding list opens first and is marked. */
export function isNewRep(user) {
  return user?.role === "rep" && user?.skill_level === "junior";
}

/** How many onboarding items the rep has not opened yet. */
export function unreadCount(items, seen) {
  const read = new Set((seen || []).map(String));
  return items.filter((i) => !read.has(String(i.id))).length;
}

/** A `why` entry in the reader's language from its code and facts (as a popup's why); the server's `detail`
 * when the catalogue has no sentence for the code. */
export function whyText(entry, locale, names) {
  if (!entry) return "";
  const text = renderWhy(entry, locale, names);
  return text === entry.rule ? entry.detail || entry.rule : text;
}
