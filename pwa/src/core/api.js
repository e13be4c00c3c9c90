// The one HTTP client: bearer token, JSON, and the server's error shape {"error": {code, message, fields}}.
import { session } from "@/core/session";

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

const EXPIRED = ["token_expired", "token_invalid", "token_missing", "session_unknown"];
let onExpired = () => {};

/** Called when the server no longer accepts the token (the app asks the rep to log in again, keeping data). */
export function whenSessionExpires(fn) { onExpired = fn; }
export function isExpired(code) { return EXPIRED.includes(code); }

export async function api(path, { method = "GET", body, headers = {}, raw = false } = {}) {
  const init = { method, headers: { ...headers } };
  if (session.token) init.headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}`, init);
  } catch {
    throw new ApiError(0, { code: "network_error", message: "network unavailable" });
  }
  if (raw) return response;
  if (response.status === 204 || response.status === 304) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new ApiError(response.status, data.error);
    if (response.status === 401 && session.token && isExpired(error.code)) onExpired(error.code);
    throw error;
  }
  return data;
}
