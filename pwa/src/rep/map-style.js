// How the map draws the territory, shared by the rep's map and the console's maps: zone colours by zone type,
// place colours by category (stable per key), and the shift onto GCJ-02 tiles when such tiles are set.
import { wgs84ToGcj02 } from "@/core/coords";
import { mapSettings } from "@/rep/use-map-settings";

export const ZONE_COLOURS = ["#dc2626", "#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];
export const CATEGORY_COLOURS = { tier3_hospital: "#b91c1c", private_hospital: "#7c3aed", aesthetics_clinic: "#db2777",
  community_health_center: "#16a34a", community_grocery: "#d97706", ka_supermarket: "#0f766e" };

export function colour(key, table, palette = ZONE_COLOURS) {
  if (table && table[key]) return table[key];
  let h = 0;
  for (const ch of String(key)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return palette[h % palette.length];
}

export const zoneColour = (type) => colour(type, null, ZONE_COLOURS);
export const categoryColour = (category) => colour(category, CATEGORY_COLOURS, ZONE_COLOURS);

/** [lat, lon] as drawn: WGS-84, or GCJ-02 when a GCJ-02 tile layer is set. */
export function shift(lat, lon) {
  return mapSettings.tileUrl && mapSettings.crs === "gcj02" ? wgs84ToGcj02(lat, lon) : [lat, lon];
}
