"""Fix → card on screen in the PWA, in headless Chromium with 4× CPU throttling (a slow phone).

DESIGN's target: an offline fix that enters a fence shows the bundle's card in p95 ≤ 100 ms. A real
``python wsgi.py`` (demo SQLite DB) serves the built PWA (pwa/dist) to one Chromium with a phone viewport
(390×844) and ``Emulation.setCPUThrottlingRate {"rate": 4}``:

1. baseline, online: the rep logs in, the bundle is stored, the socket is ready; each sample picks a place in
   ``select[data-testid=simulate]`` and waits for the server's push (``data-source="server"``);
2. offline: the page is reloaded with the network off (the service worker serves the shell, the bundle comes
   from IndexedDB); each sample picks a place and waits for the card composed from the bundle
   (``data-source="bundle"``).

A sample is the app's own ``performance.measure("bm-fix-to-card", "bm-fix")``: from the fix entering the
pipeline to the animation frame after Vue rendered the card. A card shows once per place per cooldown, so the
samples rotate over the places and the ``history`` store (IndexedDB ``battlemap``) is cleared when the
rotation wraps round or the phase changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.bench_scenarios import _demo_app, _percentile

ROOT = Path(__file__).resolve().parents[1]
PWA = ROOT / "pwa"
DIST = PWA / "dist"
SECRET = "bench-pwa-secret"
THROTTLE = 4
OFFLINE_SAMPLES = 60
ONLINE_SAMPLES = 30
VIEWPORT = {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MEASURE = "bm-fix-to-card"
SETTLE_MS = 150

CLEAR_HISTORY_JS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("battlemap");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const idb = open.result;
    const tx = idb.transaction("history", "readwrite");
    tx.objectStore("history").clear();
    tx.oncomplete = () => { idb.close(); resolve(true); };
    tx.onerror = () => { idb.close(); reject(tx.error); };
  };
})"""


def _log(msg: str) -> None:
    print(f"  [pwa] {msg}", flush=True)


def _chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("bench_pwa needs Chromium: no `chromium` on PATH (apt-get install chromium, or set "
                           "CHROMIUM=/path/to/chromium); browsers are not downloaded by this bench")
    return path


