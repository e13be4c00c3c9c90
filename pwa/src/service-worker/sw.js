// Battlemap's service worker (built by vite-plugin-pwa, injectManifest): the app shell precached, every
// navigation answered with index.html offline, nothing under /api/ or /socket.io/ cached (the app keeps its
// own data in IndexedDB), and POST /api/v1/events replayed by Background Sync where the browser has it.
// The app's outbox stays the source of truth: a replay the server already has is answered "duplicate".
import { BackgroundSyncPlugin } from "workbox-background-sync";
import { clientsClaim } from "workbox-core";
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { NetworkOnly } from "workbox-strategies";

cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);

registerRoute(new NavigationRoute(createHandlerBoundToURL("/index.html"), {
  denylist: [/^\/api\//, /^\/socket\.io\//, /^\/openapi\.json/, /^\/healthz/],
}));

registerRoute(
  ({ url, request }) => request.method === "POST" && url.pathname === "/api/v1/events",
  new NetworkOnly({ plugins: [new BackgroundSyncPlugin("battlemap-outbox", { maxRetentionTime: 7 * 24 * 60 })] }),
  "POST",
);

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("install", () => {
  // The first install takes over at once (nothing to lose yet); later versions wait for the rep's "reload".
  if (!self.registration.active) self.skipWaiting();
});
clientsClaim();
