"""The manager's console, packs screen, in real headless Chromium against a real server (issue 9, "Done means").

A manager edits a talk-track line in the editor and submits it; the same manager cannot publish it (the second
reviewer's rule, in Chinese); manager2 approves and publishes it, after a confirm that counts the reps who will
hear of it; a rep's open card in another browser context receives ``pack.updated`` and shows the new line.
Screenshots of the list, the editor, the review and the diff at 1366×768 and 390×844 land in
``test-artifacts/screenshots/``.
"""

import json
from pathlib import Path

from tests.browser_kit import PHONE, WAIT_MS, Site, card, log_in, shot, simulate, state, wait_online
from tests.conftest import DEMO_PASSWORD
from tests.servers import ROOT

ZH = json.loads((ROOT / "locales" / "zh.json").read_text(encoding="utf-8"))
MANAGER, MANAGER2 = "manager@demo.battlemap", "manager2@demo.battlemap"


def console_login(page, site: Site, email: str) -> None:
    """Log a manager in, straight onto the console's packs list."""
    page.goto(f"{site.base}/#/console/packs")
    page.fill("[data-testid=login-email]", email)
    page.fill("[data-testid=login-password]", DEMO_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_selector("[data-testid=pack-list] [data-testid=pack-row]", timeout=WAIT_MS)


def open_pack(page, key: str) -> None:
    page.click(f"[data-testid=pack-row][data-key='{key}']")
    page.wait_for_selector("[data-testid=pack-editor]", timeout=WAIT_MS)


def review_status(page, status: str) -> None:
    page.wait_for_selector(f"[data-testid=review-panel][data-status={status}]", timeout=WAIT_MS)


def settled(page) -> None:
    """Let a dialog finish opening or closing (Vant's popups fade for 300 ms) before a screenshot."""
    page.wait_for_timeout(450)


def plain_track_on_card(site: Site, place: dict) -> tuple[str, str, dict]:
    """A talk-track the rep's card for ``place`` shows without A/B variants (so its own lines are on the card)."""
    recipe = site.get("/sync/bundle")["upserts"]["cards"][str(place["id"])]
    for ref in recipe["components"]["talk_tracks"]:
        pack_key, track_id = ref.split("/")[0], ref.split("/")[-1]
        live = site.get(f"/packs/{pack_key}", MANAGER)["live_version"]
        body = site.get(f"/packs/{pack_key}/versions/{live}", MANAGER)["body"]
        track = next(t for t in body["talk_tracks"] if t["id"] == track_id)
        if not track.get("variants"):
            return pack_key, track_id, track
    raise AssertionError(f"every talk-track on the card has A/B variants: {recipe['components']['talk_tracks']}")


def test_an_edit_needs_a_second_manager_and_then_reaches_the_reps_open_card(browser, laptop, phone, site):
    """Does a manager's edit go through review by a different manager and reach a rep's open card?"""
    place = next(p for p in site.places() if p["category"] == "tier3_hospital")
    pack_key, track_id, track = plain_track_on_card(site, place)
    new_line = "主任您好，今天想用十分钟对一下明年超声科的更新计划（控制台修改）"
    assert new_line not in track["lines"]

    log_in(phone, site)
    wait_online(phone)
    simulate(phone, place["id"])
    card(phone, place["id"], "server")
    assert track["lines"][0] in phone.inner_text("[data-testid=popup-card]")
    bundle_before = state(phone, "s.bundle.version")

    # the manager edits the talk-track's first line in the editor
    console_login(laptop, site, MANAGER)
    laptop.wait_for_timeout(300)
    shot(laptop, "console-packs-list-laptop")
    row = laptop.locator(f"[data-testid=pack-row][data-key='{pack_key}']")
    assert "在线 v" in row.inner_text() and "已发布" in row.inner_text()
    open_pack(laptop, pack_key)
    laptop.click(f"[data-testid=outline-item][data-kind=talk_tracks][data-id='{track_id}']")
    laptop.fill("[data-testid=track-line-0]", "")
    laptop.wait_for_selector("[data-testid=validation-state][data-state=invalid]", timeout=WAIT_MS)
    assert "不能为空" in laptop.inner_text("[data-testid=field-lines]"), "the checker's message sits under the line"
    laptop.fill("[data-testid=track-line-0]", new_line)
    laptop.wait_for_selector("[data-testid=validation-state][data-state=valid]", timeout=WAIT_MS)
    laptop.fill("[data-testid=version-note]", "首句改为先约十分钟对更新计划")
    shot(laptop, "console-packs-editor-laptop")
    laptop.click("[data-testid=version-save]")
    review_status(laptop, "draft")
    number = site.get(f"/packs/{pack_key}", MANAGER)["latest_version"]
    draft = site.get(f"/packs/{pack_key}/versions/{number}", MANAGER)
    assert next(t for t in draft["body"]["talk_tracks"] if t["id"] == track_id)["lines"][0] == new_line
    assert draft["status"] == "draft" and draft["based_on"] is not None

    laptop.click("[data-testid=version-submit]")
    review_status(laptop, "in_review")
    assert laptop.is_visible("[data-testid=review-hint]")

    # the same manager cannot publish it: the second reviewer's rule, in the manager's language
    laptop.click("[data-testid=version-publish]")
    laptop.wait_for_selector("[data-testid=publish-confirm]", timeout=WAIT_MS)
    laptop.click("[data-testid=publish-confirm-ok]")
    error = laptop.wait_for_selector("[data-testid=version-error]", timeout=WAIT_MS)
    settled(laptop)
    assert error.inner_text().strip() == ZH["errors"]["second_reviewer_required"]
    shot(laptop, "console-packs-review-refused-laptop")
    assert site.get(f"/packs/{pack_key}/versions/{number}", MANAGER)["status"] == "in_review"

    # manager2 compares, approves and publishes after the confirm with the audience
    other = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page2 = other.new_page()
    page2.errors = []
    page2.on("pageerror", lambda err: page2.errors.append(str(err)))
    try:
        console_login(page2, site, MANAGER2)
        open_pack(page2, pack_key)
        assert page2.locator(f"[data-testid=version-pick][data-number='{number}'].on").count() == 1, \
            "the pack opens on the version under review"
        page2.click("[data-testid=pack-tab-diff]")
        section = f"[data-testid=diff-section][data-key='talk_tracks/{track_id}']"
        diff = page2.wait_for_selector(section, timeout=WAIT_MS)
        assert new_line in diff.inner_text() and track["lines"][0] in diff.inner_text()
        assert page2.locator("[data-testid=diff-view] [data-testid=diff-row][data-type=change]").count() >= 1
        shot(page2, "console-packs-diff-laptop")
        page2.click("[data-testid=pack-tab-review]")
        review_status(page2, "in_review")
        page2.click("[data-testid=version-approve]")
        page2.wait_for_selector("[data-testid=version-done]", timeout=WAIT_MS)
        assert site.get(f"/packs/{pack_key}/versions/{number}", MANAGER2)["approved_by"]["name"]
        page2.click("[data-testid=version-publish]")
        reach = page2.wait_for_selector("[data-testid=publish-audience]", timeout=WAIT_MS)
        assert int(reach.get_attribute("data-reps")) >= 1 and int(reach.get_attribute("data-online")) >= 1, \
            "the open rep page counts as online"
        assert "位销售收到这次更新" in reach.inner_text()
        settled(page2)
        shot(page2, "console-packs-publish-confirm-laptop")
        page2.click("[data-testid=publish-confirm-ok]")
        review_status(page2, "published")
        settled(page2)
        shot(page2, "console-packs-review-laptop")
        assert page2.errors == []
    finally:
        other.close()

    # the rep's open card gets pack.updated and shows the new line
    phone.wait_for_function(f"window.__battlemap.bundle.version !== '{bundle_before}'", timeout=WAIT_MS)
    shows_line = f"document.querySelector('[data-testid=popup-card]').innerText.includes({json.dumps(new_line)})"
    phone.wait_for_function(shows_line, timeout=WAIT_MS)
    shot(phone, "console-packs-rep-card-after-publish")
    actions = [e["action"] for e in site.get(f"/audit?pack={pack_key}", MANAGER)["items"]]
    assert {"version.created", "version.submitted", "version.published"} <= set(actions)
    assert laptop.errors == [] and phone.errors == []


def test_the_packs_screens_fit_a_phone(browser, site):
    """Are the list, the editor, the review and the diff usable at 390×844 (nothing wider than the screen)?"""
    body = site.get("/packs/procurement-led-hospitals/versions/1", MANAGER)["body"]
    body["talk_tracks"][0]["lines"][0] += "（手机截图用修改）"
    body["counters"] = body["counters"][1:]
    created = site.post("/packs/procurement-led-hospitals/versions", {"body": body, "note": "手机截图"}, MANAGER)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    try:
        console_login(page, site, MANAGER)

        def fits(name: str) -> None:
            page.wait_for_timeout(400)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name}: the page is {width}px wide"
            shot(page, name)

        fits("console-packs-list-phone")
        open_pack(page, "procurement-led-hospitals")
        page.select_option("[data-testid=editor-outline]", "talk_tracks:0")
        page.wait_for_selector("[data-testid=editor-form][data-kind=talk_tracks]", timeout=WAIT_MS)
        fits("console-packs-editor-phone")
        page.click("[data-testid=pack-tab-review]")
        review_status(page, "draft")
        assert page.is_visible("[data-testid=version-submit]")
        fits("console-packs-review-phone")
        page.click("[data-testid=pack-tab-diff]")
        page.wait_for_selector("[data-testid=diff-section]", timeout=WAIT_MS)
        assert page.get_attribute("[data-testid=diff-view]", "data-to") == str(created["number"])
        assert page.locator("[data-testid=diff-section][data-status=removed]").count() == 1
        fits("console-packs-diff-phone")
        assert page.errors == []
    finally:
        context.close()


