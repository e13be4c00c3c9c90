// Who is logged in: the access token, the refresh token (POST /auth/refresh swaps it for a new pair; docs/security.md)
// and the user live in localStorage (small, synchronous, survives reloads offline).
import { reactive } from "vue";
import { STORAGE_TOKEN, STORAGE_USER } from "@/constants";

const STORAGE_REFRESH = "bm.refresh";
const STORAGE_TOKEN_EXPIRES = "bm.token_expires_at";

function readUser() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_USER) || "null");
  } catch {
    return null;
  }
}

export const session = reactive({
  token: localStorage.getItem(STORAGE_TOKEN),
  user: readUser(),
  expired: null,
  refreshToken: localStorage.getItem(STORAGE_REFRESH),
  tokenExpiresAt: Number(localStorage.getItem(STORAGE_TOKEN_EXPIRES)) || 0,
});

export function setSession(token, user) {
  session.token = token;
  session.user = user;
  localStorage.setItem(STORAGE_TOKEN, token);
  localStorage.setItem(STORAGE_USER, JSON.stringify(user));
}

/** Keep the refresh token and the access token's expiry of a login or refresh answer ({refresh_token, expires_in}). */
export function rememberRefresh({ refresh_token: refreshToken, expires_in: expiresIn }) {
  session.refreshToken = refreshToken;
  session.tokenExpiresAt = Date.now() + (Number(expiresIn) || 0) * 1000;
  localStorage.setItem(STORAGE_REFRESH, refreshToken);
  localStorage.setItem(STORAGE_TOKEN_EXPIRES, String(session.tokenExpiresAt));
}

/** A refresh answered a new pair: the new access token replaces the old one (the user stays). */
export function setTokens(answer) {
  session.token = answer.token;
  localStorage.setItem(STORAGE_TOKEN, answer.token);
  rememberRefresh(answer);
}

function forgetTokens() {
  session.token = null;
  session.refreshToken = null;
  session.tokenExpiresAt = 0;
  localStorage.removeItem(STORAGE_TOKEN);
  localStorage.removeItem(STORAGE_REFRESH);
  localStorage.removeItem(STORAGE_TOKEN_EXPIRES);
}

/** The token is no longer good: ask for a login, but keep who it was (and everything stored offline). */
export function expireSession(reason) {
  forgetTokens();
  session.expired = reason;
}

/** Log out on this device: the server ends the session too (a shared phone's next person cannot reuse the
 * tokens), sent with keepalive so the reload that follows does not cancel it; offline, the session simply
 * runs out. */
export function clearSession() {
  if (session.token || session.refreshToken) {
    const headers = { "Content-Type": "application/json" };
    if (session.token) headers.Authorization = `Bearer ${session.token}`;
    const body = JSON.stringify(session.refreshToken ? { refresh_token: session.refreshToken } : {});
    try {
      fetch("/api/v1/auth/logout", { method: "POST", headers, body, keepalive: true }).catch(() => {});
    } catch {
      // no network stack at all: nothing to tell the server
    }
  }
  forgetTokens();
  session.user = null;
  localStorage.removeItem(STORAGE_USER);
}
