// Where the packs screen is — the list, or one pack at a version and a tab — kept in the console's hash
// (#/console/packs?pack=<key>&v=<n>&tab=<tab>) so a reload, the back button and a link a colleague sends open
// the same place.
import { reactive } from "vue";

const PREFIX = "#/console/packs";
export const TABS = ["edit", "review", "diff", "history"];

/** The place encoded in a hash; anything else → the list. */
export function parseHash(hash) {
  if (!String(hash || "").startsWith(PREFIX)) return { pack: null, version: null, tab: "edit" };
  const params = new URLSearchParams(hash.split("?")[1] || "");
  const version = Number(params.get("v")) || null;
  const tab = TABS.includes(params.get("tab")) ? params.get("tab") : "edit";
  return { pack: params.get("pack") || null, version, tab };
}

export function hashOf({ pack, version, tab }) {
  if (!pack) return PREFIX;
  const params = new URLSearchParams({ pack });
  if (version) params.set("v", String(version));
  if (tab && tab !== "edit") params.set("tab", tab);
  return `${PREFIX}?${params}`;
}

export const packsRoute = reactive({ ...parseHash(location.hash) });

/** Go to a place: a new history entry when the pack changes, the same entry for a version or a tab. */
export function go(change) {
  const next = { ...packsRoute, ...change };
  if (!next.pack) Object.assign(next, { version: null, tab: "edit" });
  const push = next.pack !== packsRoute.pack;
  Object.assign(packsRoute, next);
  const hash = hashOf(next);
  if (location.hash !== hash) history[push ? "pushState" : "replaceState"](null, "", hash);
}

window.addEventListener("popstate", () => { Object.assign(packsRoute, parseHash(location.hash)); });
