"""The console's team screens in Chromium: the people of the manager's region filtered, a new rep (the password
rules said at the field, in Chinese), a rep's skill level changed, and the grids with their leader and counts
(issue 9, "Grids, users and teams")."""

from tests.browser_kit import PHONE, WAIT_MS, log_in, shot

MANAGER = "manager@demo.battlemap"


def _rows(page) -> list[str]:
    return page.eval_on_selector_all("[data-testid=user-row]", "els => els.map(e => e.dataset.email)")


def test_a_manager_finds_adds_and_changes_reps_and_sees_the_grids(laptop, browser, site):
    page = laptop
    log_in(page, site, MANAGER, at="/#/console/team")
    page.wait_for_selector("[data-testid=user-list] [data-testid=user-row]", timeout=WAIT_MS)
    everyone = _rows(page)
    assert "rep@demo.battlemap" in everyone and "manager.hz@demo.battlemap" not in everyone
    shot(page, "console-team-laptop")

    page.select_option("[data-testid=user-filter-role]", "rep")
    page.wait_for_function("n => document.querySelectorAll('[data-testid=user-row]').length < n", arg=len(everyone),
                           timeout=WAIT_MS)
    reps = {u["email"] for u in site.get("/users?role=rep", MANAGER)["items"]}
    assert set(_rows(page)) == reps
    page.fill("[data-testid=user-search]", "李明")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=user-row]').length === 1", timeout=WAIT_MS)
    assert _rows(page) == ["rep@demo.battlemap"]
    page.fill("[data-testid=user-search]", "")

    # A new rep: a weak password is explained at the password field, in the manager's language.
    page.click("[data-testid=user-new]")
    form = "[data-testid=user-create]"
    page.wait_for_selector(form, timeout=WAIT_MS)
    page.fill(f"{form} [data-testid=user-name]", "孙磊")
    page.fill(f"{form} [data-testid=user-email]", "rep.sunlei@demo.battlemap")
    page.fill(f"{form} [data-testid=user-password]", "abc")
    page.select_option(f"{form} [data-testid=user-grid]", "sh-pudong")
    page.click(f"{form} [data-testid=user-skill][data-key=intermediate]")
    page.click(f"{form} [data-testid=user-save]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=user-create] [data-testid=field-error]')]"
        ".some(e => e.textContent.includes('至少 10 个字符'))", timeout=WAIT_MS)
    shot(page, "console-team-weak-password-laptop")
    assert not any(u["email"] == "rep.sunlei@demo.battlemap" for u in site.get("/users", MANAGER)["items"])
    page.fill(f"{form} [data-testid=user-password]", "Pudong-east-2026")
    page.click(f"{form} [data-testid=user-save]")
    page.wait_for_selector("[data-testid=user-row][data-email='rep.sunlei@demo.battlemap']", timeout=WAIT_MS)
    [created] = [u for u in site.get("/users", MANAGER)["items"] if u["email"] == "rep.sunlei@demo.battlemap"]
    assert (created["role"], created["grid"], created["skill_level"]) == ("rep", "sh-pudong", "intermediate")

    # A rep's skill level, changed in place.
    rep4 = next(u for u in site.get("/users?role=rep", MANAGER)["items"] if u["email"] == "rep4@demo.battlemap")
    assert rep4["skill_level"] == "junior"
    page.click(f"[data-testid=user-row][data-id='{rep4['id']}']")
    page.wait_for_selector("[data-testid=user-edit]", timeout=WAIT_MS)
    page.click("[data-testid=user-edit] [data-testid=user-skill][data-key=senior]")
    page.click("[data-testid=user-edit] [data-testid=user-save]")
    page.wait_for_selector("[data-testid=user-edit]", state="detached", timeout=WAIT_MS)
    changed = next(u for u in site.get("/users?role=rep", MANAGER)["items"] if u["id"] == rep4["id"])
    assert changed["skill_level"] == "senior"

    # The grids: leader, reps and places; a new one.
    page.click("[data-testid=team-tab-grids]")
    page.wait_for_selector("[data-testid=grid-list] [data-testid=grid-row]", timeout=WAIT_MS)
    for grid in site.get("/grids", MANAGER)["items"]:
        row = page.query_selector(f"[data-testid=grid-row][data-key='{grid['key']}']")
        assert grid["name"] in row.inner_text() and (grid["leader_name"] or "") in row.inner_text()
        assert f"销售 {grid['rep_count']} 人" in row.inner_text()
        assert f"客户 {grid['place_count']} 家" in row.inner_text()
    shot(page, "console-grids-laptop")
    page.click("[data-testid=grid-new]")
    page.fill("[data-testid=grid-key]", "sh-minhang")
    page.fill("[data-testid=grid-name]", "闵行网格")
    manager = next(u for u in site.get("/users?role=manager", MANAGER)["items"] if u["email"] == MANAGER)
    assert page.locator(f"[data-testid=grid-leader] option[value='{rep4['id']}']").count() == 0, "rep4 is in a grid"
    page.select_option("[data-testid=grid-leader]", str(manager["id"]))
    page.fill("[data-testid=grid-limit]", "30000")
    page.click("[data-testid=grid-save]")
    page.wait_for_selector("[data-testid=grid-row][data-key='sh-minhang']", timeout=WAIT_MS)
    [grid] = [g for g in site.get("/grids", MANAGER)["items"] if g["key"] == "sh-minhang"]
    assert (grid["leader"], grid["discount_limit_cny"]) == (manager["id"], 30000)
    assert "周海峰" in page.inner_text("[data-testid=grid-row][data-key='sh-minhang']")
    assert page.errors == []

    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    try:
        log_in(phone, site, MANAGER, at="/#/console/team")
        phone.wait_for_selector("[data-testid=user-row]", timeout=WAIT_MS)
        shot(phone, "console-team-phone")
        phone.click("[data-testid=team-tab-grids]")
        phone.wait_for_selector("[data-testid=grid-row]", timeout=WAIT_MS)
        shot(phone, "console-grids-phone")
    finally:
        phone.context.close()
