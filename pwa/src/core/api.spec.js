// @vitest-environment happy-dom
// Access tokens live an hour: the client refreshes them without the rep noticing, and says so only when the
// server has ended the session (docs/security.md).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, refreshSession, whenSessionExpires } from "@/core/api";
import { clearSession, rememberRefresh, session, setSession } from "@/core/session";

const json = (status, body) => new Response(body === undefined ? null : JSON.stringify(body),
  { status, headers: { "Content-Type": "application/json" } });
const expired = () => json(401, { error: { code: "token_expired", message: "expired", fields: {} } });

/** A stand-in server: access tokens a1, a2, …; refresh tokens r1, r2, …; only the newest refresh token works. */
function fakeServer({ refreshStatus = 200, refreshCode = "token_revoked", offline = false } = {}) {
  const state = { access: "a1", refresh: "r1", refreshes: 0, calls: [] };
  const fetchImpl = vi.fn(async (url, init = {}) => {
    state.calls.push({ url, init });
    if (offline) throw new TypeError("Failed to fetch");
    if (url === "/api/v1/auth/login") {
      return json(200, { token: state.access, refresh_token: state.refresh, expires_in: 3600, user: { id: 7 } });
    }
    if (url === "/api/v1/auth/refresh") {
      state.refreshes += 1;
      if (refreshStatus !== 200) return json(refreshStatus, { error: { code: refreshCode, message: "no", fields: {} } });
      if (JSON.parse(init.body).refresh_token !== state.refresh) {
        return json(401, { error: { code: "token_revoked", message: "reused", fields: {} } });
      }
      const n = state.refreshes + 1;
      state.access = `a${n}`;
      state.refresh = `r${n}`;
      return json(200, { token: state.access, refresh_token: state.refresh, expires_in: 3600, user: { id: 7 } });
    }
    if (url === "/api/v1/auth/logout") return json(204);
    if (init.headers?.Authorization !== `Bearer ${state.access}`) return expired();
    return json(200, { items: [url] });
  });
  vi.stubGlobal("fetch", fetchImpl);
  return state;
}

async function logIn() {
  const answer = await api("/auth/login", { method: "POST", body: { email: "rep@demo", password: "x" } });
  setSession(answer.token, answer.user);
}

beforeEach(() => {
  localStorage.clear();
  Object.assign(session, { token: null, user: null, refreshToken: null, tokenExpiresAt: 0, expired: null });
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
  whenSessionExpires(() => {});
});

describe("tokens that expire", () => {
  it("keeps the login's refresh token and when its access token expires", async () => {
    fakeServer();
    const before = Date.now();
    await logIn();
    expect(session.token).toBe("a1");
    expect(session.refreshToken).toBe("r1");
    expect(session.tokenExpiresAt).toBeGreaterThanOrEqual(before + 3600 * 1000);
    expect(localStorage.getItem("bm.refresh")).toBe("r1");
  });

  it("refreshes once on token_expired and retries, however many requests were waiting", async () => {
    const server = fakeServer();
    await logIn();
    server.access = "a-rotated-by-the-server"; // the hour is over: a1 is refused
    server.refreshes = 5;
    const [one, two] = await Promise.all([api("/places"), api("/sync/bundle")]);
    expect(one.items).toEqual(["/api/v1/places"]);
    expect(two.items).toEqual(["/api/v1/sync/bundle"]);
    expect(server.refreshes).toBe(6);
    expect(session.token).toBe("a7");
    expect(session.refreshToken).toBe("r7");
  });

  it("refreshes before sending when the access token is about to expire", async () => {
    const server = fakeServer();
    await logIn();
    vi.useFakeTimers({ now: Date.now() + 3590 * 1000, toFake: ["Date"] });
    await api("/places");
    expect(server.refreshes).toBe(1);
    expect(server.calls.map((c) => c.url)).toEqual(["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/places"]);
    expect(server.calls[2].init.headers.Authorization).toBe("Bearer a2");
  });

  it("asks for a login only when the server ended the session", async () => {
    const server = fakeServer({ refreshStatus: 401, refreshCode: "token_revoked" });
    await logIn();
    server.access = "other";
    const ended = vi.fn();
    whenSessionExpires(ended);
    await expect(api("/places")).rejects.toMatchObject({ status: 401, code: "token_revoked" });
    expect(ended).toHaveBeenCalledWith("token_revoked");
  });

  it("keeps the session when the refresh cannot reach the server", async () => {
    fakeServer();
    await logIn();
    fakeServer({ offline: true });
    const ended = vi.fn();
    whenSessionExpires(ended);
    await expect(refreshSession()).rejects.toMatchObject({ isNetwork: true });
    expect(ended).not.toHaveBeenCalled();
    expect(session.refreshToken).toBe("r1");
  });

  it("ends the session on the server when the rep logs out", async () => {
    const server = fakeServer();
    await logIn();
    clearSession();
    const logout = server.calls.find((c) => c.url === "/api/v1/auth/logout");
    expect(logout.init.keepalive).toBe(true);
    expect(logout.init.headers.Authorization).toBe("Bearer a1");
    expect(JSON.parse(logout.init.body)).toEqual({ refresh_token: "r1" });
    expect(session.token).toBeNull();
    expect(session.refreshToken).toBeNull();
    expect(localStorage.getItem("bm.refresh")).toBeNull();
  });

  it("reads a stored pair back", () => {
    rememberRefresh({ refresh_token: "r9", expires_in: 60 });
    expect(localStorage.getItem("bm.refresh")).toBe("r9");
    expect(Number(localStorage.getItem("bm.token_expires_at"))).toBeGreaterThan(Date.now());
  });
});
