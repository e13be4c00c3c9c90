"""The 3-option solution comparison."""

import pytest

from tests.test_auth import assert_error_shape

OPTION_FIELDS = {"name", "total_price", "cost_breakdown", "delivery_days", "service_commitments", "fit_score", "why"}


def compare(client, auth, **payload):
    return client.post("/api/v1/solutions/compare", json=payload, headers=auth.headers("guide@demo.battlemap"))


def known_needs(app, category: str, count: int = 2) -> list[str]:
    from app.extensions import db
    from app.models import Product

    with app.app_context():
        needs = []
        for product in db.session.query(Product).filter_by(category=category).order_by(Product.price_cny):
            needs += [n for n in product.needs if n not in needs]
        return needs[:count]


def test_compare_returns_three_distinct_options(client, auth, app):
    """Does a guide get exactly three options, each explained, within budget, covering the needs?"""
    needs = known_needs(app, "retail")
    response = compare(client, auth, budget_min=20_000, budget_max=300_000, needs=needs)
    assert response.status_code == 200, response.get_json()
    options = response.get_json()["options"]
    assert len(options) == 3
    for option in options:
        assert OPTION_FIELDS <= set(option)
        assert option["cost_breakdown"]
        assert sum(i["amount"] for i in option["cost_breakdown"]) == option["total_price"]
        assert option["total_price"] <= 300_000
        assert option["delivery_days"] > 0
        assert 0 <= option["fit_score"] <= 100
        assert option["why"] and all(w["rule"] and w["detail"] and "facts" in w for w in option["why"])
        assert set(option["covered_needs"]) == set(needs)
    signatures = {frozenset(i["sku"] for i in o["cost_breakdown"]) for o in options}
    assert len(signatures) == 3
    assert [o["key"] for o in options] == ["economy", "standard", "premium"]
    totals = [o["total_price"] for o in options]
    assert totals[0] < totals[1] < totals[2], "prices rise economy → standard → premium"
    tiers = [o["spend_weighted_tier"] for o in options]
    assert tiers[0] <= tiers[1] <= tiers[2], "and so does the spend-weighted tier"


def test_compare_respects_category(client, auth, app):
    from app.extensions import db
    from app.models import Product

    response = compare(client, auth, budget_min=50_000, budget_max=2_000_000,
                       needs=known_needs(app, "medical"), category="tier3_hospital")
    assert response.status_code == 200
    with app.app_context():
        fits = {p.sku: p.fits_categories for p in db.session.query(Product)}
    for option in response.get_json()["options"]:
        for item in option["cost_breakdown"]:
            assert not fits[item["sku"]] or "tier3_hospital" in fits[item["sku"]]


def test_a_need_nothing_covers_is_an_honest_error_not_three_empty_options(client, auth):
    """Does a need no product covers get a clear no_fit answer naming it, instead of ¥0 options?"""
    response = compare(client, auth, budget_min=1000, budget_max=50_000, needs=["火星快递"])
    error = assert_error_shape(response, 422, "no_fit")
    assert error["closest"]["uncoverable_needs"] == ["火星快递"]
    assert any("火星快递" in reason for reason in error["fields"]["budget_max"])
    assert all(o["total_price"] > 0 for o in error["options"])


def test_a_short_budget_says_how_much_more_would_cover_the_needs(client, auth, app):
    """Below the cheapest full cover, does the answer say "再加 ¥N 可覆盖全部需求"?"""
    needs = known_needs(app, "medical", 3)
    response = compare(client, auth, budget_min=0, budget_max=1000, needs=needs)
    error = assert_error_shape(response, 422, "no_fit")
    extra = error["closest"]["extra_cny"]
    assert extra and extra > 0
    assert any(f"再加 ¥{extra:,} 可覆盖全部需求" in w["detail"] for w in error["why"])


def test_option_why_speaks_the_callers_language(client, auth, app):
    needs = known_needs(app, "retail")
    body = compare(client, auth, budget_min=20_000, budget_max=300_000, needs=needs, locale="en").get_json()
    assert [o["name"] for o in body["options"]] == ["Value", "Balanced", "Premium care"]
    assert all("Covers" in o["why"][0]["detail"] for o in body["options"])


def test_no_two_promises_in_an_option_contradict(client, auth, app):
    needs = known_needs(app, "medical", 4)
    body = compare(client, auth, budget_min=100_000, budget_max=3_000_000, needs=needs).get_json()
    for option in body["options"]:
        seen = {}
        for p in option["promises"]:
            key = (p["covers"], p["kind"])
            assert p["kind"] == "other" or key not in seen, f"{p['text']} contradicts {seen.get(key)}"
            seen[key] = p["text"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"budget_min": -1, "budget_max": 100}, "budget_min"),
        ({"budget_min": 100, "budget_max": -5}, "budget_max"),
        ({"budget_min": 500, "budget_max": 100}, "budget_min"),
    ],
)
def test_negative_or_inverted_budget_is_422(client, auth, payload, field):
    error = assert_error_shape(compare(client, auth, **payload), 422, "invalid_values")
    assert field in error["fields"]


def test_missing_budget_is_400(client, auth):
    error = assert_error_shape(compare(client, auth, budget_max=100), 400, "malformed_request")
    assert "budget_min" in error["fields"]


def test_unknown_category_is_422(client, auth):
    error = assert_error_shape(compare(client, auth, budget_min=1, budget_max=10, category="moon_base"), 422)
    assert "category" in error["fields"]


