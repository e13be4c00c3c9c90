"""Privacy in real Chromium (docs/privacy.md): the contact's own page withdraws consent without login; the rep's
location switch stops the fixes and says so."""

import json
from pathlib import Path

from tests.browser_kit import WAIT_MS, card, log_in, shot, simulate, state


def test_the_contact_withdraws_consent_on_their_own_page(phone, site):
    """Does a contact's link open (no login) on what is held, and does a withdrawal record and hide the data?"""
    hospital = next(p for p in site.places() if p["category"] == "tier3_hospital")
    (contact_id, background), = site.rows(
        "SELECT id, background FROM contacts WHERE place_id = ? AND consent ORDER BY id LIMIT 1", hospital["id"])
    link = site.post(f"/contacts/{contact_id}/link", {}, email="rep@demo.battlemap")
    phone.goto(site.base + link["url"])
    page = phone.wait_for_selector("[data-testid=contact-held]", timeout=WAIT_MS)
    assert background[:12] in page.inner_text()
    assert phone.locator("[data-testid=login-email]").count() == 0, "no login on the contact's page"
    purpose = "[data-testid=contact-purpose][data-purpose=visit_card]"
    assert phone.get_attribute(purpose, "data-granted") == "true"
    shot(phone, "privacy-01-contact-page")
    phone.click(f"{purpose} [data-testid=withdraw]")
    phone.wait_for_selector(f"{purpose}[data-granted=false]", timeout=WAIT_MS)
    shot(phone, "privacy-02-contact-withdrawn")
    newest = site.rows("SELECT purpose, granted, channel, recorded_by_id FROM contact_consents "
                       "WHERE contact_id = ? ORDER BY id DESC LIMIT 1", contact_id)
    assert newest == [("visit_card", 0, "contact_page", None)]
    shown = next(c for c in site.get(f"/places/{hospital['id']}")["context"]["contacts"] if c["id"] == contact_id)
    assert shown["background"] is None and shown["phone_masked"] is None
    phone.goto(site.base + link["url"] + "x")
    assert phone.wait_for_selector("[data-testid=contact-error]", timeout=WAIT_MS).get_attribute("data-code") \
        == "link_invalid"
    assert phone.errors == []


def test_the_reps_switch_off_sends_no_fix_and_shows_it(phone, site):
    """Off in the Me tab: is the indicator on the strip, and does a simulated visit send nothing (no card)?"""
    a = next(p for p in site.places() if p["category"] == "tier3_hospital")
    log_in(phone, site)
    phone.click("[data-testid=tab-me]")
    phone.click("[data-testid=location-switch]")
    phone.wait_for_selector("[data-testid=duty-indicator][data-state=location_off]", timeout=WAIT_MS)
    assert site.get("/auth/me/duty")["location_on"] is False
    assert "van-switch--on" not in phone.get_attribute("[data-testid=location-switch]", "class")
    phone.wait_for_timeout(400)  # the switch's slide
    shot(phone, "privacy-03-location-off")
    with phone.expect_download() as download:
        phone.click("[data-testid=export-locations]")
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["rep"]["name"] == "李明" and exported["duty"]["location_on"] is False
    phone.click("[data-testid=tab-nearby]")
    simulate(phone, a["id"])
    phone.wait_for_timeout(800)
    assert phone.locator("[data-testid=popup-card]").count() == 0
    assert state(phone, "s.field.drop") == "location_off"
    assert site.rows("SELECT count(*) FROM rep_fixes WHERE crs = 'wgs84'") == [(0,)]
    phone.click("[data-testid=tab-me]")
    phone.click("[data-testid=location-switch]")
    phone.wait_for_selector("[data-testid=duty-indicator]", state="detached", timeout=WAIT_MS)
    phone.click("[data-testid=tab-nearby]")
    simulate(phone, a["id"])
    card(phone, a["id"])
    assert phone.errors == []
