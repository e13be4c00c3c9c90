// Counter mode's pure logic: the canonical key of a comparison request (the offline cache's key), which
// options are fit to show, and what differs between them (the badges a guide points at).
import { renderWhy } from "@/core/why";

export const OPTION_KEYS = ["economy", "standard", "premium"];
export const COMPARISONS_KEEP = 50;

function amount(value) {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.round(n) : null;
}

/** The request body as the server takes it: numbers as numbers, needs sorted once each, no empty fields. */
export function compareBody({ budgetMin, budgetMax, needs = [], shopperType = null, counterType = null, discountCny = null }) {
  const body = {
    budget_min: amount(budgetMin) ?? 0,
    budget_max: amount(budgetMax) ?? 0,
    needs: [...new Set(needs.map((n) => String(n).trim()).filter(Boolean))].sort(),
    channel: "retail",
  };
  if (shopperType) body.shopper_type = shopperType;
  if (counterType) body.counter_type = counterType;
  const discount = amount(discountCny);
  if (discount) body.discount_cny = discount;
  return body;
}

/** One string per distinct request: the same budget, needs (any order) and shopper type give the same key. */
export function requestKey(body) {
  const b = body || {};
  const canonical = [
    ["budget_min", amount(b.budget_min) ?? 0],
    ["budget_max", amount(b.budget_max) ?? 0],
    ["channel", b.channel || "retail"],
    ["counter_type", b.counter_type || null],
    ["discount_cny", amount(b.discount_cny) || 0],
    ["needs", [...new Set((b.needs || []).map((n) => String(n).trim()).filter(Boolean))].sort()],
    ["shopper_type", b.shopper_type || null],
  ];
  return JSON.stringify(canonical);
}

/**
 * How an option is priced after the guide's discount: null when there is none, else list, discount, final and
 * whether the guide may give it alone ("within_authority") or needs an approval ("needs_approval").
 */
export function pricing(option) {
  const discount = amount(option?.discount_cny) || 0;
  if (!discount) return null;
  const list = amount(option.list_price ?? option.total_price) ?? 0;
  return {
    list,
    discount,
    final: amount(option.final_price) ?? Math.max(0, list - discount),
    needsApproval: option.discount_status === "needs_approval",
  };
}

/** Form problems the guide can fix before asking: a code per problem (messages under app.guide.invalid). */
export function validateBudget(min, max) {
  const lo = amount(min);
  const hi = amount(max);
  if (hi == null || hi <= 0) return "budget_max";
  if (min !== "" && min != null && lo == null) return "budget_min";
  if (lo != null && lo > hi) return "budget_order";
  return null;
}

/** An option worth showing a shopper: it has items and a price (never a ¥0, empty option). */
export function isReal(option) {
  return !!option && Number(option.total_price) > 0 && (option.cost_breakdown || []).length > 0;
}

/** The options to show, in economy → standard → premium order, empty ones dropped. */
export function realOptions(options) {
  const rank = (o) => { const i = OPTION_KEYS.indexOf(o.key); return i < 0 ? OPTION_KEYS.length : i; };
  return (options || []).filter(isReal).slice().sort((a, b) => rank(a) - rank(b));
}

/** The closest options of a no-fit answer, whatever the server sends ("closest" as a list or {options}). */
export function closestOptions(answer) {
  const c = answer?.closest;
  const list = Array.isArray(c) ? c : Array.isArray(c?.options) ? c.options : [];
  return realOptions(list);
}

function uniqueExtreme(options, value, pick) {
  const values = options.map(value).filter((v) => v != null && Number.isFinite(v));
  if (values.length < 2) return null;
  const best = pick(...values);
  if (values.filter((v) => v === best).length === values.length) return null; // all the same: nothing to point at
  return best;
}

/**
 * A promise without the model it is attached to ("U60 血压计整机保修 5 年" → "血压计整机保修 5 年"): two options
 * with different models of a monitor both promising 5 years do not differ on that promise.
 */
export function promiseGist(text) {
  return String(text).replace(/^(?:(?=[A-Za-z0-9+\-./]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9+\-./]*\s+)+/, "").trim() || String(text);
}

/**
 * What sets each option apart, by key: the cheapest, the fastest delivery, the highest fit, the only one
 * covering every need, the promises no other option makes, and the price over the cheapest.
 */
export function highlights(options) {
  const list = options || [];
  const cheapest = uniqueExtreme(list, (o) => Number(o.total_price), Math.min);
  const fastest = uniqueExtreme(list, (o) => Number(o.delivery_days), Math.min);
  const bestFit = uniqueExtreme(list, (o) => Number(o.fit_score), Math.max);
  const lowest = Math.min(...list.map((o) => Number(o.total_price)));
  const fullCover = list.filter((o) => !(o.missing_needs || []).length);
  const promiseCount = new Map();
  for (const o of list) {
    for (const p of new Set((o.service_commitments || []).map(promiseGist))) promiseCount.set(p, (promiseCount.get(p) || 0) + 1);
  }
  const out = {};
  for (const o of list) {
    out[o.key] = {
      cheapest: cheapest != null && Number(o.total_price) === cheapest,
      fastest: fastest != null && Number(o.delivery_days) === fastest,
      bestFit: bestFit != null && Number(o.fit_score) === bestFit,
      onlyFullCover: list.length > 1 && fullCover.length === 1 && fullCover[0] === o,
      uniquePromises: list.length > 1
        ? (o.service_commitments || []).filter((p) => promiseCount.get(promiseGist(p)) === 1) : [],
      overCheapest: list.length > 1 && Number.isFinite(lowest) ? Number(o.total_price) - lowest : 0,
    };
  }
  return out;
}

/**
 * A why entry as text: {rule, facts} through the shared catalogues, else its detail, else the string; a
 * rule the catalogues do not know and with no detail gives "" (never a bare code on screen).
 */
export function whyText(entry, locale, names = null) {
  if (entry == null) return "";
  if (typeof entry === "string") return entry;
  if (entry.rule) {
    const text = renderWhy(entry, locale, names);
    // a rule the catalogues do not know yet renders as its own code: the server's detail says it better
    if (text && text !== entry.rule) return text;
  }
  return entry.detail || entry.message || "";
}

/**
 * What a not-full answer says about itself: the closest cover's extra budget, the needs missing and those
 * no product can cover, whatever shape the server sends ({closest: {extra_cny, missing_needs,
 * uncoverable_needs, total_price}} from the solver; nothing from older servers).
 */
export function shortfall(answer) {
  const c = answer?.closest && !Array.isArray(answer.closest) ? answer.closest : {};
  const extra = Number(c.extra_cny ?? c.extra_budget_cny);
  const options = answer?.options || [];
  const missing = c.missing_needs
    || [...new Set(options.flatMap((o) => o.missing_needs || []))];
  return {
    extraCny: Number.isFinite(extra) && extra > 0 ? extra : null,
    missingNeeds: missing,
    uncoverableNeeds: c.uncoverable_needs || [],
    closestTotal: Number(c.total_price) > 0 ? Number(c.total_price) : null,
  };
}

/** The comparison as the public page and the cache keep it: options only, no talk-tracks. */
export function comparisonOf(answer) {
  const { talk_tracks: _t, talk_track_why: _w, ...rest } = answer || {};
  return rest;
}
