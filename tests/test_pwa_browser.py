"""The rep's PWA in real headless Chromium (Debian's, driven by Playwright) against a real server process.

Each test runs its own ``python wsgi.py`` on a copy of the demo database and a fresh phone-sized browser
context; screenshots of every screen land in ``test-artifacts/screenshots/`` (390×844, not committed).
"""

import json
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


def shot(page, name: str, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def state(page, expr: str):
    return page.evaluate(f"(() => {{ const s = window.__battlemap; return s && ({expr}); }})()")


def log_in(page, site: Site, email: str = "rep@demo.battlemap") -> None:
    page.goto(site.base)
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


# -- the journeys -------------------------------------------------------------------------------------------

def test_a_rep_near_a_client_gets_its_card_with_why_in_chinese(phone, site):
    """Does a rep who logs in standing near a hospital get that hospital's card, explained, in Chinese?"""
    a = next(p for p in site.places() if p["category"] == "tier3_hospital")
    phone.context.set_geolocation({"latitude": a["lat"] + 0.0008, "longitude": a["lon"], "accuracy": 15})
    phone.goto(site.base)
    assert phone.title().startswith("作战地图")
    shot(phone, "01-login")
    log_in(phone, site)
    el = card(phone, a["id"], "server")
    phone.wait_for_timeout(400)
    shot(phone, "02-card-server")
    text = el.inner_text()
    assert a["name"] in text
    for heading in ("近三个月采购公告", "关键联系人", "推荐话术", "竞品应对锦囊", "为什么推荐这些"):
        assert heading in text
    why = phone.inner_text("[data-testid=popup-why]")
    assert f"进入「{a['name']}」电子围栏" in why
    assert "fence_entered" not in why and "zone_type" not in why, "why speaks words, not codes"
    title_box = phone.locator("[data-testid=popup-title]").bounding_box()
    phone.locator("[data-testid=popup-why]").scroll_into_view_if_needed()
    shot(phone, "03-card-why")
    assert phone.locator("[data-testid=popup-title]").bounding_box()["y"] >= title_box["y"] - 1, \
        "the title stays on screen when the card scrolls"
    assert phone.locator("[data-testid=popup-title]").is_visible()
    close_card(phone)
    assert state(phone, "s.field.location") == "on", "the location watch starts right after login"
    assert "定位已开启" in phone.inner_text("[data-testid=location-status]")
    assert phone.locator("[data-testid=nearby-list] [data-testid=nearby-item]").count() >= 1
    shot(phone, "04-nearby")
    phone.context.set_geolocation({"latitude": a["lat"] + 0.3, "longitude": a["lon"], "accuracy": 15})
    phone.wait_for_function("document.querySelector('[data-testid=location-status]').innerText.includes('定位跳变')",
                            timeout=WAIT_MS)
    assert "定位跳变，已忽略" in phone.inner_text("[data-testid=location-status]"), "a dropped fix says why"
    assert phone.errors == []


def test_offline_card_feedback_and_reconnect_deliver_everything_exactly_once(phone, site):
    """Offline: a reload still works from the bundle, B's card comes from it, feedback waits in the outbox;
    online again it arrives once, a reload changes nothing, and C's card comes once from the server."""
    places = site.places()
    b, c = places[1], places[2]
    log_in(phone, site)
    wait_online(phone)
    wait_worker(phone)
    version = state(phone, "s.bundle.version")

    go_offline(phone)
    phone.reload()
    phone.wait_for_function("window.__battlemap && window.__battlemap.bundle.version", timeout=WAIT_MS)
    assert state(phone, "s.bundle.version") == version, "the bundle comes back from IndexedDB"
    assert phone.is_visible("[data-testid=offline-indicator]")
    simulate(phone, b["id"])
    el = card(phone, b["id"], "bundle")
    assert b["name"] in el.inner_text()
    why = phone.inner_text("[data-testid=popup-why]")
    assert f"进入「{b['name']}」电子围栏" in why and "rule" not in why
    shot(phone, "05-card-offline")
    assert outbox_count(phone) == "0", "a card shown offline is the app's own record, not the rep's"
    phone.click("[data-testid=feedback-helpful]")
    wait_outbox(phone, 1)
    shot(phone, "06-feedback-offline")
    close_card(phone)
    assert site.events("card_feedback", b["id"]) == []

    go_online(phone)
    wait_outbox(phone, 0)
    feedback = site.events("card_feedback", b["id"])
    assert len(feedback) == 1 and json.loads(feedback[0][1])["rating"] == "helpful"
    assert len(site.events("card_shown_offline", b["id"])) == 1
    phone.wait_for_timeout(1500)
    assert phone.locator("[data-testid=popup-card]").count() == 0 or \
        not phone.is_visible("[data-testid=popup-card]"), "the server does not push B's card again"
    assert site.rows("SELECT COUNT(*) FROM popups WHERE place_id = ?", b["id"])[0][0] == 0

    phone.reload()
    wait_online(phone)
    phone.wait_for_timeout(1000)
    assert outbox_count(phone) == "0"
    assert len(site.events("card_feedback", b["id"])) == 1, "a reload and reconnect replay nothing twice"

    simulate(phone, c["id"])
    card(phone, c["id"], "server")
    phone.wait_for_timeout(1500)
    assert phone.locator(f"[data-testid=popup-card][data-place-id='{c['id']}']").count() == 1
    assert site.rows("SELECT COUNT(*) FROM popups WHERE place_id = ?", c["id"])[0][0] == 1
    close_card(phone)
    phone.click("[data-testid=tab-history]")
    phone.wait_for_selector("[data-testid=history-item]", timeout=WAIT_MS)
    assert phone.locator(f"[data-testid=history-item][data-place-id='{c['id']}']").count() == 1
    assert phone.locator(f"[data-testid=history-item][data-place-id='{b['id']}']").count() == 1
    shot(phone, "07-history")
    phone.click("[data-testid=tab-me]")
    assert phone.inner_text("[data-testid=bundle-version]").strip() == state(phone, "s.bundle.version")
    shot(phone, "08-me-status")
    assert phone.errors == []


def _edit_talk_track(site: Site, pack_key: str, track_id: str, new_title: str) -> None:
    pack = site.get(f"/packs/{pack_key}", "manager@demo.battlemap")
    live = pack["live_version"]
    live = live["number"] if isinstance(live, dict) else live
    body = site.get(f"/packs/{pack_key}/versions/{live}", "manager@demo.battlemap")["body"]
    next(t for t in body["talk_tracks"] if t["id"] == track_id)["title"] = new_title
    created = site.post(f"/packs/{pack_key}/versions", {"body": body, "note": "浏览器测试：改话术标题"})
    n = created["number"]
    site.post(f"/packs/{pack_key}/versions/{n}/submit", {})
    site.post(f"/packs/{pack_key}/versions/{n}/publish", {})


def test_a_published_pack_reaches_an_open_card_and_english_is_complete(phone, site):
    """Does a manager's publish reach the rep's open card (bundle delta), and does EN say everything in English?"""
    a = next(p for p in site.places() if p["category"] == "tier3_hospital")
    log_in(phone, site)
    wait_online(phone)
    simulate(phone, a["id"])
    card(phone, a["id"], "server")
    bundle = site.get("/sync/bundle")
    recipe = bundle["upserts"]["cards"][str(a["id"])]
    first_ref = recipe["components"]["talk_tracks"][0]
    pack_key = first_ref.split("/")[0]
    old_version = state(phone, "s.bundle.version")
    pack_body = site.get(f"/packs/{pack_key}", "manager@demo.battlemap")
    assert pack_body
    new_title = "新版话术：先核对年度采购日历（浏览器测试）"
    _edit_talk_track(site, pack_key, first_ref.split("/")[-1], new_title)
    phone.wait_for_function(f"(window.__battlemap.bundle.version || '{old_version}') !== '{old_version}'",
                            timeout=WAIT_MS)
    phone.wait_for_function(f"document.querySelector('[data-testid=popup-card]').innerText.includes('{new_title}')",
                            timeout=WAIT_MS)
    shot(phone, "09-card-after-publish")

    phone.click("[data-testid=lang-toggle]")
    phone.wait_for_function("document.documentElement.lang === 'en'")
    text = phone.inner_text("[data-testid=popup-card]")
    for heading in ("Procurement notices", "Key contacts", "Talk-tracks", "Competitor counters", "Why you see this"):
        assert heading in text
    why = phone.inner_text("[data-testid=popup-why]")
    assert "Entered the geofence" in why or "geofence" in why.lower()
    phone.locator("[data-testid=popup-why]").scroll_into_view_if_needed()
    shot(phone, "10-card-english")
    user_content = _user_content(bundle, a)
    leftover = english_outside_user_content(why, user_content)
    assert "□" not in leftover, f"Chinese left in the English why: {leftover!r}"
    chrome = english_outside_user_content(
        phone.inner_text(".app-header .van-nav-bar__title") + phone.inner_text("[data-testid=connection-status]")
        + phone.inner_text("[data-testid=location-status]") + "".join(
            phone.locator(".card h3").all_inner_texts()), user_content)
    assert "□" not in chrome, f"Chinese left in the English screen: {chrome!r}"
    close_card(phone)
    for tab in ("tab-nearby", "tab-map", "tab-plan", "tab-history", "tab-me"):
        assert not CJK.search(phone.inner_text(f"[data-testid={tab}]")), tab
    assert phone.errors == []


def _user_content(bundle: dict, place: dict) -> list[str]:
    """Everything in a card that is data, not interface: names, titles, the pack's own texts."""
    values: list[str] = [place["name"]]

    def walk(node):
        if isinstance(node, str):
            values.append(node)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(bundle["upserts"]["places"][str(place["id"])])
    walk(bundle["upserts"]["cards"][str(place["id"])]["why"])
    walk(bundle["upserts"]["components"])
    walk(bundle["upserts"]["packs"])
    return [v for v in values if CJK.search(v)]


def test_check_in_and_outcome_recorded_offline_arrive_once(phone, site):
    """Can a rep with no signal check in, write the visit up and record an outcome, and is each stored once?"""
    d = site.places()[3]
    offline_card(phone, site, d)
    phone.click("[data-testid=checkin]")
    phone.click("[data-testid=checkin-confirm]")
    phone.wait_for_selector("[data-testid=checkin-done]")
    phone.fill("[data-testid=visit-note] textarea", "见了设备科王科长，关心年度预算节点和售后响应。")
    phone.fill("[data-testid=visit-next-step] input", "下周二带全生命周期成本测算复访")
    phone.click("[data-testid=outcome-won]")
    shot(phone, "11-visit-offline")
    phone.click("[data-testid=visit-save]")
    wait_outbox(phone, 3)
    phone.reload()
    phone.wait_for_function("window.__battlemap && window.__battlemap.bundle.version", timeout=WAIT_MS)
    assert outbox_count(phone) == "3", "the outbox survives a reload"
    assert site.events("check_in", d["id"]) == []
    go_online(phone)
    wait_outbox(phone, 0)
    phone.reload()
    wait_online(phone)
    phone.wait_for_timeout(800)
    check_ins, outcomes = site.events("check_in", d["id"]), site.events("outcome", d["id"])
    assert len(check_ins) == 1 and json.loads(check_ins[0][1])["method"] == "tap"
    assert len(outcomes) == 1 and json.loads(outcomes[0][1])["result"] == "won"
    visits = site.events("visit", d["id"])
    assert len(visits) == 1 and json.loads(visits[0][1])["next_step"] == "下周二带全生命周期成本测算复访"
    assert phone.errors == []


def test_the_plan_has_every_stops_card_ready_offline_and_opens_with_the_chosen_components(phone, site):
    """Does today's plan show each stop's card with no network, and does arriving open the rep's selection?"""
    places = site.places()
    log_in(phone, site)
    wait_online(phone)
    wait_worker(phone)
    phone.click("[data-testid=tab-plan]")
    for _ in range(2):
        phone.click("[data-testid=plan-add]")
        phone.click("[data-testid=plan-candidate] >> nth=0")
    phone.wait_for_function("document.querySelectorAll('[data-testid=plan-stop]').length === 2", timeout=WAIT_MS)
    first = int(phone.get_attribute("[data-testid=plan-stop] >> nth=0", "data-place-id"))
    phone.click("[data-testid=plan-stop] >> nth=0 >> [data-testid=plan-edit]")
    chosen_before = phone.locator("[data-testid=plan-chosen] li").count()
    phone.click("[data-testid=plan-library-add] >> nth=0")
    phone.wait_for_function(f"document.querySelectorAll('[data-testid=plan-chosen] li').length === {chosen_before + 1}")
    shot(phone, "12-plan-editor")
    wait_outbox(phone, 0)
    plans = site.rows("SELECT data FROM events WHERE type = 'plan' ORDER BY received_at DESC LIMIT 1")
    assert len(json.loads(plans[0][0])["stops"]) == 2

    go_offline(phone)
    phone.reload()
    phone.wait_for_function("window.__battlemap && window.__battlemap.bundle.version", timeout=WAIT_MS)
    phone.click("[data-testid=tab-plan]")
    phone.wait_for_selector("[data-testid=plan-stop]")
    assert phone.locator("[data-testid=plan-stop]").count() == 2
    assert phone.locator("[data-testid=plan-stop-ready]").count() == 2, "every stop's card is ready offline"
    shot(phone, "13-plan-offline")
    phone.click("[data-testid=plan-stop] >> nth=1 >> [data-testid=plan-open-card]")
    second = int(phone.get_attribute("[data-testid=plan-stop] >> nth=1", "data-place-id"))
    card(phone, second, "bundle")
    close_card(phone)

    phone.click("[data-testid=tab-nearby]")
    simulate(phone, first)
    el = card(phone, first, "bundle")
    assert phone.locator("[data-testid=popup-plan] .component").count() == chosen_before + 1, \
        "the card opens with what the rep chose to bring"
    assert "你的拜访计划" in el.inner_text()
    shot(phone, "14-card-plan-arrival")
    close_card(phone)
    phone.click("[data-testid=tab-map]")
    phone.wait_for_selector("[data-testid=map] .leaflet-overlay-pane canvas", timeout=WAIT_MS)
    phone.click("[data-testid=map-legend-toggle]")
    assert "三甲医院" in phone.inner_text("[data-testid=map-legend]")
    phone.wait_for_timeout(300)
    shot(phone, "15-map")
    assert phone.errors == []
    assert places  # the spread-out places exist in the demo


def test_wrong_password_is_explained_in_chinese(phone, site):
    phone.goto(site.base)
    phone.fill("[data-testid=login-password]", "wrong")
    phone.click("[data-testid=login-submit]")
    phone.wait_for_selector("[data-testid=login-error]")
    assert phone.inner_text("[data-testid=login-error]") == "邮箱或密码错误"
    assert phone.locator("[data-testid=nearby-list]").count() == 0


def test_an_expired_login_asks_again_and_loses_nothing_recorded_offline(phone, site):
    """When the server stops accepting the token, does the rep log in again and find the offline work sent?"""
    b = site.places()[1]
    offline_card(phone, site, b)
    phone.click("[data-testid=feedback-used]")
    wait_outbox(phone, 1)
    phone.evaluate("localStorage.setItem('bm.token', 'not-a-token')")
    phone.context.set_offline(False)
    phone.reload()
    phone.wait_for_selector("[data-testid=session-expired]", timeout=WAIT_MS)
    assert "登录已过期" in phone.inner_text("[data-testid=session-expired]")
    assert phone.input_value("[data-testid=login-email]") == "rep@demo.battlemap"
    shot(phone, "16-session-expired")
    # (the service worker's Background Sync may already have replayed the request it queued offline, with the
    # token it had then: the app's outbox still sends it, and the server keeps the one id once)
    phone.click("[data-testid=login-submit]")
    wait_online(phone)
    wait_outbox(phone, 0)
    feedback = site.events("card_feedback", b["id"])
    assert len(feedback) == 1 and json.loads(feedback[0][1])["rating"] == "used"
    assert phone.errors == []
