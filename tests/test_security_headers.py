"""Security headers on every kind of answer, and the built PWA working under its CSP in Chromium
(docs/security.md "Headers")."""

import time
from pathlib import Path

import pytest
import requests

from app import create_app
from config import ProductionConfig, TestConfig
from tests.browser_kit import LAPTOP, PHONE, WAIT_MS
from tests.conftest import DEMO_PASSWORD
from tests.test_shares import BODY, GUIDE

SHARE_BODY = BODY


def first_asset(app) -> str:
    names = sorted(p.name for p in (Path(app.config["PWA_DIR"]) / "assets").glob("*.js"))
    if not names:
        pytest.skip("the PWA is not built (cd pwa && npm run build)")
    return f"/assets/{names[0]}"


def share_token(client, auth) -> str:
    created = client.post("/api/v1/solutions/shares", json=SHARE_BODY, headers=auth.headers(GUIDE))
    assert created.status_code == 201, created.get_json()
    return created.get_json()["token"]


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_common(response, path: str) -> None:
    h = response.headers
    csp = csp_directives(h["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"], "only our own scripts: no inline, no eval, no CDN"
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["worker-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["connect-src"] + csp["img-src"] + csp["default-src"]
    assert h["X-Content-Type-Options"] == "nosniff", path
    assert h["X-Frame-Options"] == "DENY", path
    assert h["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer"), path
    assert "Strict-Transport-Security" not in h, "HSTS in production only"


def test_every_kind_of_answer_carries_the_headers(app, client, auth):
    token = share_token(client, auth)
    rep = auth.headers()
    answers = {
        "/": client.get("/"),
        "/sw.js": client.get("/sw.js"),
        "/manifest.webmanifest": client.get("/manifest.webmanifest"),
        "asset": client.get(first_asset(app)),
        "/api/v1/sync/bundle": client.get("/api/v1/sync/bundle", headers=rep),
        "/api/v1/auth/login": client.post("/api/v1/auth/login",
                                          json={"email": "rep@demo.battlemap", "password": "demo-password"}),
        "401": client.get("/api/v1/sync/bundle"),
        "404": client.get("/api/v1/no-such-thing"),
        "/s/<token>": client.get(f"/s/{token}"),
        "/api/v1/public/shares/<token>": client.get(f"/api/v1/public/shares/{token}"),
        "/healthz": client.get("/healthz"),
    }
    for path, response in answers.items():
        response.close()
        assert response.status_code < 500, path
        assert_common(response, path)

    for path in ("/api/v1/sync/bundle", "/api/v1/auth/login", "401", "404", "/api/v1/public/shares/<token>"):
        assert answers[path].headers["Cache-Control"] == "no-store", path
    assert answers["/api/v1/auth/login"].get_json()["token"], "the answer that carries a token is never stored"
    assert answers["asset"].headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for path in ("/", "/sw.js", "/manifest.webmanifest", "/s/<token>"):
        assert answers[path].headers["Cache-Control"] == "max-age=0, must-revalidate", path
    assert answers["/sw.js"].headers["Service-Worker-Allowed"] == "/"
    for path in ("/s/<token>", "/api/v1/public/shares/<token>"):
        assert answers[path].headers["Referrer-Policy"] == "no-referrer", "a share's address is its secret"
    assert answers["/"].headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_the_csp_allows_the_map_tile_hosts_and_our_websocket(client):
    with client.get("/", headers={"Host": "battlemap.example.cn"}) as response:
        csp = csp_directives(response.headers["Content-Security-Policy"])
    assert csp["img-src"][:3] == ["'self'", "data:", "blob:"]
    assert "https://*.is.autonavi.com" in csp["img-src"], "Amap tiles (the tile URL set under 我的)"
    assert csp["connect-src"] == ["'self'", "ws://battlemap.example.cn", "wss://battlemap.example.cn"]
    assert "'unsafe-inline'" in csp["style-src"], "Vant and Leaflet position things with style attributes"


def test_a_forged_host_cannot_add_directives(client):
    csp = client.get("/healthz", headers={"Host": "x; script-src *"}).headers["Content-Security-Policy"]
    assert csp_directives(csp)["script-src"] == ["'self'"]
    assert "*" not in csp_directives(csp)["connect-src"]


def test_hsts_in_production_only(tmp_path):
    config = type("Prod", (ProductionConfig,), {"SECRET_KEY": "a-real-production-key-0123456789",
                                                 "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})
    with create_app(config).test_client().get("/healthz") as response:
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    with create_app(TestConfig).test_client().get("/sw.js") as response:
        assert "Strict-Transport-Security" not in response.headers


def test_the_server_header_names_no_version(site):
    for path in ("/", "/healthz", "/api/v1/sync/bundle", "/socket.io/?EIO=4&transport=polling"):
        server = requests.get(site.base + path, timeout=10).headers.get("Server", "")
        assert server == "Battlemap", (path, server)


CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture
def strict_page(browser, site):
    """A page under the site's real CSP (the other browser tests bypass it, see browser_kit), watching for
    violations: console messages about the policy and ``securitypolicyviolation`` events."""

    def open_page(viewport: dict, **options):
        context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=False, **options)
        opened.append(context)
        page = context.new_page()
        page.errors, page.csp_messages = [], []
        page.on("pageerror", lambda err: page.errors.append(str(err)))
        page.on("console", lambda m: page.csp_messages.append(m.text) if "Content Security Policy" in m.text
                else None)
        page.add_init_script(CSP_WATCH)
        return page

    opened = []
    yield open_page
    for context in opened:
        context.close()


def until(page, expression: str, timeout_s: float = WAIT_MS / 1000):
    """Poll ``expression`` from outside the page (``wait_for_function`` evals inside it, which the CSP refuses)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = page.evaluate(f"(() => {{ try {{ return {expression}; }} catch (e) {{ return null; }} }})()")
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {expression}")


def log_in_strict(page, site, email: str, at: str = "") -> None:
    page.goto(site.base + at)
    page.fill("[data-testid=login-email]", email)
    page.fill("[data-testid=login-password]", DEMO_PASSWORD)
    page.click("[data-testid=login-submit]")
    until(page, "window.__battlemap && window.__battlemap.bundle.version")


VANT_CDN_FONT = "font-src http://at.alicdn.com/"
"""Vant's CSS names a CDN copy of its icon font as a fallback after the inline (data:) one. The inline font loads
(asserted below); the policy refusing the CDN fallback is the policy working: nothing is fetched from a CDN."""


def assert_no_violations(page) -> None:
    violations = page.evaluate("window.__csp")
    assert [v for v in violations if not v.startswith(VANT_CDN_FONT)] == [], "securitypolicyviolation events"
    assert [m for m in page.csp_messages if "at.alicdn.com" not in m] == []
    assert page.errors == []
    fonts = page.evaluate("[...document.fonts].filter(f => f.family === 'vant-icon').map(f => f.status)")
    assert "error" not in fonts, f"Vant's icons draw from the inline font: {fonts}"


def test_the_rep_app_runs_under_the_csp(strict_page, site):
    phone = strict_page(PHONE, permissions=["geolocation"], service_workers="allow",
                        geolocation={"latitude": 31.2304, "longitude": 121.4737})
    log_in_strict(phone, site, "rep@demo.battlemap")
    assert phone.evaluate("document.querySelector('meta[http-equiv]')") is None, "the policy comes from the header"
    until(phone, "window.__battlemap.link.ready")  # the /field socket connected (connect-src)
    phone.click("[data-testid=tab-map]")
    phone.wait_for_selector("[data-testid=map] .leaflet-overlay-pane canvas", timeout=WAIT_MS)
    for tab in ("tab-plan", "tab-history", "tab-me", "tab-nearby"):
        phone.click(f"[data-testid={tab}]")
        phone.wait_for_timeout(300)
    until(phone, "navigator.serviceWorker.controller !== null")  # the worker registered and took the page
    assert phone.evaluate("[...document.fonts].some(f => f.family === 'vant-icon' && f.status === 'loaded')")
    assert_no_violations(phone)


def test_the_console_and_the_share_page_run_under_the_csp(strict_page, site):
    laptop = strict_page(LAPTOP)
    log_in_strict(laptop, site, "manager@demo.battlemap", at="/#/console/preview")
    laptop.wait_for_selector(".leaflet-container", timeout=WAIT_MS)
    laptop.wait_for_timeout(500)
    created = requests.post(f"{site.base}/api/v1/solutions/shares", json=SHARE_BODY, timeout=10,
                            headers={"Authorization": f"Bearer {site.token(GUIDE)}"})
    assert created.status_code == 201, created.text
    laptop.goto(site.base + created.json()["url"])
    laptop.wait_for_selector("[data-testid=share-page]", timeout=WAIT_MS)
    assert_no_violations(laptop)


def test_an_inline_script_is_refused(strict_page, site):
    """The policy is really enforced: a script injected into the page's markup does not run."""
    page = strict_page(LAPTOP)
    page.goto(site.base + "/")
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';
                     document.head.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in page.evaluate("window.__csp"))