def test_guide_gets_shopper_talk_tracks_with_the_options(client, auth):
    """Does the guide also get the talk-track for this kind of shopper, chosen by category and explained?"""
    body = compare(client, auth, budget_min=5_000, budget_max=80_000, needs=["收银"],
                   category="ka_supermarket").get_json()
    assert body["talk_tracks"], "the KA pack speaks to guides"
    assert all({"id", "title", "stage", "lines", "objections"} <= set(t) for t in body["talk_tracks"])
    category = next(w for w in body["talk_track_why"] if w["rule"] == "place_category")
    assert category["facts"] == {"category": "ka_supermarket"}
    assert category["detail"] == "客户类型为KA超市", "rendered in the guide's locale"


def test_shopper_why_follows_the_guides_locale(client, auth):
    headers = auth.headers("guide@demo.battlemap")
    assert client.patch("/api/v1/auth/me", json={"locale": "en"}, headers=headers).status_code == 200
    body = compare(client, auth, budget_min=5_000, budget_max=80_000, needs=["收银"],
                   category="ka_supermarket").get_json()
    details = {w["rule"]: w["detail"] for w in body["talk_track_why"]}
    assert details["place_category"] == "Client type: KA supermarket"


def test_budget_rule_picks_the_shopper_talk_track(client, auth, no_rules):
    """A manager's budget_entered rule decides the guide's talk-track once the budget is high enough."""
    from content_packs import load_all

    pack = next(p for p in load_all() if p["id"] == "ka-retail-core")
    fits_guide = [t for t in pack["talk_tracks"] if "intermediate" in t.get("skill_levels", ["intermediate"])]
    last = fits_guide[-1]["id"]  # the demo guide is intermediate
    rule = {"name": "大单预算：先讲旗舰方案", "region": "shanghai", "event": "budget_entered",
            "conditions": {"place": {"categories": ["ka_supermarket"], "budget_min": 200_000}},
            "show": [{"pack": "ka-retail-core", "kind": "talk_tracks", "ids": [last]}]}
    created = client.post("/api/v1/rules", json=rule, headers=auth.headers("manager@demo.battlemap"))
    assert created.status_code == 201, created.get_json()
    big = compare(client, auth, budget_min=100_000, budget_max=300_000, needs=["收银"],
                  category="ka_supermarket").get_json()
    small = compare(client, auth, budget_min=5_000, budget_max=50_000, needs=["收银"],
                    category="ka_supermarket").get_json()
    assert [t["id"] for t in big["talk_tracks"]] == [last]
    [fired] = [w for w in big["talk_track_why"] if w["rule"] == "trigger_rule"]
    assert fired["rule_id"] == created.get_json()["id"]
    assert fired["facts"]["conditions"] == [{"code": "category", "category": "ka_supermarket"},
                                            {"code": "budget", "budget_cny": 300_000}]
    assert "客户类型为KA超市；客户预算¥300,000" in fired["detail"]
    assert not any(w["rule"] == "trigger_rule" for w in small["talk_track_why"])


# ── talk-tracks for the shopper in front of the guide (shopper types, home-health-counter pack) ─────────────

COUNTER_ASK = {"budget_min": 3_000, "budget_max": 6_000, "needs": ["家用", "高血压"],
               "counter_type": "ka_supermarket_counter"}


@pytest.mark.parametrize("category", ["ka_supermarket", None], ids=["ka-counter", "no-category"])
def test_the_shoppers_type_picks_the_guides_talk_track(client, auth, category):
    """Does a chronic-care shopper get the chronic-care track first, a parent's child another, both explained?"""
    chronic = compare(client, auth, **COUNTER_ASK, category=category, shopper_type="chronic_self_care")
    assert chronic.status_code == 200, chronic.get_json()
    chronic = chronic.get_json()
    assert chronic["talk_tracks"][0]["id"] == "hh-tt-chronic-accuracy-cost"
    [said] = [w for w in chronic["talk_track_why"] if w["rule"] == "shopper_type"]
    assert said["facts"] == {"shopper_type": "chronic_self_care", "specific": 1}
    assert said["detail"] == "顾客类型为慢病自用，优先展示1条针对该类顾客的话术", "named, in the guide's locale"

    parents = compare(client, auth, **COUNTER_ASK, category=category, shopper_type="buying_for_parents").get_json()
    assert parents["talk_tracks"][0]["id"] == "hh-tt-parents-easy-use"
    ids = [t["id"] for t in parents["talk_tracks"]]
    assert "hh-tt-chronic-accuracy-cost" not in ids, "a track made only for another shopper type is left out"
    assert any(w["facts"].get("shopper_type") == "buying_for_parents" for w in parents["talk_track_why"])


def test_the_shopper_type_why_follows_the_guides_locale(client, auth):
    headers = auth.headers("guide@demo.battlemap")
    assert client.patch("/api/v1/auth/me", json={"locale": "en"}, headers=headers).status_code == 200
    body = compare(client, auth, **COUNTER_ASK, shopper_type="post_op_recovery").get_json()
    assert body["talk_tracks"][0]["id"] == "hh-tt-post-op-service"
    details = {w["rule"]: w["detail"] for w in body["talk_track_why"]}
    assert details["shopper_type"] == "Shopper type: Post-op recovery; 1 talk-tracks made for this shopper come first"