def _ensure_dist() -> None:
    """pwa/dist must exist and be newer than pwa/src (else we would measure old code): build it if not."""
    index = DIST / "index.html"
    reason = None
    if not index.exists():
        reason = "pwa/dist is missing"
    else:
        built = index.stat().st_mtime
        newer = [p for p in (PWA / "src").rglob("*") if p.is_file() and p.stat().st_mtime > built]
        if newer:
            reason = f"pwa/dist is older than {len(newer)} file(s) in pwa/src (e.g. {newer[0].relative_to(ROOT)})"
    if reason is None:
        return
    npm = shutil.which("npm")
    if not npm:
        raise RuntimeError(f"{reason} and npm is not on PATH: build it with `cd pwa && npm run build`")
    _log(f"{reason}: running `npm run build` in pwa/ …")
    t0 = time.perf_counter()
    done = subprocess.run([npm, "run", "build"], cwd=PWA, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"`npm run build` in pwa/ failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    _log(f"built pwa/dist in {time.perf_counter() - t0:.1f} s")


class Watch:
    """Uncaught page errors and console errors, deduplicated, with the phase they happened in."""

    def __init__(self):
        self.phase = "login"
        self.items: dict[str, int] = {}

    def add(self, kind: str, text: str) -> None:
        key = f"{self.phase}: {kind}: {text[:300]}"
        self.items[key] = self.items.get(key, 0) + 1

    def attach(self, page) -> None:
        page.on("pageerror", lambda err: self.add("pageerror", str(err)))
        page.on("console", lambda msg: msg.type == "error" and self.add("console.error", msg.text))

    @property
    def page_errors(self) -> int:
        return sum(n for k, n in self.items.items() if ": pageerror: " in k)


def _throttle(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": THROTTLE})
    return cdp


def _bundle_ready(page, timeout: float = 30_000) -> float:
    """Wait for the bundle in memory (version set, loaded); returns performance.now() at that frame."""
    return page.wait_for_function(
        "() => { const b = window.__battlemap && window.__battlemap.bundle;"
        " return b && b.loaded && b.version ? performance.now() : false; }", timeout=timeout).json_value()


SAMPLE_JS = """async ([id, timeoutMs, name]) => {
  performance.clearMeasures();
  performance.clearMarks();
  const select = document.querySelector("select[data-testid=simulate]");
  if (!select) throw new Error("no select[data-testid=simulate]");
  const measured = new Promise((resolve, reject) => {
    const obs = new PerformanceObserver((list) => {
      const m = list.getEntriesByName(name);
      if (m.length) { clearTimeout(timer); obs.disconnect(); resolve(m[m.length - 1].duration); }
    });
    const timer = setTimeout(() => {
      obs.disconnect();
      reject(new Error(`no ${name} measure within ${timeoutMs} ms`));
    }, timeoutMs);
    obs.observe({ type: "measure" });
  });
  select.value = String(id);  // what select_option does, without Playwright's polling on the main thread
  select.dispatchEvent(new Event("input", { bubbles: true }));
  select.dispatchEvent(new Event("change", { bubbles: true }));
  const ms = await measured;
  const card = document.querySelector(`[data-testid=popup-card][data-place-id="${id}"]`);
  return { ms, source: card && card.getAttribute("data-source"), open: window.__battlemap.field.cardOpen,
           shownId: window.__battlemap.field.card && String(window.__battlemap.field.card.place.id) };
}"""


def _sample(page, place_id: str, source: str) -> float:
    """Pick the place in the simulation select; wait for the app's measure; check the card; close it; ms.

    The pick and the wait run in one ``page.evaluate`` (a PerformanceObserver, no polling): Playwright's own
    selector/rAF polling would otherwise share the throttled main thread and inflate every sample."""
    got = page.evaluate(SAMPLE_JS, [place_id, 15_000, MEASURE])
    if got["source"] != source or got["shownId"] != str(place_id) or not got["open"]:
        raise AssertionError(f"place {place_id}: expected an open {source!r} card, got {got!r}")
    page.wait_for_selector(f"[data-testid=popup-card][data-place-id='{place_id}']", timeout=5_000)  # visible
    page.click("[data-testid=popup-close]")
    page.wait_for_function("() => !window.__battlemap.field.cardOpen", timeout=5_000)
    page.wait_for_selector("[data-testid=popup-card]", state="hidden", timeout=5_000)  # van-popup: kept, hidden
    page.wait_for_timeout(SETTLE_MS)  # the previous card's trailing writes (history, outbox) out of the way
    return float(got["ms"])


def _collect(page, places: list[str], n: int, source: str, label: str) -> list[float]:
    out: list[float] = []
    for i in range(n):
        if i and i % len(places) == 0:
            # the rotation wrapped round: forget the cooldown (the app reads history into memory at start)
            page.evaluate(CLEAR_HISTORY_JS)
            page.reload()
            _bundle_ready(page)
        out.append(_sample(page, places[i % len(places)], source))
        if (i + 1) % 10 == 0 or i + 1 == n:
            _log(f"{label}: {i + 1}/{n} samples, last {out[-1]:.1f} ms")
    return out


def _measure(base: str) -> dict:
    from playwright.sync_api import sync_playwright

    watch = Watch()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", service_workers="allow")
            page = context.new_page()
            watch.attach(page)
            _throttle(page)
            t0 = time.perf_counter()
            page.goto(base)
            page.wait_for_selector("[data-testid=login-submit]", timeout=30_000)
            page.click("[data-testid=login-submit]")
            _bundle_ready(page)
            _log(f"logged in, bundle {page.evaluate('window.__battlemap.bundle.version')} stored "
                 f"({time.perf_counter() - t0:.1f} s)")
            page.wait_for_function("() => window.__battlemap.link.ready", timeout=20_000)
            page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)", timeout=30_000)
            if not page.evaluate("() => !!navigator.serviceWorker.controller"):
                _log("service worker active but not controlling: reloading once online")
                page.reload()
                _bundle_ready(page)
                page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=30_000)
                page.wait_for_function("() => window.__battlemap.link.ready", timeout=20_000)
            places = page.eval_on_selector_all("select[data-testid=simulate] option",
                                               "els => els.map(e => e.value).filter(Boolean)")
            if len(places) < 2:
                raise RuntimeError(f"the simulation select offers {len(places)} place(s)")
            _log(f"{len(places)} places in the simulation select; socket ready, service worker controls the page")

            # 1. Baseline: online, the server decides and pushes the card over the socket.
            watch.phase = "online"
            online = _collect(page, places, ONLINE_SAMPLES, "server", "online (server push)")

            # 2. Offline: network off, reload (SW serves the shell, IndexedDB the bundle).
            page.evaluate(CLEAR_HISTORY_JS)
            watch.phase = "offline-reload"
            context.set_offline(True)
            page.reload()
            cdp = _throttle(page)  # harmless if the emulation survived the reload
            # Playwright's offline emulation does not reach the reloaded document (navigator.onLine stays true,
            # microsoft/playwright#42174): say it again on our own CDP session so the app sees "offline".
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                          "uploadThroughput": -1})
            loaded_at = _bundle_ready(page)
            nav = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                                " return n ? {start: n.startTime, dcl: n.domContentLoadedEventEnd} : null; }")
            load_ms = loaded_at - (nav["start"] if nav else 0.0)
            if not page.evaluate("() => !!navigator.serviceWorker.controller"):
                raise AssertionError("the offline reload was not served by the service worker")
            if page.evaluate("() => window.__battlemap.link.ready"):
                raise AssertionError("socket still ready with the network off")
            online_flag = page.evaluate("() => navigator.onLine")
            _log(f"offline reload: bundle in memory {load_ms:.0f} ms after navigation start "
                 f"(navigator.onLine={online_flag})")
            watch.phase = "offline"
            offline = _collect(page, places, OFFLINE_SAMPLES, "bundle", "offline (bundle)")
            pending = page.evaluate("() => ({rep: window.__battlemap.outbox.pending,"
                                    " system: window.__battlemap.outbox.system})")
            _log(f"outbox after the offline samples: {pending['rep']} rep event(s), {pending['system']} system "
                 "(card_shown_offline) waiting")
        finally:
            browser.close()
    return {"online": online, "offline": offline, "load_ms": load_ms, "watch": watch, "pending": pending,
            "places": len(places)}


