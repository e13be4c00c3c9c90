"""The catalog API: everyone signed in reads products, counter and shopper types; managers and admins change
products (issue 8)."""

import pytest

from tests.test_auth import assert_error_shape, names_field

GUIDE, MANAGER, ADMIN, REP = ("guide@demo.battlemap", "manager@demo.battlemap", "admin@demo.battlemap",
                              "rep@demo.battlemap")
NEW = {"sku": "HH-BP-U75", "name": "臂式血压计 U75", "kind": "device", "category": "home_health",
       "channel": "retail", "tier": "standard", "price_cny": 459, "delivery_days": 1,
       "needs": ["家用", "高血压"], "counter_types": ["pharmacy"], "slot": "血压计",
       "promises": [{"covers": "U75 血压计整机", "kind": "warranty", "value": 5, "unit": "年",
                     "text": "U75 血压计整机保修 5 年"}]}


def get(client, auth, email=GUIDE, **query):
    return client.get("/api/v1/products", query_string=query, headers=auth.headers(email))


def test_signed_out_is_401(client):
    assert_error_shape(client.get("/api/v1/products"), 401)
    assert_error_shape(client.get("/api/v1/counter-types"), 401)
    assert_error_shape(client.get("/api/v1/shopper-types"), 401)


def test_retail_filter_gives_the_counter_catalog_and_its_need_words(client, auth):
    """Does a guide get only retail products, with promises and rules, and the sorted need words?"""
    body = get(client, auth, channel="retail").get_json()
    assert body["items"] and all(p["channel"] == "retail" for p in body["items"])
    assert body["needs"] == sorted({n for p in body["items"] for n in p["needs"]})
    assert "高血压" in body["needs"] and "超声" not in body["needs"]
    u30 = next(p for p in body["items"] if p["sku"] == "HH-BP-U30")
    assert u30["service_commitments"] == [p["text"] for p in u30["promises"]]
    assert {"requires_any", "excludes", "slot", "max_qty", "counter_types", "fits_categories"} <= set(u30)


@pytest.mark.parametrize(("query", "check"), [
    ({"counter_type": "ka_supermarket_counter"},
     lambda p: not p["counter_types"] or "ka_supermarket_counter" in p["counter_types"]),
    ({"category": "tier3_hospital"}, lambda p: not p["fits_categories"] or "tier3_hospital" in p["fits_categories"]),
    ({"need": "吸氧"}, lambda p: "吸氧" in p["needs"]),
    ({"line": "medical"}, lambda p: p["category"] == "medical"),
])
def test_filters(client, auth, query, check):
    everything = get(client, auth).get_json()["items"]
    items = get(client, auth, **query).get_json()["items"]
    assert items and len(items) < len(everything)
    assert all(check(p) for p in items)


def test_counter_filter_leaves_out_products_of_other_counters(client, auth):
    skus = {p["sku"] for p in get(client, auth, channel="retail", counter_type="ka_supermarket_counter")
            .get_json()["items"]}
    assert "HH-BP-U30" in skus and "HH-OXY-5L" not in skus  # the 5L concentrator is sold in pharmacies


def test_bad_channel_is_422(client, auth):
    assert "channel" in assert_error_shape(get(client, auth, channel="moon"), 422)["fields"]


def test_counter_and_shopper_types(client, auth):
    counters = client.get("/api/v1/counter-types", headers=auth.headers(REP)).get_json()["items"]
    assert {"key": "ka_supermarket_counter", "name_zh": "KA商超专柜", "name_en": "KA supermarket counter"} in counters
    shoppers = client.get("/api/v1/shopper-types", headers=auth.headers(GUIDE)).get_json()["items"]
    by_key = {s["key"]: s for s in shoppers}
    assert by_key["buying_for_parents"]["name_zh"] == "子女为父母选购"
    assert {"chronic_self_care", "post_op_recovery"} <= set(by_key)
    assert all(s["name_en"] and s["description"] for s in shoppers)