def _new_version(site: Site, key: str, edit, email: str = MANAGER) -> int:
    live = site.get(f"/packs/{key}", email)["live_version"]
    body = site.get(f"/packs/{key}/versions/{live}", email)["body"]
    edit(body)
    return site.post(f"/packs/{key}/versions", {"body": body, "note": "浏览器测试"}, email)["number"]


def test_a_reviewer_comments_and_rejects_the_author_reimports_yaml_and_a_version_is_rolled_back(laptop, site):
    """Review comments per component, a rejection with its reason in the history, YAML out and back in as a new
    draft, and a rollback to the version that was live before — all from the screen."""
    key = "community-retail"
    track = site.get(f"/packs/{key}/versions/1", MANAGER)["body"]["talk_tracks"][0]
    n = _new_version(site, key, lambda b: b["talk_tracks"][0]["lines"].append("老板，冷柜的电费我们按月给您算一笔账。"))
    site.post(f"/packs/{key}/versions/{n}/submit", {}, MANAGER)

    console_login(laptop, site, MANAGER2)
    open_pack(laptop, key)
    laptop.click("[data-testid=pack-tab-review]")
    review_status(laptop, "in_review")
    laptop.select_option("[data-testid=comment-component]", track["id"])
    laptop.fill("[data-testid=comment-body]", "电费要按门店实际电价算，别给固定数字。")
    laptop.click("[data-testid=comment-add]")
    laptop.wait_for_selector("[data-testid=review-comment]", timeout=WAIT_MS)
    comments = site.get(f"/packs/{key}/versions/{n}/comments", MANAGER)["items"]
    assert [c["component_id"] for c in comments] == [track["id"]]
    shown = laptop.inner_text("[data-testid=review-comment]")
    assert track["title"] in shown and comments[0]["author"]["name"] in shown

    laptop.click("[data-testid=version-reject]")
    laptop.fill("[data-testid=reject-reason]", "电费口径需与合规提示一致")
    laptop.click("[data-testid=reject-confirm]")
    review_status(laptop, "rejected")
    laptop.click("[data-testid=pack-tab-history]")
    entry = laptop.wait_for_selector("[data-testid=audit-entry][data-action='version.rejected']", timeout=WAIT_MS)
    assert "驳回" in entry.inner_text() and "电费口径需与合规提示一致" in entry.inner_text()
    shot(laptop, "console-packs-history-laptop")

    laptop.click("[data-testid=pack-tab-edit]")
    laptop.click(f"[data-testid=outline-item][data-kind=talk_tracks][data-id='{track['id']}']")
    assert "电费要按门店实际电价算" in laptop.inner_text("[data-testid=editor-comments]"), "the editor shows it"

    with laptop.expect_download() as info:
        laptop.click("[data-testid=version-export]")
    download = info.value
    assert download.suggested_filename == f"{key}.yaml"
    exported = Path(download.path()).read_text(encoding="utf-8")
    assert f"id: {key}" in exported and "老板，冷柜的电费" in exported

    laptop.click("[data-testid=version-import]")
    edited = exported.replace("老板，冷柜的电费我们按月给您算一笔账。", "老板，冷柜电费按您店里的实际电价算。")
    laptop.fill("[data-testid=yaml-text]", edited)
    laptop.click("[data-testid=yaml-check]")
    laptop.wait_for_selector("[data-testid=yaml-store]:not([disabled])", timeout=WAIT_MS)
    settled(laptop)
    shot(laptop, "console-packs-yaml-import-laptop")
    laptop.click("[data-testid=yaml-store]")
    review_status(laptop, "draft")
    latest = site.get(f"/packs/{key}", MANAGER)["latest_version"]
    assert latest == n + 1
    body = site.get(f"/packs/{key}/versions/{latest}", MANAGER)["body"]
    assert body["talk_tracks"][0]["lines"][-1] == "老板，冷柜电费按您店里的实际电价算。"

    # a bad YAML is explained, not stored
    laptop.click("[data-testid=version-import]")
    laptop.fill("[data-testid=yaml-text]", "id: community-retail\nname: [unclosed")
    laptop.click("[data-testid=yaml-check]")
    assert "YAML 格式有误" in laptop.wait_for_selector("[data-testid=yaml-problems]", timeout=WAIT_MS).inner_text()
    assert laptop.is_disabled("[data-testid=yaml-store]")
    laptop.keyboard.press("Escape")
    laptop.click("[data-testid=yaml-import] .van-popup__close-icon")

    # roll back: v1 was live before a published v(n+2)
    m = _new_version(site, key, lambda b: b["talk_tracks"][0]["lines"].append("老板，展柜以旧换新可以抵 800 元。"))
    site.post(f"/packs/{key}/versions/{m}/submit", {}, MANAGER)
    site.post(f"/packs/{key}/versions/{m}/publish", {}, MANAGER2)
    laptop.reload()
    laptop.wait_for_selector("[data-testid=version-pick][data-number='1']", timeout=WAIT_MS)
    laptop.click("[data-testid=version-pick][data-number='1']")
    laptop.click("[data-testid=pack-tab-review]")
    review_status(laptop, "superseded")
    laptop.click("[data-testid=version-rollback]")
    laptop.wait_for_selector("[data-testid=publish-audience]", timeout=WAIT_MS)
    laptop.click("[data-testid=publish-confirm-ok]")
    review_status(laptop, "published")
    assert site.get(f"/packs/{key}", MANAGER)["live_version"] == 1
    assert laptop.errors == []


