"""The manager's insights screen and the rep's onboarding list and coaching card, in real headless Chromium against a
real server (issue 10, "What managers see", "Done means": the dashboard shows the simulated month's charts and the
decided experiment).

The demo database of the other browser tests has no field activity. Here the real simulation runs first:
``flask demo simulate --days 28`` in a subprocess over a copy of the demo database (once per module, ~15 s),
exactly as ``make run`` does, and every test's server starts over its own copy of that simulated file — so
the server never reads a database that is still being written. This module's ``site`` fixture overrides
browser_kit's (``laptop`` and ``phone`` use it unchanged).

Screenshots at 1366×768 and 390×844 land in ``test-artifacts/screenshots/`` (console-insights-*, rep-onboarding-*).
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
import requests

from tests.browser_kit import CJK, PHONE, WAIT_MS, Site, go_offline, shot, wait_online, wait_worker
from tests.conftest import DEMO_PASSWORD
from tests.servers import ROOT, running_server

MANAGER = "manager@demo.battlemap"
ZH = json.loads((ROOT / "locales" / "zh.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def simulated_template(demo_template, tmp_path_factory):
    """The demo database after ``flask demo simulate --days 28`` (the CLI, through the real services)."""
    path = tmp_path_factory.mktemp("simulated") / "simulated.db"
    shutil.copy(demo_template, path)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "BATTLEMAP_CONFIG": "development",
           "SECRET_KEY": "simulate-test", "FLASK_APP": "wsgi"}
    done = subprocess.run([sys.executable, "-m", "flask", "demo", "simulate", "--days", "28"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "winner" in done.stdout, done.stdout
    # SQLite runs in WAL mode: fold the log into the file before the file is copied for each server
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def site(simulated_template, tmp_path):
    """A running server over a copy of the simulated demo (overrides browser_kit's ``site``)."""
    db_path = tmp_path / "insights.db"
    shutil.copy(simulated_template, db_path)
    with running_server(db_path) as srv:
        yield Site(srv["base"], db_path)


def console_login(page, site: Site, email: str = MANAGER) -> None:
    """Log a manager in: the console opens on the insights screen, the first of its menu."""
    page.goto(site.base)
    page.fill("[data-testid=login-email]", email)
    page.fill("[data-testid=login-password]", DEMO_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_selector("[data-testid=insights]", timeout=WAIT_MS)


def chart_points(page, testid: str) -> int:
    """How many values the chart draws (its data-points), once its canvas is there."""
    page.wait_for_selector(f"[data-testid={testid}] canvas", timeout=WAIT_MS)
    return int(page.get_attribute(f"[data-testid={testid}]", "data-points"))


def scroll_to(page, selector: str) -> None:
    page.locator(selector).first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)


def patch(site: Site, path: str, body: dict, email: str = MANAGER) -> requests.Response:
    return requests.patch(f"{site.base}/api/v1{path}", json=body, timeout=10,
                          headers={"Authorization": f"Bearer {site.token(email)}"})


def test_the_dashboard_shows_the_simulated_month_and_the_decided_experiment(laptop, site):
    """Does a manager land on charts of the simulated month, with the decided experiment, its winner and its draft?"""
    numbers = site.get("/insights?region=shanghai&days=28", MANAGER)
    experiments = site.get("/experiments?region=shanghai", MANAGER)["items"]
    decided = [e for e in experiments if e["status"] == "winner"]
    assert len(decided) == 1 and decided[0]["winner"] == "B", "the simulation's truth: B wins the cold-chain track"
    decided = decided[0]
    days_with_cards = [d for d in numbers["cards_over_time"] if d["shown"]]
    assert days_with_cards, "the simulation shows cards"

    console_login(laptop, site)
    laptop.wait_for_selector("[data-testid=insights][data-region=shanghai]", timeout=WAIT_MS)
    # card use over time: a bar and a line per day, a rate on the days with cards
    days = len(numbers["cards_over_time"])
    assert chart_points(laptop, "insights-usage") == 2 * days + len(days_with_cards)
    # the funnel shown → feedback → used → outcome
    assert chart_points(laptop, "insights-funnel") == len(numbers["funnel"]["steps"]) == 4
    kpis = laptop.inner_text("[data-testid=insights-kpis]")
    assert f"{sum(d['shown'] for d in numbers['cards_over_time']):,}" in kpis
    shot(laptop, "console-insights-laptop")

    # the decided experiment: its winner marked, the verdict in words, its promoted draft one click away
    laptop.wait_for_selector(f"[data-testid=experiment][data-id='{decided['id']}']", timeout=WAIT_MS)
    card = laptop.locator(f"[data-testid=experiment][data-id='{decided['id']}']")
    assert card.get_attribute("data-status") == "winner" and card.get_attribute("data-winner") == "B"
    assert laptop.locator("[data-testid=experiment]").count() == len(experiments)
    assert chart_points(laptop, f"experiment-chart-{decided['id']}") == 2 * len(decided["variants"])
    text = card.inner_text()
    assert "胜出版本 B" in text and "已判定胜出" in text
    winner = next(v for v in decided["variants"] if v["variant"] == "B")
    assert f"{winner['exposures']} 次有效曝光中 {winner['successes']} 次成功" in text
    running = next(e for e in experiments if e["status"] == "running")
    status = f"[data-testid=experiment][data-id='{running['id']}'] [data-testid=experiment-status]"
    assert laptop.inner_text(status) == "进行中"
    scroll_to(laptop, "[data-testid=insights-experiments]")
    shot(laptop, "console-insights-experiments-laptop")

    # red/amber/green per rep, and a rep's drill-down to the units and events behind the values
    health = site.get("/health?region=shanghai&days=28", MANAGER)
    assert laptop.locator("[data-testid=health-row]").count() == len(health["reps"]) > 0
    first = health["reps"][0]
    cell = laptop.locator(f"[data-testid=health-row][data-rep-id='{first['rep']['id']}'] [data-testid=health-cell]"
                          "[data-code=card_use]")
    assert cell.get_attribute("data-rag") == next(i["rag"] for i in first["indicators"] if i["code"] == "card_use")
    scroll_to(laptop, "[data-testid=insights-health]")
    shot(laptop, "console-insights-health-laptop")
    laptop.click(f"[data-testid=health-row][data-rep-id='{first['rep']['id']}']")
    laptop.wait_for_selector("[data-testid=rep-drilldown] [data-testid=drill-unit]", timeout=WAIT_MS)
    assert first["rep"]["name"] in laptop.inner_text("[data-testid=rep-drilldown]")
    laptop.click("[data-testid=rep-drilldown] [data-testid=drill-indicator][data-code=visit_notes]")
    detail = site.get(f"/health/reps/{first['rep']['id']}?days=28", MANAGER)
    notes = next(i for i in detail["indicators"] if i["code"] == "visit_notes")
    assert laptop.locator("[data-testid=drill-unit]").count() == len(notes["units"]) > 0
    assert laptop.locator("[data-testid=drill-unit][data-miss=true]").count() == sum(
        u["value"] < notes["threshold"] for u in notes["units"])
    shot(laptop, "console-insights-drilldown-laptop")
    laptop.click("[data-testid=drilldown-close]")

    # the district heat map over the map, and what needs the manager
    heat = laptop.locator("[data-testid=insights-heatmap]")
    assert int(heat.get_attribute("data-points")) == sum(1 for d in numbers["districts"] if d["visits"])
    laptop.click("[data-testid=heat-metric][data-metric=wins]")
    laptop.wait_for_function("document.querySelector('[data-testid=insights-heatmap]').dataset.points == "
                             f"'{sum(1 for d in numbers['districts'] if d['wins'])}'", timeout=WAIT_MS)
    alerts = site.get("/coaching-alerts?region=shanghai", MANAGER)["items"]
    warnings = site.get("/warnings?region=shanghai", MANAGER)["items"]
    assert laptop.locator("[data-testid=coaching-alert]").count() == min(8, len(alerts))
    assert laptop.locator("[data-testid=region-warning]").count() == min(5, len(warnings))
    digests = site.get("/digests?region=shanghai&limit=1", MANAGER)["items"]
    if digests:
        laptop.wait_for_selector(f"[data-testid=digest][data-id='{digests[0]['id']}'] [data-testid=digest-line]",
                                 timeout=WAIT_MS)
    scroll_to(laptop, "[data-testid=insights-map]")
    shot(laptop, "console-insights-map-laptop")
    if alerts:
        laptop.click(f"[data-testid=coaching-alert][data-id='{alerts[0]['id']}'] [data-testid=coaching-alert-ack]")
        laptop.wait_for_selector(f"[data-testid=coaching-alert][data-id='{alerts[0]['id']}'][data-acknowledged=true]",
                                 timeout=WAIT_MS)
        again = site.get("/coaching-alerts?region=shanghai", MANAGER)["items"]
        assert next(a for a in again if a["id"] == alerts[0]["id"])["acknowledged_at"]

    # the winner's draft opens in the packs screen, in review (never published by the loop itself)
    promoted = decided["promoted_version"]
    scroll_to(laptop, f"[data-testid=experiment][data-id='{decided['id']}']")
    laptop.click(f"[data-testid=experiment][data-id='{decided['id']}'] [data-testid=experiment-promoted]")
    laptop.wait_for_selector("[data-testid=review-panel][data-status=in_review]", timeout=WAIT_MS)
    assert f"pack={promoted['pack']}" in laptop.evaluate("location.hash")
    assert f"v={promoted['number']}" in laptop.evaluate("location.hash")
    assert laptop.errors == []


def test_a_running_experiment_takes_the_managers_design_and_refuses_a_broken_one(laptop, site):
    """Can a manager change a running experiment's minimum sample (judged again at once), with a wrong window
    refused under its field, and is a decided experiment's design read-only?"""
    experiments = site.get("/experiments?region=shanghai", MANAGER)["items"]
    running = next(e for e in experiments if e["status"] == "running")
    decided = next(e for e in experiments if e["status"] == "winner")
    console_login(laptop, site)
    laptop.click(f"[data-testid=experiment][data-id='{running['id']}'] [data-testid=experiment-open]")
    laptop.wait_for_selector(f"[data-testid=experiment-detail][data-id='{running['id']}']", timeout=WAIT_MS)

    laptop.fill("[data-testid=design-window]", "0")
    laptop.click("[data-testid=design-save]")
    error = laptop.wait_for_selector("[data-testid=design-error][data-field=window_days]", timeout=WAIT_MS)
    assert "1 到 90" in error.inner_text()
    assert site.get(f"/experiments/{running['id']}", MANAGER)["window_days"] == running["window_days"]

    laptop.fill("[data-testid=design-window]", str(running["window_days"]))
    laptop.fill("[data-testid=design-min]", "500")
    laptop.click("[data-testid=design-save]")
    laptop.wait_for_selector("[data-testid=design-saved]", timeout=WAIT_MS)
    after = site.get(f"/experiments/{running['id']}", MANAGER)
    assert after["min_exposures"] == 500 and after["status"] == "running"
    assert "至少需要 500 次" in laptop.inner_text("[data-testid=experiment-detail-verdict]")
    assert "至少需要 500 次" in laptop.inner_text(f"[data-testid=experiment][data-id='{running['id']}']")
    shot(laptop, "console-insights-design-laptop")
    laptop.click("[data-testid=experiment-close]")

    laptop.click(f"[data-testid=experiment][data-id='{decided['id']}'] [data-testid=experiment-open]")
    laptop.wait_for_selector(f"[data-testid=experiment-detail][data-id='{decided['id']}'] [data-testid=design-decided]",
                             timeout=WAIT_MS)
    assert laptop.is_disabled("[data-testid=design-save]") and laptop.is_disabled("[data-testid=design-min]")
    # the server agrees: a decided experiment keeps its design (422 experiment_decided)
    refused = patch(site, f"/experiments/{decided['id']}", {"min_exposures": 60})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "experiment_decided"
    assert laptop.errors == []


def test_the_dashboard_reads_on_a_phone_and_in_english(browser, site):
    """Does the dashboard fit a phone (charts drawn, no sideways page), and does EN switch its words?"""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        console_login(page, site)
        assert chart_points(page, "insights-usage") > 0
        assert chart_points(page, "insights-funnel") == 4
        page.wait_for_selector("[data-testid=experiment][data-status=winner]", timeout=WAIT_MS)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        shot(page, "console-insights-phone")
        scroll_to(page, "[data-testid=experiment][data-status=winner]")
        shot(page, "console-insights-experiment-phone")
        scroll_to(page, "[data-testid=insights-health]")
        shot(page, "console-insights-health-phone")
        scroll_to(page, "[data-testid=insights-map]")
        shot(page, "console-insights-map-phone")

        page.click("[data-testid=lang-toggle]")
        page.wait_for_function("document.querySelector('[data-testid=insights] h1').textContent.trim() === 'Insights'",
                               timeout=WAIT_MS)
        winner = page.inner_text("[data-testid=experiment][data-status=winner] [data-testid=experiment-verdict]")
        assert "Winner: B" in winner and not CJK.search(winner)
        headings = page.locator("[data-testid=insights] h2").all_inner_texts()
        assert headings and not any(CJK.search(h) for h in headings), headings
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "console-insights-phone-en")
    finally:
        context.close()
    assert errors == []


