// Map tiles are optional: with no tile URL the map draws zones and places as vectors on a blank sheet.
// Amap/Tencent tiles are GCJ-02, so WGS-84 layers are shifted onto them (see core/coords.js).
import { reactive } from "vue";
import { STORAGE_TILES } from "@/constants";

function read() {
  try { return { tileUrl: "", crs: "wgs84", ...JSON.parse(localStorage.getItem(STORAGE_TILES) || "{}") }; } catch { return { tileUrl: "", crs: "wgs84" }; }
}

export const mapSettings = reactive(read());

export function saveMapSettings(next) {
  Object.assign(mapSettings, next);
  localStorage.setItem(STORAGE_TILES, JSON.stringify({ tileUrl: mapSettings.tileUrl, crs: mapSettings.crs }));
}