def test_a_counter_taken_from_another_pack_is_a_copy_with_its_provenance(laptop, site):
    """Does "take from another pack" copy a component in with a new id and where it came from, kept on save?"""
    source_key, key = "private-hospital-dense", "procurement-led-hospitals"
    source = site.get(f"/packs/{source_key}/versions/1", MANAGER)["body"]["counters"][0]
    console_login(laptop, site, MANAGER)
    open_pack(laptop, key)
    laptop.click("[data-testid=component-take]")
    laptop.select_option("[data-testid=picker-kind]", "counters")
    item = laptop.wait_for_selector(f"[data-testid=picker-item][data-id='{source['id']}']", timeout=WAIT_MS)
    settled(laptop)
    shot(laptop, "console-packs-take-component-laptop")
    item.query_selector("[data-testid=picker-take]").click()
    provenance = laptop.wait_for_selector("[data-testid=copied-from]", timeout=WAIT_MS)
    assert source_key in provenance.inner_text() and source["id"] in provenance.inner_text()
    laptop.wait_for_selector("[data-testid=validation-state][data-state=valid]", timeout=WAIT_MS)
    laptop.click("[data-testid=version-save]")
    review_status(laptop, "draft")
    number = site.get(f"/packs/{key}", MANAGER)["latest_version"]
    counters = site.get(f"/packs/{key}/versions/{number}", MANAGER)["body"]["counters"]
    copy = next(c for c in counters if c.get("copied_from"))
    assert copy["id"] != source["id"] and copy["id"].startswith("pl-")
    assert copy["copied_from"] == {"pack": source_key, "version": 1, "id": source["id"]}
    assert copy["competitor"] == source["competitor"]
    laptop.click("[data-testid=pack-tab-diff]")
    added = laptop.wait_for_selector(f"[data-testid=diff-section][data-key='counters/{copy['id']}']", timeout=WAIT_MS)
    assert added.get_attribute("data-status") == "added" and source_key in added.inner_text()
    assert laptop.errors == []