def run() -> list[dict]:
    try:
        import playwright  # noqa: F401
    except ImportError as err:
        raise RuntimeError("bench_pwa needs the playwright Python package (pip install playwright)") from err
    _chromium()
    _ensure_dist()
    from tests.servers import running_server

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _demo_app(tmp, SECRET_KEY=SECRET)
        with running_server(tmp / "bench.db", SECRET_KEY=SECRET) as server:
            _log(f"server at {server['base']}")
            r = _measure(server["base"])
    off, on = r["offline"], r["online"]
    stats = {k: (_percentile(v, 0.5), _percentile(v, 0.95)) for k, v in (("off", off), ("on", on))}
    _log(f"offline fix→card ms: p50 {stats['off'][0]:.1f}, p95 {stats['off'][1]:.1f}, max {max(off):.1f} "
         f"(n={len(off)})")
    _log(f"online  fix→card ms: p50 {stats['on'][0]:.1f}, p95 {stats['on'][1]:.1f}, max {max(on):.1f} (n={len(on)})")
    if r["watch"].items:
        _log(f"{len(r['watch'].items)} distinct page/console error(s):")
        for k, n in r["watch"].items.items():
            _log(f"  ×{n} {k}")
    else:
        _log("no page errors, no console errors")
    throttle = f"{THROTTLE}× CPU"
    return [
        {"name": f"pwa offline fix→card p95 ({throttle})", "value": round(stats["off"][1], 2), "unit": "ms",
         "baseline": f"online server push p95 ({throttle})", "baseline_value": round(stats["on"][1], 2)},
        {"name": f"pwa offline fix→card p50 ({throttle})", "value": round(stats["off"][0], 2), "unit": "ms",
         "baseline": f"online server push p50 ({throttle})", "baseline_value": round(stats["on"][0], 2)},
        {"name": f"pwa offline fix→card p95 vs DESIGN target ({throttle})", "value": round(stats["off"][1], 2),
         "unit": "ms", "baseline": "target p95", "baseline_value": 100.0},
        {"name": f"pwa offline reload: navigation → bundle in memory ({throttle})", "value": round(r["load_ms"], 1),
         "unit": "ms", "baseline": None, "baseline_value": None},
        {"name": "pwa uncaught page errors during the run", "value": r["watch"].page_errors, "unit": "count",
         "baseline": None, "baseline_value": None},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
