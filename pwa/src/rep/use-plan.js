// Today's plan: stops picked from the map or the list, ordered as a short route, each with the components
// the rep chose to bring (dragged from the pack's reusable components). Kept in IndexedDB per day; every
// change is a `plan` outbox event. When the rep arrives at a stop, its card opens with that selection.
import { reactive } from "vue";
import { cardRefs } from "@/core/card";
import { db, plain } from "@/core/db";
import { bundle } from "@/core/sync";
import { act } from "@/rep/use-actions";
import { field } from "@/rep/use-field";
import { shortRoute } from "@/rep/route";
import { PLAN_KINDS } from "@/constants";

export const plan = reactive({ date: today(), stops: [], loaded: false });

export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export async function loadPlan() {
  plan.date = today();
  const row = await db.plans.get(plan.date);
  plan.stops = row ? row.stops : [];
  plan.loaded = true;
}

async function save() {
  await db.plans.put(plain({ date: plan.date, stops: plan.stops }));
  await act("plan", { data: { date: plan.date, stops: plan.stops.map((s, i) => ({ place_id: s.place_id,
    components: s.components, order: i })) } });
}

export function isPlanned(placeId) {
  return plan.stops.some((s) => s.place_id === Number(placeId));
}

export async function addStop(placeId) {
  if (isPlanned(placeId)) return;
  plan.stops.push({ place_id: Number(placeId), components: cardRefs(bundle.value, placeId, PLAN_KINDS).slice(0, 4) });
  await reorder();
}

export async function removeStop(placeId) {
  plan.stops = plan.stops.filter((s) => s.place_id !== Number(placeId));
  await save();
}

/** Order the stops as a short route from where the rep is now. */
export async function reorder() {
  const places = bundle.value.places;
  const located = plan.stops.map((s) => ({ ...s, lat: places.get(s.place_id)?.lat, lon: places.get(s.place_id)?.lon }))
    .filter((s) => s.lat != null);
  const here = field.position ? { lat: field.position.lat, lon: field.position.lon } : null;
  plan.stops = shortRoute(located, here).map(({ place_id, components }) => ({ place_id, components }));
  await save();
}

export async function moveStop(from, to) {
  const [stop] = plan.stops.splice(from, 1);
  plan.stops.splice(to, 0, stop);
  await save();
}

export async function setComponents(placeId, refs) {
  const stop = plan.stops.find((s) => s.place_id === Number(placeId));
  if (!stop) return;
  stop.components = [...new Set(refs)];
  await save();
}

/** The components chosen for this place today, resolved from the bundle, in the rep's order. */
export function planSelection(placeId) {
  const stop = plan.stops.find((s) => s.place_id === Number(placeId));
  if (!stop) return [];
  return stop.components.map((ref) => {
    const item = bundle.value.components.get(ref);
    return item ? { ref, kind: ref.split("/")[1], ...item } : null;
  }).filter(Boolean);
}
