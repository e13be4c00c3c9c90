// A short route through today's stops: nearest neighbour from where the rep is, then 2-opt until no swap
// helps. Up to a few dozen stops this is exact enough and instant; distances are great-circle metres.
import { haversineM } from "@/core/fence";

function dist(a, b) {
  return haversineM(a.lat, a.lon, b.lat, b.lon);
}

function length(start, path) {
  let total = 0;
  let prev = start;
  for (const p of path) { if (prev) total += dist(prev, p); prev = p; }
  return total;
}

/** Stops `[{lat, lon, ...}]` reordered into a short open path from `start` ({lat, lon} or null). */
export function shortRoute(stops, start = null) {
  if (stops.length < 3 && !start) return [...stops];
  const left = [...stops];
  const path = [];
  let at = start || left.shift();
  if (!start) path.push(at);
  while (left.length) {
    let best = 0;
    for (let i = 1; i < left.length; i++) if (dist(at, left[i]) < dist(at, left[best])) best = i;
    at = left.splice(best, 1)[0];
    path.push(at);
  }
  let improved = true;
  while (improved) {
    improved = false;
    for (let i = 0; i < path.length - 1; i++) {
      for (let k = i + 1; k < path.length; k++) {
        const candidate = [...path.slice(0, i), ...path.slice(i, k + 1).reverse(), ...path.slice(k + 1)];
        if (length(start, candidate) + 1e-6 < length(start, path)) { path.splice(0, path.length, ...candidate); improved = true; }
      }
    }
  }
  return path;
}

export { length as routeLength };
