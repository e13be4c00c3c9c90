"""Sharing a comparison with the shopper: a public, read-only snapshot without personal data, for 7 days."""

import json
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import ComparisonShare, User, utcnow
from tests.test_auth import assert_error_shape

GUIDE = "guide@demo.battlemap"
BODY = {"budget_min": 3_000, "budget_max": 6_000, "needs": ["家用", "高血压"],
        "counter_type": "ka_supermarket_counter", "shopper_type": "buying_for_parents"}


def share(client, auth, body=BODY, headers=None):
    return client.post("/api/v1/solutions/shares", json=body, headers=headers or auth.headers(GUIDE))


def test_a_guide_shares_a_comparison_and_the_shopper_reads_it_without_login(client, auth):
    """Does the share hold the same three options as the comparison, readable at /s/<token> by anyone?"""
    created = share(client, auth)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["url"] == f"/s/{body['token']}" and len(body["token"]) >= 20
    assert created.headers["Location"] == body["url"]
    comparison = body["comparison"]
    assert len(comparison["options"]) == 3
    assert comparison["needs"] == ["家用", "高血压"]
    assert (comparison["budget_min"], comparison["budget_max"]) == (3_000, 6_000)
    assert comparison["counter_type"] == "ka_supermarket_counter" and comparison["channel"] == "retail"
    assert comparison["shopper_type"] == "buying_for_parents" and comparison["generated_at"].endswith("Z")
    direct = client.post("/api/v1/solutions/compare", json=BODY, headers=auth.headers(GUIDE)).get_json()
    assert [o["cost_breakdown"] for o in comparison["options"]] == [o["cost_breakdown"] for o in direct["options"]]
    for option in comparison["options"]:
        assert {"name", "total_price", "cost_breakdown", "delivery_days", "service_commitments", "fit_score",
                "why"} <= set(option)

    public = client.get(f"/api/v1/public/shares/{body['token']}")  # no Authorization header
    assert public.status_code == 200
    assert public.get_json() == {"comparison": comparison, "expires_at": body["expires_at"]}


def test_the_snapshot_holds_no_personal_data(client, auth, app):
    """Is nothing about the guide in what the shopper can read — not the name, email, id or talk-track why?"""
    token = share(client, auth).get_json()["token"]
    text = json.dumps(client.get(f"/api/v1/public/shares/{token}").get_json(), ensure_ascii=False)
    with app.app_context():
        guide = db.session.scalar(select(User).where(User.email == GUIDE))
        stored = json.dumps(db.session.get(ComparisonShare, token).snapshot, ensure_ascii=False)
        assert db.session.get(ComparisonShare, token).created_by_id == guide.id  # kept on the row only
        name, email, user_id = guide.name, guide.email, guide.id
    for blob in (text, stored):
        assert name not in blob and email not in blob
        assert "talk_track" not in blob and "created_by" not in blob and "user" not in blob
        assert f'"id": {user_id}' not in blob and f'"user_id": {user_id}' not in blob


def test_shares_expire_after_seven_days(client, auth, app):
    body = share(client, auth).get_json()
    with app.app_context():
        row = db.session.get(ComparisonShare, body["token"])
        assert timedelta(days=6, hours=23) < row.expires_at - utcnow() <= timedelta(days=7)
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert_error_shape(client.get(f"/api/v1/public/shares/{body['token']}"), 410, "share_expired")


def test_unknown_share_is_404(client):
    assert_error_shape(client.get("/api/v1/public/shares/not-a-token"), 404, "share_not_found")
    assert_error_shape(client.get("/api/v1/public/shares/" + "x" * 200), 404, "share_not_found")


def test_making_a_share_needs_login_and_the_compare_rules(client, auth):
    assert_error_shape(client.post("/api/v1/solutions/shares", json=BODY), 401)
    headers = auth.headers(GUIDE)
    error = assert_error_shape(share(client, auth, {**BODY, "budget_min": 9_000}, headers), 422)
    assert "budget_min" in error["fields"]
    for field, value in (("counter_type", "moon_counter"), ("shopper_type", "aliens"), ("channel", "mail"),
                         ("quantities", {"NO-SUCH-SKU": 2})):
        error = assert_error_shape(share(client, auth, {**BODY, field: value}, headers), 422)
        assert field in error["fields"], field
    error = assert_error_shape(share(client, auth, {**BODY, "quantities": {"HH-BP-U30": 5}}, headers), 422)
    assert "quantities" in error["fields"], "more than the product's max_qty"


def test_quantities_multiply_the_amount(client, auth):
    """Six handheld units for a family-doctor team: the option's amount is six times the unit price."""
    body = {"budget_min": 300_000, "budget_max": 500_000, "needs": ["超声", "便携", "基层"],
            "category": "community_health_center", "quantities": {"超声": 6}}
    response = client.post("/api/v1/solutions/compare", json=body, headers=auth.headers("rep@demo.battlemap"))
    assert response.status_code == 200, response.get_json()
    from app.extensions import db
    from app.models import Product

    with client.application.app_context():
        covers = {p.sku for p in db.session.query(Product) if "超声" in (p.needs or []) and p.kind == "device"}
    for option in response.get_json()["options"]:
        assert option["total_price"] == sum(i["amount"] for i in option["cost_breakdown"])
        assert all(i["amount"] == i["quantity"] * i["unit_price"] for i in option["cost_breakdown"])
        assert sum(i["quantity"] for i in option["cost_breakdown"] if i["sku"] in covers) >= 6


def test_the_public_link_serves_the_app_shell(client):
    with client.get("/s/some-token") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "max-age=0, must-revalidate"
        assert 'lang="zh-CN"' in response.get_data(as_text=True)


def test_a_share_shows_list_prices_whatever_discount_the_guide_typed(client, auth):
    """Does a discount in the body leave the shopper's page at list prices (nothing unapproved shown)?"""
    plain = share(client, auth).get_json()["comparison"]["options"]
    discounted = share(client, auth, {**BODY, "discount_cny": 100}).get_json()["comparison"]["options"]
    assert [o["total_price"] for o in discounted] == [o["total_price"] for o in plain]
    assert all("final_price" not in o or o["final_price"] == o["total_price"] for o in discounted)
