// The service worker: registered once; a new version waits until the rep says "reload" (a half-written visit
// note survives), checked hourly and never while offline.
import { reactive } from "vue";
import { Workbox } from "workbox-window";
import { UPDATE_CHECK_MS } from "@/constants";

export const updates = reactive({ waiting: false, registered: false });
let wb = null;

export function registerServiceWorker() {
  if (!("serviceWorker" in navigator) || import.meta.env.DEV) return;
  wb = new Workbox("/sw.js");
  wb.addEventListener("waiting", () => { updates.waiting = true; });
  wb.addEventListener("controlling", () => { if (updates.reloading) location.reload(); });
  wb.register().then((reg) => {
    updates.registered = true;
    setInterval(() => { if (navigator.onLine) reg?.update().catch(() => {}); }, UPDATE_CHECK_MS);
  }).catch(() => {});
}

export function applyUpdate() {
  updates.reloading = true;
  wb?.messageSkipWaiting();
}
