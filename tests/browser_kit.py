"""What the browser tests share: Debian's Chromium driven by Playwright, a real server per test over a copy of
the demo database, the site's API and database helpers, and page helpers for the PWA's test hooks.

The fixtures here (``browser``, ``site``, ``phone``, ``laptop``) are registered for every test module by conftest.py.
Screenshots land in ``test-artifacts/screenshots/`` (not committed).
"""

import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
import requests

from tests.conftest import DEMO_PASSWORD, need_service
from tests.servers import ROOT, running_server

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
SHOTS = Path(os.environ.get("BATTLEMAP_SCREENSHOTS", ROOT / "test-artifacts" / "screenshots"))
CJK = re.compile(r"[\u3400-\u9fff]")
WAIT_MS = 15_000


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        need_service("Chromium", "no chromium on PATH (make test installs Debian's chromium when it can)")
    return path


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need_service("Playwright", "the playwright package is not installed")
    executable = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        # Pages bypass the CSP unless a test says otherwise: Playwright's wait_for_function evaluates its
        # expression with eval, which the site's policy (no 'unsafe-eval', docs/security.md) refuses.
        # tests/test_security_headers.py drives the app under the real policy (bypass_csp=False).
        new_context = browser.new_context
        browser.new_context = lambda **options: new_context(**{"bypass_csp": True, **options})
        yield browser
        browser.close()


class Site:
    """A running server over its own demo database, with API and database helpers for the checks."""

    def __init__(self, base: str, db_path: Path):
        self.base = base
        self.db_path = db_path
        self._tokens: dict[str, str] = {}

    def token(self, email: str) -> str:
        if email not in self._tokens:
            r = requests.post(f"{self.base}/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD},
                              timeout=10)
            r.raise_for_status()
            self._tokens[email] = r.json()["token"]
        return self._tokens[email]

    def get(self, path: str, email: str = "rep@demo.battlemap"):
        r = requests.get(f"{self.base}/api/v1{path}", headers={"Authorization": f"Bearer {self.token(email)}"},
                         timeout=10)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: dict, email: str = "manager@demo.battlemap"):
        r = requests.post(f"{self.base}/api/v1{path}", json=body,
                          headers={"Authorization": f"Bearer {self.token(email)}"}, timeout=10)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def rows(self, sql: str, *args) -> list[tuple]:
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(sql, args).fetchall()

    def events(self, type_: str, place_id: int) -> list[tuple]:
        return self.rows("SELECT id, data FROM events WHERE type = ? AND place_id = ?", type_, place_id)

    def places(self) -> list[dict]:
        """The demo's places, spread out: each at least 2 km from the ones before it (fences never overlap)."""
        items = self.get("/places?lat=31.2304&lon=121.4737&radius_m=50000")["items"]
        picked: list[dict] = []
        for p in items:
            if all(_km(p, q) > 2.0 for q in picked):
                picked.append(p)
        return picked


def _km(a: dict, b: dict) -> float:
    return (((a["lat"] - b["lat"]) * 111.2) ** 2 + ((a["lon"] - b["lon"]) * 95.0) ** 2) ** 0.5


@pytest.fixture
def site(demo_template, tmp_path):
    db_path = tmp_path / "pwa.db"
    shutil.copy(demo_template, db_path)
    with running_server(db_path) as srv:
        yield Site(srv["base"], db_path)


@pytest.fixture
def phone(browser, site):
    """A phone: 390×844, Chinese, location allowed (no position until a test sets one)."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", permissions=["geolocation"],
                                  service_workers="allow")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    yield page
    context.close()


@pytest.fixture
def laptop(browser, site):
    """A manager's laptop: 1366×768, Chinese (the console is laptop first)."""
    context = browser.new_context(viewport=LAPTOP, locale="zh-CN", service_workers="allow")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    yield page
    context.close()


def shot(page, name: str, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def state(page, expr: str):
    return page.evaluate(f"(() => {{ const s = window.__battlemap; return s && ({expr}); }})()")


def log_in(page, site: Site, email: str = "rep@demo.battlemap", at: str = "") -> None:
    """Log in on the page at ``at`` (e.g. ``/#/console/rules``: the screen a manager lands on)."""
    page.goto(site.base + at)
    page.fill("[data-testid=login-email]", email)
    page.fill("[data-testid=login-password]", DEMO_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_function("window.__battlemap && window.__battlemap.bundle.version", timeout=WAIT_MS)


def wait_online(page) -> None:
    page.wait_for_function("window.__battlemap && window.__battlemap.link.ready", timeout=WAIT_MS)


def wait_worker(page) -> None:
    """The service worker controls the page (so a reload offline is served from its precache)."""
    page.evaluate("navigator.serviceWorker.ready")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
        page.wait_for_function("!!navigator.serviceWorker.controller", timeout=WAIT_MS)
    page.wait_for_function("window.__battlemap && window.__battlemap.bundle.version", timeout=WAIT_MS)


def simulate(page, place_id: int) -> None:
    page.select_option("[data-testid=simulate]", str(place_id))


def card(page, place_id: int, source: str | None = None):
    selector = f"[data-testid=popup-card][data-place-id='{place_id}']"
    if source:
        selector += f"[data-source={source}]"
    return page.wait_for_selector(selector, timeout=WAIT_MS)


def close_card(page) -> None:
    page.click("[data-testid=popup-close]")
    page.wait_for_selector("[data-testid=popup-card]", state="hidden", timeout=WAIT_MS)


def outbox_count(page) -> str:
    return page.inner_text("[data-testid=outbox-count]").strip()


def wait_outbox(page, n: int) -> None:
    page.wait_for_function(f"document.querySelector('[data-testid=outbox-count]')?.textContent.trim() === '{n}'",
                           timeout=WAIT_MS)


def go_offline(page) -> None:
    page.context.set_offline(True)
    page.wait_for_selector("[data-testid=offline-indicator]", timeout=WAIT_MS)


def go_online(page) -> None:
    page.context.set_offline(False)
    wait_online(page)


def offline_card(page, site: Site, place: dict):
    """Log in online (bundle stored, worker in control), lose the network, walk into ``place``: its offline card."""
    log_in(page, site)
    wait_online(page)
    wait_worker(page)
    go_offline(page)
    simulate(page, place["id"])
    return card(page, place["id"], "bundle")


def english_outside_user_content(text: str, user_content: list[str]) -> str:
    """What is left of ``text`` once data (names, titles, the pack's own Chinese texts) is taken out."""
    for value in sorted(user_content, key=len, reverse=True):
        text = text.replace(value, "")
    return CJK.sub("□", re.sub(r"[「“\"][^」”\"]*[」”\"]", "", text))
