"""The console's rules and preview in Chromium: a rule made in the no-code editor changes the card the preview
shows, and a rule pointing at another region's pack is refused in words (issue 9, "Rules and preview")."""

import json

from tests.browser_kit import PHONE, WAIT_MS, log_in, shot

MANAGER = "manager@demo.battlemap"
RULE_NAME = "三甲医院·先见招标采购办（控制台测试）"
PERSONA_ID = "pl-persona-procurement-officer"


def _hospital(site) -> dict:
    """A Shanghai tier-3 hospital in a procurement-led zone (its pack is procurement-led-hospitals)."""
    items = site.get("/places?lat=31.2304&lon=121.4737&radius_m=50000")["items"]
    return next(p for p in items
                if p["category"] == "tier3_hospital" and (p["zone"] or {}).get("type") == "procurement_led")


def _rep(site, email: str = "rep@demo.battlemap") -> dict:
    return next(u for u in site.get("/users?role=rep", MANAGER)["items"] if u["email"] == email)


def _persona_title(site) -> str:
    body = site.get(f"/packs/procurement-led-hospitals/versions/{_live(site)}", MANAGER)["body"]
    return next(p["title"] for p in body["personas"] if p["id"] == PERSONA_ID)


def _live(site) -> int:
    packs = site.get("/packs?region=shanghai", MANAGER)["items"]
    return next(p["live_version"] for p in packs if p["id"] == "procurement-led-hospitals")


def _open(page, screen: str) -> None:
    page.click(f"[data-testid=console-nav-{screen}]")


def _preview(page, rep_id: int, place_id: int):
    _open(page, "preview")
    page.wait_for_selector(f"[data-testid=preview-rep] option[value='{rep_id}']", state="attached", timeout=WAIT_MS)
    page.select_option("[data-testid=preview-rep]", str(rep_id))
    page.click(f"[data-testid=preview-place][data-place-id='{place_id}']")
    return page.wait_for_selector(f"[data-testid=preview-card][data-place-id='{place_id}'][data-rep-id='{rep_id}']",
                                  timeout=WAIT_MS)