@pytest.mark.parametrize("email", [GUIDE, REP])
def test_guides_and_reps_may_not_change_products(client, auth, email):
    headers = auth.headers(email)
    assert_error_shape(client.post("/api/v1/products", json=NEW, headers=headers), 403, "forbidden")
    assert_error_shape(client.patch("/api/v1/products/HH-BP-U30", json={"price_cny": 1}, headers=headers), 403)
    assert client.get("/api/v1/products/HH-BP-U30", headers=headers).get_json()["price_cny"] == 199


@pytest.mark.parametrize("email", [MANAGER, ADMIN])
def test_managers_and_admins_create_and_the_comparison_sees_it(client, auth, app, email):
    from app.services import solutions

    with app.app_context():
        assert "HH-BP-U75" not in {p.sku for p in solutions.catalog().catalog.products}  # cached before the change
    headers = auth.headers(email)
    created = client.post("/api/v1/products", json=NEW, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.headers["Location"].endswith("/api/v1/products/HH-BP-U75")
    body = created.get_json()
    assert body["max_qty"] == 1 and body["requires_any"] == [] and body["promises"][0]["value"] == 5
    listed = get(client, auth, need="高血压", counter_type="pharmacy").get_json()["items"]
    assert "HH-BP-U75" in {p["sku"] for p in listed}
    with app.app_context():
        assert "HH-BP-U75" in {p.sku for p in solutions.catalog().catalog.products}, "the comparison sees it"


def test_duplicate_sku_is_409(client, auth):
    headers = auth.headers(MANAGER)
    assert client.post("/api/v1/products", json=NEW, headers=headers).status_code == 201
    error = assert_error_shape(client.post("/api/v1/products", json=NEW, headers=headers), 409, "product_exists")
    assert "sku" in error["fields"]


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "gadget"}, "kind"),
    ({"tier": "gold"}, "tier"),
    ({"price_cny": -1}, "price_cny"),
    ({"max_qty": 0}, "max_qty"),
    ({"promises": [{"covers": "x", "kind": "forever", "text": "x"}]}, "promises"),
    ({"requires_any": ["HH-NOPE"]}, "requires_any"),
    ({"counter_types": ["moon_counter"]}, "counter_types"),
    ({"fits_categories": ["moon_base"]}, "fits_categories"),
])
def test_bad_values_are_422_with_the_field(client, auth, change, field):
    error = assert_error_shape(client.post("/api/v1/products", json={**NEW, **change},
                                           headers=auth.headers(MANAGER)), 422, "invalid_values")
    assert names_field(error, field), error
    assert client.get("/api/v1/products/HH-BP-U75", headers=auth.headers(MANAGER)).status_code == 404


def test_unknown_reference_says_which_sku_in_the_managers_language(client, auth):
    error = assert_error_shape(client.post("/api/v1/products", json={**NEW, "requires_any": ["HH-NOPE"]},
                                           headers=auth.headers(MANAGER)), 422)
    assert error["fields"]["requires_any"] == ["引用了不存在的 SKU：HH-NOPE"]


def test_patch_changes_only_the_given_fields(client, auth, app):
    from app.services import solutions

    headers = auth.headers(MANAGER)
    response = client.patch("/api/v1/products/HH-BP-U30", json={"price_cny": 219, "max_qty": 2}, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["price_cny"] == 219 and body["max_qty"] == 2 and body["name"].startswith("臂式电子血压计 U30")
    with app.app_context():
        assert next(p for p in solutions.catalog().catalog.products if p.sku == "HH-BP-U30").price_cny == 219
    assert_error_shape(client.patch("/api/v1/products/HH-BP-U30", json={"tier": "gold"}, headers=headers), 422)
    assert_error_shape(client.patch("/api/v1/products/HH-BP-U30", json={"requires_any": ["HH-BP-U30"]},
                                    headers=headers), 422)
    assert_error_shape(client.patch("/api/v1/products/NO-SUCH", json={"price_cny": 1}, headers=headers), 404,
                       "product_not_found")
