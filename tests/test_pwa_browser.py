"""The PWA in real headless Chromium against a real server: log in, simulate a location, get the card."""

import os
import shutil

import pytest

from tests.conftest import need_service
from tests.servers import running_server

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        need_service("Chromium", "no chromium on PATH (make test installs Debian's chromium when it can)")
    return path


@pytest.fixture
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


@pytest.fixture
def site(demo_template, tmp_path):
    db_path = tmp_path / "pwa.db"
    db_path.write_bytes(demo_template.read_bytes())
    with running_server(db_path) as srv:
        yield srv["base"]


def test_rep_logs_in_simulates_a_visit_and_reads_the_card(browser, site):
    """Does a rep on a phone-sized screen get the hospital's card, in Chinese, with its reasons?"""
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(site)
    assert page.title().startswith("作战地图")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#field-view:not([hidden])")
    page.wait_for_selector("#conn.ok", timeout=10_000)
    assert page.inner_text("#conn") == "在线"

    page.wait_for_function("document.querySelectorAll('#simulate option').length > 1")
    options = page.eval_on_selector_all("#simulate option", "els => els.map(e => [e.value, e.textContent])")
    hospital = next((value, label) for value, label in options if "医院" in label and value)
    page.select_option("#simulate", hospital[0])
    card = page.wait_for_selector("#popup:not([hidden])", timeout=10_000)
    text = card.inner_text()
    assert hospital[1].split("（")[0] in text
    for heading in ("近三个月采购公告", "关键联系人", "推荐话术", "竞品应对锦囊", "合规提醒", "为什么推荐这些"):
        assert heading in text
    assert "销售代表" in page.inner_text("#who"), "role shown in Chinese, not as a key"
    assert "fence_entered" in text
    assert page.locator("#places li").count() >= 1

    page.click("#lang-toggle")
    assert page.inner_text("[data-i18n=nearby]") == "Nearby clients"
    assert errors == []


def test_wrong_password_is_explained_in_chinese(browser, site):
    page = browser.new_page()
    page.goto(site)
    page.fill("input[name=password]", "wrong")
    page.click("#login-form button[type=submit]")
    page.wait_for_function("document.querySelector('#login-error').textContent.length > 0")
    assert page.inner_text("#login-error") == "邮箱或密码错误"
    assert page.is_hidden("#field-view")