def test_a_rule_made_in_the_editor_changes_what_the_preview_shows(laptop, browser, site):
    hospital, rep = _hospital(site), _rep(site)
    persona = _persona_title(site)
    page = laptop
    log_in(page, site, MANAGER, at="/#/console/preview")

    # Before: the default selection; nothing is recorded, and the screen says so.
    card = _preview(page, rep["id"], hospital["id"])
    assert "不会留下任何记录" in page.inner_text("[data-testid=preview-nothing-recorded]")
    assert card.query_selector("[data-testid=popup-why]") is not None
    assert RULE_NAME not in card.inner_text()
    before_popups = site.rows("SELECT COUNT(*) FROM popups")[0][0]

    # The rule, made with the editor's controls only.
    _open(page, "rules")
    page.wait_for_selector("[data-testid=rule-editor] [data-testid=rule-row]", timeout=WAIT_MS)
    shot(page, "console-rules-laptop")
    page.click("[data-testid=rule-new]")
    form = page.wait_for_selector("[data-testid=rule-form]", timeout=WAIT_MS)
    page.fill("[data-testid=rule-name]", RULE_NAME)
    page.fill("[data-testid=rule-priority]", "1")
    page.click("[data-testid=rule-category][data-key=tier3_hospital]")
    page.click("[data-testid=rule-zone-type][data-key=procurement_led]")
    assert "客户类型为三甲医院" in page.inner_text("[data-testid=rule-summary]")
    block = "[data-testid=rule-show-block][data-index='0']"
    page.select_option(f"{block} [data-testid=rule-show-kind]", "personas")
    page.select_option(f"{block} [data-testid=rule-show-pack]", "procurement-led-hospitals")
    page.select_option(f"{block} [data-testid=rule-show-add]", PERSONA_ID)
    page.wait_for_selector(f"{block} [data-testid=rule-show-item][data-id='{PERSONA_ID}']", timeout=WAIT_MS)
    shot(page, "console-rule-editor-laptop")
    # A budget range upside down is explained at the control, before anything is sent.
    page.fill("[data-testid=rule-budget-min]", "5000000")
    page.fill("[data-testid=rule-budget-max]", "1000000")
    page.wait_for_selector("[data-testid=field-error]:has-text('预算下限不能高于上限')", timeout=WAIT_MS)
    page.fill("[data-testid=rule-budget-min]", "")
    page.fill("[data-testid=rule-budget-max]", "")
    page.wait_for_selector("[data-testid=field-error]", state="detached", timeout=WAIT_MS)
    page.locator(block).scroll_into_view_if_needed()
    shot(page, "console-rule-editor-show-laptop")
    page.click("[data-testid=rule-save]")
    page.wait_for_selector("[data-testid=rule-saved]", timeout=WAIT_MS)
    assert form.get_attribute("data-id")
    [stored] = [r for r in site.get("/rules", MANAGER)["items"] if r["name"] == RULE_NAME]
    assert stored["conditions"] == {"zone_types": ["procurement_led"], "place": {"categories": ["tier3_hospital"]}}
    assert stored["show"] == [{"pack": "procurement-led-hospitals", "kind": "personas", "ids": [PERSONA_ID]}]
    assert page.locator(f"[data-testid=rule-row][data-id='{stored['id']}']").count() == 1

    # After: the same question, the rule's card — its persona, and the rule named in why.
    _open(page, "preview")
    page.wait_for_function(
        "name => [...document.querySelectorAll('[data-testid=preview-card] [data-testid=popup-why] li')]"
        ".some(li => li.textContent.includes(name))", arg=RULE_NAME, timeout=WAIT_MS)
    card = page.query_selector("[data-testid=preview-card]")
    personas = card.query_selector("[data-testid=popup-personas]").inner_text()
    assert persona in personas
    assert card.query_selector("[data-testid=feedback-helpful]") is None, "a preview has no rep actions"
    assert site.rows("SELECT COUNT(*) FROM popups")[0][0] == before_popups, "a preview records nothing"
    shot(page, "console-preview-laptop")
    assert page.errors == []

    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    try:
        log_in(phone, site, MANAGER, at="/#/console/rules")
        phone.wait_for_selector("[data-testid=rule-row]", timeout=WAIT_MS)
        shot(phone, "console-rules-phone")
        phone.click(f"[data-testid=rule-row][data-id='{stored['id']}'] button.open")
        phone.wait_for_selector("[data-testid=rule-form]", timeout=WAIT_MS)
        shot(phone, "console-rule-editor-phone")
        _preview(phone, rep["id"], hospital["id"])
        phone.wait_for_function(
            "name => document.querySelector('[data-testid=preview-card]')?.textContent.includes(name)",
            arg=RULE_NAME, timeout=WAIT_MS)
        shot(phone, "console-preview-phone")
        phone.query_selector("[data-testid=preview-card]").scroll_into_view_if_needed()
        shot(phone, "console-preview-card-phone")
    finally:
        phone.context.close()


def test_a_rule_showing_another_regions_pack_is_refused_in_words(laptop, site):
    """A Shanghai rule that points at Hangzhou's pack (as could be stored before the check existed) cannot be
    saved by a Shanghai manager: the editor says why, without naming the other region's pack."""
    show = [{"pack": "hangzhou-medical-hub", "kind": "talk_tracks", "ids": ["hzm-tt-prospecting-intent"]}]
    site.rows("INSERT INTO trigger_rules (region_id, name, event, conditions, show, priority, enabled, updated_at) "
              "SELECT id, ?, 'enter_place', ?, ?, 50, 1, CURRENT_TIMESTAMP FROM regions WHERE key = 'shanghai'",
              "三甲医院·借用杭州话术", json.dumps({"place": {"categories": ["tier3_hospital"]}}), json.dumps(show))
    [rule] = [r for r in site.get("/rules", MANAGER)["items"] if r["name"] == "三甲医院·借用杭州话术"]
    page = laptop
    log_in(page, site, MANAGER, at="/#/console/rules")
    page.click(f"[data-testid=rule-row][data-id='{rule['id']}'] button.open")
    page.wait_for_selector(f"[data-testid=rule-form][data-id='{rule['id']}']", timeout=WAIT_MS)
    page.fill("[data-testid=rule-priority]", "40")
    page.click("[data-testid=rule-save]")
    refusal = page.wait_for_selector("[data-testid=rule-error]", timeout=WAIT_MS).inner_text()
    assert "不属于你所管区域" in refusal
    assert "hangzhou" not in refusal.lower() and "杭州" not in refusal
    assert page.query_selector("[data-testid=rule-saved]") is None
    [after] = [r for r in site.get("/rules", MANAGER)["items"] if r["id"] == rule["id"]]
    assert after["priority"] == 50, "nothing was saved"
    shot(page, "console-rule-refused-laptop")
