// An offline card: the same payload the server's `popup` carries, composed from the bundle.
// The server precomputes, per place and for this rep, which components show and why (cards[place_id]);
// here they are joined with the place's context and the fence facts of this moment.

const KINDS = ["talk_tracks", "counters", "compliance_notes", "local_cases", "personas", "solution_hints"];

/**
 * @param {object} b the in-memory bundle (core/sync.js)
 * @param {number} placeId
 * @param {{id: string, distanceM: number|null, event?: string, now?: Date}} moment
 * @returns {object|null} a popup payload, or null when the place is not in the bundle
 */
export function composeCard(b, placeId, { id, distanceM = null, event = "enter_place", now = new Date() }) {
  const place = b.places.get(Number(placeId));
  const recipe = b.cards.get(Number(placeId));
  if (!place || !recipe) return null;
  const use = event === "dwell" && recipe.dwell ? recipe.dwell : recipe;
  const components = {};
  for (const kind of KINDS) {
    components[kind] = ((use.components || {})[kind] || []).map((ref) => b.components.get(ref)).filter(Boolean);
  }
  const pack = use.pack ? b.packs.get(use.pack) : null;
  const why = [];
  if (distanceM != null) {
    why.push({ rule: "fence_entered", facts: { place: place.name, distance_m: Math.round(distanceM),
      radius_m: Math.round(place.radius_m) } });
  }
  why.push(...(use.why || []));
  return {
    id,
    event,
    place: { id: place.id, name: place.name, category: place.category, lat: place.lat, lon: place.lon,
      address: place.address },
    zone: use.zone || place.zone || null,
    distance_m: distanceM == null ? null : Math.round(distanceM * 10) / 10,
    context: place.context,
    ...components,
    why,
    pack: pack ? { id: pack.id, version: pack.version, name: pack.name } : null,
    created_at: now.toISOString(),
    source: "bundle",
  };
}

/**
 * Every reusable component of the bundle that a plan may carry, grouped by kind, deduplicated by ref. An A/B
 * talk-track is in the bundle once per variant (``pack/talk_tracks/id@B``): a plan lists it once.
 */
export function planComponents(b, kinds) {
  const out = Object.fromEntries(kinds.map((k) => [k, []]));
  const seen = new Set();
  for (const [ref, value] of b.components) {
    const base = ref.split("@")[0];
    const kind = base.split("/")[1];
    if (!out[kind] || seen.has(base)) continue;
    seen.add(base);
    out[kind].push({ ref, kind, ...value });
  }
  return out;
}

/** Refs a place's own card shows, so a new plan stop starts with what the rules would pick. */
export function cardRefs(b, placeId, kinds) {
  const recipe = b.cards.get(Number(placeId));
  if (!recipe) return [];
  return kinds.flatMap((k) => (recipe.components || {})[k] || []);
}
