// The one HTTP client: bearer token, JSON, and the server's error shape {"error": {code, message, fields}}.
// Access tokens live an hour (docs/security.md): a request refreshes the pair first when the token is about to
// expire, and once more, then retries, when the server says token_expired — the rep never sees a login for it.
import { rememberRefresh, session, setTokens } from "@/core/session";

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code || (status ? "http_error" : "network_error");
    this.fields = error?.fields || {};
  }

  /** True when the request never reached the server (offline, DNS, reset): worth retrying later. */
  get isNetwork() {
    return this.status === 0;
  }
}

const EXPIRED = ["token_expired", "token_invalid", "token_missing", "token_revoked", "session_unknown"];
const REFRESH_EARLY_MS = 60 * 1000;
const AUTH_PATHS = ["/auth/login", "/auth/refresh", "/auth/logout"];
let onExpired = () => {};
let refreshing = null;

/** Called when the server no longer accepts the token (the app asks the rep to log in again, keeping data). */
export function whenSessionExpires(fn) { onExpired = fn; }
export function isExpired(code) { return EXPIRED.includes(code); }

/** Swap the refresh token for a new pair; one request at a time, shared by every caller. Resolves to
 * {ok: true}, or {ok: false, code} when the server ended the session; rejects with an ApiError when it could not
 * be asked (offline, a server error), so the caller keeps its session and tries again later. */
export function refreshSession() {
  if (!session.refreshToken) return Promise.resolve({ ok: false, code: "token_expired" });
  if (!refreshing) {
    refreshing = (async () => {
      let response;
      try {
        response = await fetch("/api/v1/auth/refresh", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: session.refreshToken }),
        });
      } catch {
        throw new ApiError(0, { code: "network_error", message: "network unavailable" });
      }
      const data = await response.json().catch(() => ({}));
      if (response.ok) {
        setTokens(data);
        return { ok: true };
      }
      if ([400, 401, 422].includes(response.status)) return { ok: false, code: data.error?.code || "token_expired" };
      throw new ApiError(response.status, data.error);
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

async function send(path, { method = "GET", body, headers = {} }) {
  const init = { method, headers: { ...headers } };
  if (session.token) init.headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(`/api/v1${path}`, init);
  } catch {
    throw new ApiError(0, { code: "network_error", message: "network unavailable" });
  }
}

export async function api(path, options = {}) {
  const auth = AUTH_PATHS.includes(path);
  if (!auth && session.refreshToken && session.tokenExpiresAt && Date.now() > session.tokenExpiresAt - REFRESH_EARLY_MS) {
    await refreshSession().catch(() => {}); // offline or refused: the request below tells
  }
  let response = await send(path, options);
  if (options.raw) return response;
  if (response.status === 204 || response.status === 304) return null;
  let data = await response.json().catch(() => ({}));
  if (response.status === 401 && !auth && data.error?.code === "token_expired" && session.refreshToken) {
    const refreshed = await refreshSession();
    if (refreshed.ok) {
      response = await send(path, options);
      if (response.status === 204 || response.status === 304) return null;
      data = await response.json().catch(() => ({}));
    } else {
      data = { error: { ...data.error, code: refreshed.code } };
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data.error);
    if (response.status === 401 && session.token && isExpired(error.code)) onExpired(error.code);
    throw error;
  }
  if (path === "/auth/login" && typeof data.refresh_token === "string") rememberRefresh(data);
  return data;
}
