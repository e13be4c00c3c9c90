// The app's lifecycle: log in, start (bundle from IndexedDB, socket, outbox, location), react to the network
// coming and going, flush on hide, refresh the bundle on pack.updated / reconnect / every 15 minutes.
import { api, whenSessionExpires } from "@/core/api";
import { clearAll } from "@/core/db";
import { applyLocale, currentLocale } from "@/core/i18n";
import { flush, refreshOutboxState } from "@/core/outbox";
import { beforeReady, connect, disconnect, link, onCoachingCard, onExpired, onPackUpdated, onPopup, pause, resume }
  from "@/core/socket";
import { clearSession, expireSession, session, setSession } from "@/core/session";
import { loadStoredBundle, syncBundle } from "@/core/sync";
import { loadCoaching, receiveCoachingCard, refreshCoaching } from "@/rep/use-coaching";
import { receivePopup, resetField, restoreFenceState, saveNow, startWatching } from "@/rep/use-field";
import { loadPlan } from "@/rep/use-plan";
import { app } from "@/shell/app-state";
import { BUNDLE_REFRESH_MS } from "@/constants";

export { app };

let refreshTimer = null;

async function whenOnline() {
  app.online = true;
  await flush();
  resume();
  syncBundle().catch(() => {});
}

function whenOffline() {
  app.online = false;
  pause();
}

async function onHidden() {
  if (document.visibilityState === "hidden") {
    await saveNow();
    if (app.online) flush();
  }
}

/** Everything after login (or on a reload with a stored session), online or not. */
export async function start() {
  if (app.started || !session.token) return;
  app.started = true;
  await Promise.all([loadStoredBundle(), restoreFenceState(), refreshOutboxState(), loadPlan(), loadCoaching()]);
  onPopup((p) => receivePopup(p));
  onCoachingCard((c) => receiveCoachingCard(c));
  onExpired(sessionExpired);
  whenSessionExpires(sessionExpired);
  onPackUpdated(() => { app.packUpdates += 1; syncBundle().catch(() => {}); });
  beforeReady(async () => { await flush(); syncBundle().catch(() => {}); });
  window.addEventListener("online", whenOnline);
  window.addEventListener("offline", whenOffline);
  document.addEventListener("visibilitychange", onHidden);
  window.addEventListener("pagehide", saveNow);
  connect(session.token, currentLocale(), { now: navigator.onLine });
  if (navigator.onLine) {
    syncBundle().catch(() => {});
    if (session.user?.role === "rep") refreshCoaching();
  } else {
    app.online = false;
  }
  refreshTimer = setInterval(() => { if (link.connected) syncBundle().catch(() => {}); }, BUNDLE_REFRESH_MS);
  if (session.user?.role === "rep" || session.user?.role === "manager" || session.user?.role === "admin") startWatching();
}

function sessionExpired(reason) {
  stop();
  expireSession(reason);
}

/** Undo start(): listeners, timers, the socket (the data stays: a re-login carries on). */
function stop() {
  clearInterval(refreshTimer);
  window.removeEventListener("online", whenOnline);
  window.removeEventListener("offline", whenOffline);
  document.removeEventListener("visibilitychange", onHidden);
  disconnect();
  app.started = false;
}

export async function login(email, password) {
  const answer = await api("/auth/login", { method: "POST", body: { email, password } });
  if (session.user && session.user.id !== answer.user.id) {
    // another person on a shared phone: nothing of the previous one stays (their events were sent or refused)
    await clearAll();
    await resetField();
  }
  session.expired = null;
  setSession(answer.token, answer.user);
  api("/auth/me", { method: "PATCH", body: { locale: currentLocale() } }).catch(() => {});
  await start();
  return answer.user;
}

export async function logout() {
  await flush().catch(() => {});
  stop();
  await resetField();
  await clearAll();
  clearSession();
  location.reload();
}

/** The language toggle: the UI at once, the server's stored choice when it can be reached. */
export function switchLocale(locale) {
  applyLocale(locale);
  if (session.token) api("/auth/me", { method: "PATCH", body: { locale } }).catch(() => {});
}
