"""Does tests/fixtures/why_render.json still say what app/i18n.py renders? (The client is held to it.)"""

import json

from scripts.make_why_fixture import OUT, build


def test_the_checked_in_renderings_are_the_servers():
    assert json.loads(OUT.read_text(encoding="utf-8")) == build(), (
        "the server's why rendering or the catalogues changed: run scripts/make_why_fixture.py and make "
        "pwa/src/core/why.js agree")


def test_english_renderings_name_codes_in_english():
    en = build()["rendered"]["en"]
    assert "Procurement-led" in en[1] and "Tier-3 (grade A) hospital" in en[3]
    assert "negotiation" in en[6].lower() and "1,250,000" in en[12]
