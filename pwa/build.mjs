// Copies the browser builds the PWA needs from node_modules into public/vendor (served by Flask; no CDN).
import { cpSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "public", "vendor");
mkdirSync(vendor, { recursive: true });
const files = [
  ["socket.io-client/dist/socket.io.min.js", "socket.io.min.js"],
  ["leaflet/dist/leaflet.js", "leaflet/leaflet.js"],
  ["leaflet/dist/leaflet.css", "leaflet/leaflet.css"],
  ["leaflet/dist/images", "leaflet/images"],
];
for (const [from, to] of files) {
  cpSync(join(here, "node_modules", from), join(vendor, to), { recursive: true });
}
console.log(`PWA vendor files copied to ${vendor}`);
