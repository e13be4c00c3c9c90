// Load generator for bench_load.py: N reps connected over real websockets; each sends location fixes at a
// steady overall rate; we time fix → ack (a fix that enters no fence) and fix → popup (a fix that enters one).
// Usage: node bench/load.mjs <plan.json> <out.json>   (socket.io-client comes from pwa/node_modules)
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("../pwa/package.json", import.meta.url));
const { io } = require("socket.io-client");
const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function connectAll() {
  const sockets = [];
  for (const [i, token] of plan.tokens.entries()) {
    const socket = io(`${plan.base}/field`, { auth: { token }, transports: ["websocket"], reconnection: false });
    sockets.push(new Promise((resolve, reject) => {
      socket.on("connect", () => resolve(socket));
      socket.on("connect_error", reject);
    }));
    if (i % 50 === 49) await sleep(50);  // do not open 1,000 sockets in the same millisecond
  }
  return Promise.all(sockets);
}

async function phase(sockets, fixFor, waitPopup) {
  const gap = 1000 / plan.rate;
  const pending = [];
  for (const [i, socket] of sockets.entries()) {
    const [lat, lon] = fixFor(i);
    const started = performance.now();
    pending.push(new Promise((resolve) => {
      const done = (ok) => resolve({ ms: performance.now() - started, ok });
      const timer = setTimeout(() => done(false), 5000);
      if (waitPopup) {
        socket.once("popup", () => { clearTimeout(timer); done(true); });
        socket.emit("location", { lat, lon, accuracy_m: 10, ts: plan.ts + 3600000 });
      } else {
        socket.emit("location", { lat, lon, accuracy_m: 10, ts: plan.ts }, (ack) => {
          clearTimeout(timer); done(Boolean(ack && ack.ok));
        });
      }
    }));
    await sleep(gap);
  }
  return Promise.all(pending);
}

const sockets = await connectAll();
const plain = await phase(sockets, (i) => [31.9 + i * 0.0005, 122.3], false);
const popup = await phase(sockets, (i) => plan.places[i % plan.places.length], true);
sockets.forEach((s) => s.disconnect());
// A file, not stdout: process.exit() may cut a large piped write short.
writeFileSync(process.argv[3], JSON.stringify({ connected: sockets.length, plain, popup }));
process.exit(0);
