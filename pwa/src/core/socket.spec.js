// @vitest-environment happy-dom
// The /field socket reconnects with the current access token, and a connect refused as token_expired refreshes
// the pair and connects again instead of asking the rep to log in (docs/security.md).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const fake = vi.hoisted(() => ({ sockets: [] }));
vi.mock("socket.io-client", () => ({
  io: (path, options) => {
    const handlers = {};
    const socket = {
      options, handlers, connected: false, connect: vi.fn(), disconnect: vi.fn(), removeAllListeners: vi.fn(),
      on(name, fn) { handlers[name] = fn; return socket; },
      auth() { return new Promise((resolve) => options.auth(resolve)); },
    };
    fake.sockets.push(socket);
    return socket;
  },
}));

const { connect, disconnect, onExpired } = await import("@/core/socket");
const { session, setSession, rememberRefresh } = await import("@/core/session");

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

beforeEach(() => {
  fake.sockets.length = 0;
  localStorage.clear();
  setSession("a1", { id: 7 });
  rememberRefresh({ refresh_token: "r1", expires_in: 3600 });
});
afterEach(() => { disconnect(); vi.unstubAllGlobals(); });

describe("the /field socket and expiring tokens", () => {
  it("reconnects with the token the session holds now", async () => {
    connect("a1", "zh");
    const [socket] = fake.sockets;
    expect(await socket.auth()).toEqual({ token: "a1", locale: "zh" });
    session.token = "a2";
    expect(await socket.auth()).toEqual({ token: "a2", locale: "zh" });
  });

  it("refreshes and connects again when the server says token_expired", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json(200, { token: "a2", refresh_token: "r2", expires_in: 3600 })));
    const ended = vi.fn();
    onExpired(ended);
    connect("a1", "zh");
    const [socket] = fake.sockets;
    socket.handlers.connect_error({ data: { error: { code: "token_expired" } } });
    await settle();
    expect(socket.connect).toHaveBeenCalledTimes(1);
    expect(await socket.auth()).toEqual({ token: "a2", locale: "zh" });
    expect(ended).not.toHaveBeenCalled();
  });

  it("asks for a login when the session was ended", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json(401, { error: { code: "token_revoked", message: "ended" } })));
    const ended = vi.fn();
    onExpired(ended);
    connect("a1", "zh");
    const [socket] = fake.sockets;
    socket.handlers.connect_error({ data: { error: { code: "token_expired" } } });
    await settle();
    expect(socket.connect).not.toHaveBeenCalled();
    expect(ended).toHaveBeenCalledWith("token_revoked");
  });
});
