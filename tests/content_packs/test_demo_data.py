"""The embedded Shanghai demo data: complete, consistent and geographically sound (WGS-84, lon/lat rings)."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from shapely.geometry import Point, Polygon

from content_packs import load_all, matching_components

DATA_DIR = Path(__file__).resolve().parents[2] / "app" / "demo" / "data"
CATEGORIES = {"tier3_hospital", "private_hospital", "aesthetics_clinic", "community_health_center",
              "community_grocery", "ka_supermarket"}
HOSPITALS = {"tier3_hospital", "private_hospital"}
STAGES = {"prospecting", "discovery", "proposal", "negotiation", "closing", "after_sales"}


def read(name: str):
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


REGIONS = read("regions.yaml")
ZONE_TYPES = read("zone_types.yaml")
CATEGORY_ROWS = read("categories.yaml")
ZONES = read("zones.yaml")
PLACES = read("places.yaml")
PRODUCTS = read("products.yaml")
POLYGONS = {z["key"]: Polygon(z["polygon"]) for z in ZONES}  # shapely: x = lon, y = lat
ZONE_TYPE_OF = {z["key"]: z["zone_type"] for z in ZONES}


def distance_m(a: dict, b: dict) -> float:
    """Haversine distance in metres between two places given in degrees (lat, lon)."""
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    dlat, dlon = p2 - p1, math.radians(b["lon"] - a["lon"])
    h = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def zones_containing(place: dict) -> list[str]:
    point = Point(place["lon"], place["lat"])
    return [key for key, poly in POLYGONS.items() if poly.contains(point)]


def test_vocabulary_files():
    assert any(r["key"] == "shanghai" and r["name"] == "上海大区" for r in REGIONS)
    assert all(r.get("second_review") for r in REGIONS), "the demo shows the second pair of eyes everywhere"
    region_keys = {r["key"] for r in REGIONS}
    assert {z["key"] for z in ZONE_TYPES} == {"procurement_led", "private_hospital_dense", "primary_care_gap",
                                             "aesthetics_cluster", "community_retail", "ka_retail_core"}
    assert all(z["region"] in region_keys and z["name_zh"] and z["name_en"] for z in ZONE_TYPES)
    assert {c["key"] for c in CATEGORY_ROWS} == CATEGORIES
    assert all(c["default_radius_m"] == 500 for c in CATEGORY_ROWS)


def test_zones_are_closed_valid_disjoint_rings_in_shanghai():
    """Is every zone a closed, valid (lon, lat) ring inside Shanghai, one zone type each, no overlaps?"""
    types = {z["key"] for z in ZONE_TYPES}
    assert len(ZONES) >= 6
    assert {z["zone_type"] for z in ZONES} == types
    assert len({z["key"] for z in ZONES}) == len(ZONES)
    for zone in ZONES:
        ring = zone["polygon"]
        assert ring[0] == ring[-1], f"{zone['key']}: ring is closed"
        assert len(ring) >= 4
        assert all(121.0 < lon < 122.0 and 30.6 < lat < 31.6 for lon, lat in ring), "lon, lat order"
        assert POLYGONS[zone["key"]].is_valid, zone["key"]
    for a, b in itertools.combinations(POLYGONS, 2):
        assert not POLYGONS[a].intersects(POLYGONS[b]), (a, b)


def test_places_cover_all_categories_across_shanghai():
    counts = Counter(p["category"] for p in PLACES)
    assert len(PLACES) >= 48
    assert set(counts) == CATEGORIES
    assert counts["tier3_hospital"] >= 6
    assert len({p["key"] for p in PLACES}) == len(PLACES)
    assert len({p["name"] for p in PLACES}) == len(PLACES)
    for place in PLACES:
        assert 30.9 <= place["lat"] <= 31.45 and 121.2 <= place["lon"] <= 121.8, place["key"]
        assert place["radius_m"] in (300, 500, 800)
        assert place["stage"] in STAGES
        assert place["budget_cny"] is None or (isinstance(place["budget_cny"], int) and place["budget_cny"] > 0)
        assert place["address"].startswith("上海市")
    districts = {re.match(r"上海市(.+?区)", p["address"]).group(1) for p in PLACES}
    assert len(districts) >= 6, districts


def test_every_place_lies_in_exactly_one_zone():
    for place in PLACES:
        assert len(zones_containing(place)) == 1, place["key"]


def test_every_place_gets_talk_tracks_from_its_zone_type_pack():
    """Would a rep of any level get a card with talk-tracks at every demo place?"""
    packs = load_all()
    for place in PLACES:
        zone_type = ZONE_TYPE_OF[zones_containing(place)[0]]
        for level in ("junior", "intermediate", "senior"):
            tracks = [t for p in packs if zone_type in p["zone_types"]
                      for t in matching_components(p, "talk_tracks", category=place["category"], skill_level=level)]
            assert tracks, (place["key"], level)


def test_competitor_moves_have_a_counter_in_the_zone_pack():
    packs = load_all()
    for place in PLACES:
        zone_type = ZONE_TYPE_OF[zones_containing(place)[0]]
        counters = {c["competitor"] for p in packs if zone_type in p["zone_types"] for c in p["counters"]}
        for move in place["context"].get("competitor_moves", []):
            assert move["competitor"] in counters, (place["key"], move["competitor"])
            assert 0 <= move["days_ago"] <= 90


def test_places_are_not_on_top_of_each_other():
    closest = min(distance_m(a, b) for a, b in itertools.combinations(PLACES, 2))
    assert closest >= 150


def test_a_zone_has_a_walkable_cluster():
    """Can a demo walk from place to place (three within 1–2 km of each other) in one zone?"""
    by_zone: dict[str, list[dict]] = {}
    for place in PLACES:
        by_zone.setdefault(zones_containing(place)[0], []).append(place)
    walkable = [
        zone for zone, places in by_zone.items()
        if any(all(distance_m(a, b) <= 2000 for a, b in itertools.combinations(trio, 2))
               for trio in itertools.combinations(places, 3))
    ]
    assert walkable


@pytest.mark.parametrize("place", [p for p in PLACES if p["category"] in HOSPITALS], ids=lambda p: p["key"])
def test_hospitals_have_recent_notices_and_a_key_contact(place):
    context = place["context"]
    notices = context["procurement_notices"]
    assert len(notices) >= 3
    for notice in notices:
        assert 5 <= notice["days_ago"] <= 85
        assert notice["title"] and notice["summary"] and notice["source"]
        assert isinstance(notice["amount_cny"], int) and notice["amount_cny"] > 0
    assert any(c["role"] and len(c["background"]) >= 20 for c in context["contacts"])


def test_contacts_respect_consent():
    """Is a phone number only kept for contacts who consented — and always masked?"""
    contacts = [c for p in PLACES for c in p["context"].get("contacts", [])]
    assert len(contacts) >= len(PLACES)
    assert any(not c["consent"] for c in contacts)
    for c in contacts:
        assert isinstance(c["consent"], bool)
        if c["consent"]:
            assert re.fullmatch(r"1[3-9]\d\*{4}\d{4}", c["phone_masked"]), c["name"]
        else:
            assert c["phone_masked"] is None, c["name"]
    for place in PLACES:
        assert place["context"].get("contacts"), place["key"]


def test_context_rows_are_well_formed_everywhere():
    """Flow-style YAML splits on commas ("6,000" becomes two keys): every row has exactly its fields."""
    shapes = {"procurement_notices": {"title", "days_ago", "amount_cny", "summary", "source"},
              "contacts": {"name", "role", "background", "consent", "phone_masked"},
              "competitor_moves": {"competitor", "move", "days_ago"}}
    for place in PLACES:
        assert set(place["context"]) <= set(shapes), place["key"]
        for kind, rows in place["context"].items():
            assert all(set(row) == shapes[kind] for row in rows), (place["key"], kind)
        for notice in place["context"].get("procurement_notices", []):
            assert 5 <= notice["days_ago"] <= 85
    required = {"sku", "name", "kind", "category", "channel", "price_cny", "delivery_days", "promises", "needs",
                "tier", "fits_categories"}
    optional = {"counter_types", "requires_any", "excludes", "slot", "max_qty"}
    assert all(required <= set(p) <= required | optional for p in PRODUCTS)


NEED_LINE = re.compile(r"^#\s+(医疗|医美|零售|家用)：(.+)$", re.M)


def declared_needs() -> set[str]:
    text = (DATA_DIR / "products.yaml").read_text(encoding="utf-8")
    return {n.strip() for _, names in NEED_LINE.findall(text) for n in names.split(",")}


def test_products_are_complete_and_use_declared_needs():
    needs = declared_needs()
    assert len(PRODUCTS) >= 24
    assert len({p["sku"] for p in PRODUCTS}) == len(PRODUCTS)
    for product in PRODUCTS:
        assert product["kind"] in {"device", "accessory", "consumable", "service", "software"}
        assert product["category"] in {"medical", "retail", "home_health"}
        assert product["channel"] == ("retail" if product["category"] == "home_health" else "b2b")
        assert product["tier"] in {"economy", "standard", "premium"}
        assert isinstance(product["price_cny"], int) and product["price_cny"] > 0
        assert isinstance(product["delivery_days"], int) and product["delivery_days"] > 0
        assert product["promises"] and all(p["covers"] and p["text"] for p in product["promises"])
        assert product["needs"] and set(product["needs"]) <= needs, product["sku"]
        assert set(product["fits_categories"]) <= CATEGORIES
        assert product["fits_categories"] or product["counter_types"], "B2B fits places, retail fits counters"
    assert needs == {n for p in PRODUCTS for n in p["needs"]}, "every declared need is used"


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_catalog_offers_every_tier_for_every_category(category):
    """Can the comparison build economy / standard / premium options for each kind of client?"""
    fitting = [p for p in PRODUCTS if category in p["fits_categories"]]
    assert {p["tier"] for p in fitting} == {"economy", "standard", "premium"}
    assert min(p["price_cny"] for p in fitting) <= 20_000
    budgets = [p["budget_cny"] for p in PLACES if p["category"] == category and p["budget_cny"]]
    assert sum(p["price_cny"] for p in fitting) >= max(budgets), "the largest demo budget can be filled"


def test_solution_hint_needs_exist_in_the_catalog():
    needs = declared_needs()
    for pack in load_all():
        for hint in pack["solution_hints"]:
            assert set(hint["needs"]) <= needs, (pack["id"], hint["id"])