def test_a_rep_reads_the_onboarding_list_and_a_coaching_card_offline_too(phone, site):
    """Does a new rep find 新人必修 (where each item came from) first under 我的, and a coaching card with its why —
    and both again after a reload without network?"""
    reps = ("rep2@demo.battlemap", "rep@demo.battlemap", "rep3@demo.battlemap", "rep4@demo.battlemap",
            "rep5@demo.battlemap")
    rep = next((email for email in reps if site.get("/coaching", email)["items"]), None)
    assert rep, "the simulation brings at least one rep a coaching card"
    items = site.get("/onboarding", rep)["items"]
    cards = site.get("/coaching", rep)["items"]
    assert items and items[0]["variant"] == "B", "the decided experiment's winner joined the region's collection"

    phone.goto(site.base)
    phone.fill("[data-testid=login-email]", rep)
    phone.fill("[data-testid=login-password]", DEMO_PASSWORD)
    phone.click("[data-testid=login-submit]")
    phone.wait_for_function("window.__battlemap && window.__battlemap.bundle.version", timeout=WAIT_MS)
    wait_online(phone)
    badge = phone.wait_for_selector("[data-testid=tab-me] .van-badge", timeout=WAIT_MS)
    assert int(badge.inner_text()) == len(items) + min(20, len(cards))  # the phone keeps the newest 20 cards
    phone.click("[data-testid=tab-me]")
    phone.wait_for_selector(f"[data-testid=onboarding][data-count='{len(items)}']", timeout=WAIT_MS)
    first = phone.locator(f"[data-testid=onboarding-item][data-id='{items[0]['id']}']")
    assert items[0]["title"] in first.inner_text()
    source = first.locator("[data-testid=onboarding-source]").inner_text()
    win = next(v for v in items[0]["source"]["variants"] if v["variant"] == "B")
    assert f"#{items[0]['source']['experiment']}" in source and f"{win['successes']}" in source and "B 版本" in source
    phone.wait_for_selector(f"[data-testid=coaching-item][data-id='{cards[0]['id']}']", timeout=WAIT_MS)
    shot(phone, "rep-onboarding-phone")

    phone.click(f"[data-testid=coaching-item][data-id='{cards[0]['id']}']")
    card = phone.wait_for_selector(f"[data-testid=coaching-card][data-id='{cards[0]['id']}']", timeout=WAIT_MS)
    why = phone.inner_text("[data-testid=coaching-why]")
    threshold = round(cards[0]["threshold"] * 100)
    assert f"{threshold}%" in why or f"{threshold}％" in why, why
    assert ZH["app"]["rep"]["coaching"]["indicators"][cards[0]["indicator"]] in card.inner_text()
    if cards[0]["component"]:
        assert cards[0]["component"]["item"]["title"] in phone.inner_text("[data-testid=coaching-component]")
    shot(phone, "rep-coaching-card-phone")
    phone.click("[data-testid=coaching-close]")
    phone.wait_for_selector("[data-testid=coaching-card]", state="hidden", timeout=WAIT_MS)

    # kept in IndexedDB: after a reload without network both are still there
    wait_worker(phone)
    go_offline(phone)
    phone.reload()
    phone.wait_for_selector("[data-testid=tab-me]", timeout=WAIT_MS)
    phone.click("[data-testid=tab-me]")
    phone.wait_for_selector(f"[data-testid=onboarding-item][data-id='{items[0]['id']}']", timeout=WAIT_MS)
    phone.wait_for_selector(f"[data-testid=coaching-item][data-id='{cards[0]['id']}']", timeout=WAIT_MS)
    assert phone.errors == []
