"""The console's replay in Chromium: a rep's fixes sent through the real /field socket are stored, and the
replay map shows the day — the card pushed at the first entry, and the return inside the cooldown as a
suppressed entry with its reason, synced between the timeline and the map (issue 9, "Replay on the map")."""

import math
import shutil
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
import socketio as sio_client

from tests.browser_kit import PHONE, WAIT_MS, Site, log_in, shot
from tests.conftest import DEMO_PASSWORD
from tests.servers import running_server

MANAGER = "manager@demo.battlemap"
REP = "rep@demo.battlemap"
STEP_M = 100.0
STEP_S = 10
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat = (a[0] - b[0]) * 111_195
    dlon = (a[1] - b[1]) * 111_195 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlon)


def _offset(lat: float, lon: float, bearing: float, m: float) -> tuple[float, float]:
    return (lat + m * math.cos(bearing) / 111_195,
            lon + m * math.sin(bearing) / (111_195 * math.cos(math.radians(lat))))


def _walk(site) -> tuple[dict, list[tuple[float, float]]]:
    """A tier-3 hospital and a walk: from 1 km out into its centre, out again beyond the exit margin, and back
    in (inside the 30-minute cooldown), along a bearing that touches no other fence."""
    places = site.get("/places?lat=31.2304&lon=121.4737&radius_m=50000")["items"]
    for target in (p for p in places if p["category"] == "tier3_hospital" and p["radius_m"] <= 500):
        reach = target["radius_m"] + 500
        for k in range(8):
            bearing = k * math.pi / 4
            points = [_offset(target["lat"], target["lon"], bearing, d) for d in range(0, int(reach) + 1, 50)]
            clear = all(_metres(pt, (o["lat"], o["lon"])) > o["radius_m"] + 150
                        for o in places if o["id"] != target["id"] for pt in points)
            if clear:
                steps = int(reach // STEP_M)
                inward = [_offset(target["lat"], target["lon"], bearing, (steps - i) * STEP_M)
                          for i in range(steps + 1)]
                outward = list(reversed(inward))[1:]
                return target, inward + outward + inward[1:]
    raise AssertionError("no tier-3 hospital with a clear approach in the demo")


def _drive(site, path: list[tuple[float, float]]) -> list[dict]:
    """Send the walk through the real /field socket, one fix per STEP_S seconds of fix time (the last fixes
    lie in the near future: within the server's clock-skew allowance), and return the popups pushed."""
    token = requests.post(f"{site.base}/api/v1/auth/login", json={"email": REP, "password": DEMO_PASSWORD},
                          timeout=10).json()["token"]
    popups = []
    client = sio_client.Client()
    client.on("popup", popups.append, namespace="/field")
    client.connect(site.base, namespaces=["/field"], auth={"token": token}, transports=["websocket"], wait_timeout=10)
    try:
        start = int(time.time() * 1000) - 100_000
        for i, (lat, lon) in enumerate(path):
            ack = client.call("location", {"lat": lat, "lon": lon, "accuracy_m": 12.0, "ts": start + i * STEP_S * 1000},
                              namespace="/field", timeout=10)
            assert ack.get("ok"), ack
    finally:
        client.disconnect()
    return popups


@pytest.fixture
def site(demo_template, tmp_path):
    """The site with every hour on duty (``FIX_STORE_HOURS=all``): the test runs whatever the time in Shanghai."""
    db_path = tmp_path / "pwa.db"
    shutil.copy(demo_template, db_path)
    with running_server(db_path, FIX_STORE_HOURS="all") as srv:
        yield Site(srv["base"], db_path)


def test_the_replay_map_shows_a_suppressed_re_entry_with_its_reason(laptop, browser, site):
    hospital, path = _walk(site)
    popups = _drive(site, path)
    assert [p["place"]["id"] for p in popups] == [hospital["id"]], "one card: the second entry is in the cooldown"

    page = laptop
    log_in(page, site, MANAGER, at="/#/console/replay")
    rep_id = next(u["id"] for u in site.get("/users?role=rep", MANAGER)["items"] if u["email"] == REP)
    page.wait_for_selector(f"[data-testid=replay-rep] option[value='{rep_id}']", state="attached", timeout=WAIT_MS)
    page.select_option("[data-testid=replay-rep]", str(rep_id))
    page.fill("[data-testid=replay-date]", datetime.now(SHANGHAI).date().isoformat())
    page.click("[data-testid=replay-run]")

    cooldown = "[data-testid=replay-event][data-type=suppressed][data-reason=cooldown]"
    suppressed = page.wait_for_selector(cooldown, timeout=WAIT_MS)
    assert suppressed.get_attribute("data-place-id") == str(hospital["id"])
    assert "冷却期内再次进入，未推送" in suppressed.inner_text()
    entries = page.eval_on_selector_all(
        "[data-testid=replay-event]", "els => els.map(e => [e.dataset.type, e.dataset.reason, e.dataset.placeId])")
    at_hospital = [(kind, reason) for kind, reason, place in entries if place == str(hospital["id"])]
    kinds = [kind for kind, _ in at_hospital]
    returned = at_hospital.index(("suppressed", "cooldown"))
    assert kinds.index("enter") < kinds.index("card") < kinds.index("exit") < returned
    assert kinds.count("card") == 1 and kinds.count("enter") == 1, "the return was not a second enter"
    assert page.query_selector("[data-testid=replay-map] .leaflet-overlay-pane canvas, "
                               "[data-testid=replay-map] .leaflet-overlay-pane svg") is not None

    # The map follows the timeline: the suppressed re-entry is picked on the map with its reason.
    suppressed.click()
    picked = page.wait_for_selector("[data-testid=replay-selected][data-type=suppressed]", timeout=WAIT_MS)
    assert "冷却期内再次进入，未推送" in picked.inner_text()
    tip = page.wait_for_selector("[data-testid=replay-map] .leaflet-tooltip.tip-suppressed", timeout=WAIT_MS)
    assert "冷却期内再次进入" in tip.inner_text()
    shot(page, "console-replay-laptop")
    assert page.errors == []

    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    try:
        log_in(phone, site, MANAGER, at="/#/console/replay")
        phone.wait_for_selector(f"[data-testid=replay-rep] option[value='{rep_id}']", state="attached", timeout=WAIT_MS)
        phone.select_option("[data-testid=replay-rep]", str(rep_id))
        phone.click("[data-testid=replay-run]")
        phone.wait_for_selector(cooldown, timeout=WAIT_MS).click()
        phone.wait_for_selector("[data-testid=replay-selected]", timeout=WAIT_MS)
        shot(phone, "console-replay-phone")
        phone.query_selector(cooldown).scroll_into_view_if_needed()
        shot(phone, "console-replay-timeline-phone")
    finally:
        phone.context.close()
