"""The rep's PWA in real headless Chromium (Debian's, driven by Playwright) against a real server process.

Each test runs its own ``python wsgi.py`` on a copy of the demo database and a fresh phone-sized browser
context; screenshots of every screen land in ``test-artifacts/screenshots/`` (390×844, not committed).
"""

import json

from tests.browser_kit import (
    CJK,
    WAIT_MS,
    Site,
    card,
    close_card,
    english_outside_user_content,
    go_offline,
    go_online,
    log_in,
    offline_card,
    outbox_count,
    shot,
    simulate,
    state,
    wait_online,
    wait_outbox,
    wait_worker,
)

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
    site.post(f"/packs/{pack_key}/versions/{n}/approve", {}, "admin@demo.battlemap")  # the second pair of eyes
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
