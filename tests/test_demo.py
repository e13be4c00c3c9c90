"""The embedded demo (Shanghai with two grids, and Hangzhou) is rich enough to demo the core loop and the team."""

import itertools
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from shapely.geometry import Point, Polygon
from sqlalchemy import func, select

from app.extensions import db
from app.models import ContentPack, Grid, Place, Product, Region, User, UserRegion, Zone, ZoneType
from content_packs import load_all, matching_components

HANGZHOU = Path(__file__).resolve().parent.parent / "app" / "demo" / "data" / "hangzhou"
# Where each region's places lie (degrees, WGS-84): (lat_min, lat_max, lon_min, lon_max)
CITY_BOUNDS = {"shanghai": (30.6, 31.6, 120.9, 122.0), "hangzhou": (30.1, 30.4, 120.0, 120.35)}


def hangzhou(name: str):
    return yaml.safe_load((HANGZHOU / name).read_text(encoding="utf-8"))


def test_demo_has_places_zones_catalog_and_packs(app):
    with app.app_context():
        categories = Counter(db.session.scalars(select(Place.category)))
        assert sum(categories.values()) >= 40
        assert len(categories) >= 4
        zone_types = set(db.session.scalars(select(ZoneType.key).join(Zone, Zone.zone_type_id == ZoneType.id)))
        assert db.session.scalar(select(func.count()).select_from(Zone)) >= 6
        assert len(zone_types) >= 6
        assert db.session.scalar(select(func.count()).select_from(Product)) >= 20
        packs = db.session.scalars(select(ContentPack)).all()
        covered = {zt for p in packs for zt in p.published_version.body["zone_types"]}
        assert zone_types <= covered, "every demo zone type has a published pack"


def test_every_place_has_a_fence_and_lies_in_a_zone(app):
    from app.services.geo_state import snapshot

    with app.app_context():
        snap = snapshot()
        regions = {r.id: r.key for r in db.session.scalars(select(Region))}
        for place in db.session.scalars(select(Place)):
            assert place.radius_m > 0
            lat_min, lat_max, lon_min, lon_max = CITY_BOUNDS[regions[place.region_id]]
            assert lat_min < place.lat < lat_max and lon_min < place.lon < lon_max, place.name
            zone = snap.zone_for(place.lat, place.lon)
            assert zone is not None, place.name
            assert db.session.get(Zone, zone.id).region_id == place.region_id, place.name


def test_hospitals_have_recent_notices_and_a_key_contact(app):
    since = date.today() - timedelta(days=92)
    with app.app_context():
        hospitals = db.session.scalars(select(Place).where(Place.category.in_(["tier3_hospital",
                                                                                 "private_hospital"]))).all()
        assert len(hospitals) >= 6
        for place in hospitals:
            recent = [n for n in place.notices if n.published_on >= since]
            assert len(recent) >= 3, place.name
            assert any(c.role and c.background for c in place.contacts), place.name


def test_demo_users_and_roles(app, auth):
    with app.app_context():
        users = {u.email: u for u in db.session.scalars(select(User))}
        managed = {(user_id, region) for user_id, region in db.session.execute(
            select(UserRegion.user_id, Region.key).join(Region, Region.id == UserRegion.region_id))}
        region_of = {u.email: u.region.key if u.region else None for u in users.values()}
    reps = [users[e] for e in ["rep@demo.battlemap"] + [f"rep{i}@demo.battlemap" for i in range(2, 6)]]
    assert all(r.role == "rep" for r in reps)
    assert len({r.skill_level for r in reps}) >= 3
    assert users["guide@demo.battlemap"].role == "guide"
    assert users["admin@demo.battlemap"].role == "admin"
    for email, region in [("manager@demo.battlemap", "shanghai"), ("manager2@demo.battlemap", "shanghai"),
                          ("manager.hz@demo.battlemap", "hangzhou")]:
        assert users[email].role == "manager" and (users[email].id, region) in managed, email
    assert users["rep.hz@demo.battlemap"].role == "rep" and region_of["rep.hz@demo.battlemap"] == "hangzhou"
    assert all(u.active for u in users.values())
    for email in users:
        assert auth.login(email).status_code == 200, email


def test_shanghai_has_two_grids_with_leaders_reps_and_places_by_district(app):
    """Does Shanghai come with 徐汇网格 and 浦东网格: a leader each (a rep, a manager), reps, and the district's
    places — and do both regions ask for a second reviewer?"""
    with app.app_context():
        grids = {g.name: g for g in db.session.scalars(select(Grid))}
        assert set(grids) == {"徐汇网格", "浦东网格"}
        for grid, district in ((grids["徐汇网格"], "徐汇区"), (grids["浦东网格"], "浦东新区")):
            assert grid.region.key == "shanghai" and grid.discount_limit_cny == 50_000
            places = db.session.scalars(select(Place).where(Place.grid_id == grid.id)).all()
            assert places and all(p.address.startswith(f"上海市{district}") for p in places)
            outside = db.session.scalar(select(func.count()).select_from(Place).where(
                Place.address.startswith(f"上海市{district}"), Place.grid_id.is_not(grid.id)))
            assert outside == 0, "every place of the district is in its grid"
            members = db.session.scalars(select(User).where(User.grid_id == grid.id)).all()
            assert len([u for u in members if u.role == "rep"]) >= 2
        leaders = {name: db.session.get(User, g.leader_id) for name, g in grids.items()}
        assert leaders["徐汇网格"].role == "rep" and leaders["徐汇网格"].grid_id == grids["徐汇网格"].id
        assert leaders["浦东网格"].email == "manager2@demo.battlemap"
        assert db.session.scalar(select(User.grid_id).where(User.email == "rep@demo.battlemap")) == \
            grids["徐汇网格"].id
        assert all(db.session.scalars(select(Region.second_review)))


def test_hangzhou_has_places_zones_zone_types_and_its_own_packs(app):
    """Is Hangzhou a region of its own: zone types, zones, hospitals, KA supermarkets and pharmacies, and packs
    of its region covering its zone types?"""
    with app.app_context():
        region = db.session.scalar(select(Region).where(Region.key == "hangzhou"))
        categories = Counter(db.session.scalars(select(Place.category).where(Place.region_id == region.id)))
        assert categories["tier3_hospital"] >= 5 and categories["pharmacy"] >= 3 and categories["ka_supermarket"] >= 2
        types = set(db.session.scalars(select(ZoneType.key).where(ZoneType.region_id == region.id)))
        zones = db.session.scalars(select(Zone).where(Zone.region_id == region.id)).all()
        assert len(types) >= 3 and {z.zone_type.key for z in zones} == types
        packs = list(db.session.scalars(select(ContentPack).where(ContentPack.region_id == region.id)))
        assert packs and all(p.published_version for p in packs)
        assert types <= {zt for p in packs for zt in p.published_version.body["zone_types"]}


def test_hangzhou_data_is_geographically_sound():
    """Is every Hangzhou zone a closed, valid, disjoint (lon, lat) ring, every place in exactly one, apart?"""
    zones = {z["key"]: Polygon(z["polygon"]) for z in hangzhou("zones.yaml")}
    for zone in hangzhou("zones.yaml"):
        ring = zone["polygon"]
        assert ring[0] == ring[-1] and len(ring) >= 4, zone["key"]
        assert all(120.0 < lon < 120.35 and 30.1 < lat < 30.4 for lon, lat in ring), "lon, lat order"
        assert zones[zone["key"]].is_valid, zone["key"]
    for a, b in itertools.combinations(zones, 2):
        assert not zones[a].intersects(zones[b]), (a, b)
    places = hangzhou("places.yaml")
    assert len({p["key"] for p in places}) == len({p["name"] for p in places}) == len(places)
    for place in places:
        inside = [k for k, poly in zones.items() if poly.contains(Point(place["lon"], place["lat"]))]
        assert len(inside) == 1, place["key"]
        assert place["address"].startswith("杭州市") and place["radius_m"] in (300, 500, 800), place["key"]
    for a, b in itertools.combinations(places, 2):
        assert abs(a["lat"] - b["lat"]) > 0.0014 or abs(a["lon"] - b["lon"]) > 0.0016, (a["key"], b["key"])


@pytest.mark.parametrize("place", hangzhou("places.yaml"), ids=lambda p: p["key"])
def test_every_hangzhou_place_gets_talk_tracks_and_counters_from_its_pack(place):
    """Would a Hangzhou rep of any level get talk-tracks at every Hangzhou place, with a counter for every
    competitor moving there, and does every hospital have recent notices and a described contact?"""
    zone_type = next(z["zone_type"] for z in hangzhou("zones.yaml")
                     if Polygon(z["polygon"]).contains(Point(place["lon"], place["lat"])))
    packs = [p for p in load_all() if p.get("region") == "hangzhou" and zone_type in p["zone_types"]
             and place["category"] in p["categories"]]
    assert packs, place["key"]
    for level in ("junior", "intermediate", "senior"):
        assert any(matching_components(p, "talk_tracks", category=place["category"], skill_level=level)
                   for p in packs), (place["key"], level)
    counters = {c["competitor"] for p in packs for c in p["counters"]}
    context = place["context"]
    assert {m["competitor"] for m in context.get("competitor_moves", [])} <= counters
    assert any(c["role"] and len(c["background"]) >= 20 for c in context["contacts"])
    for c in context["contacts"]:
        assert (re.fullmatch(r"1[3-9]\d\*{4}\d{4}", c["phone_masked"]) if c["consent"] else c["phone_masked"] is None)
    if place["category"] == "tier3_hospital":
        notices = context["procurement_notices"]
        assert len(notices) >= 3 and all(5 <= n["days_ago"] <= 85 and n["amount_cny"] > 0 for n in notices)


def test_a_hangzhou_rep_gets_the_hangzhou_card_at_a_hangzhou_hospital(client, auth, app):
    """Does the preview of rep.hz at a Hangzhou hospital come from Hangzhou's pack — and may Shanghai's manager
    not look at it?"""
    with app.app_context():
        place = db.session.scalar(select(Place).where(Place.key == "hz-zju1-qingchun"))
        rep_id = db.session.scalar(select(User.id).where(User.email == "rep.hz@demo.battlemap"))
    url = f"/api/v1/preview?rep_id={rep_id}&place_id={place.id}"
    preview = client.get(url, headers=auth.headers("manager.hz@demo.battlemap"))
    assert preview.status_code == 200, preview.get_json()
    assert preview.get_json()["pack"]["id"] == "hangzhou-medical-hub"
    assert client.get(url, headers=auth.headers("manager@demo.battlemap")).status_code == 403


def test_demo_load_refuses_a_database_with_data(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "already" in result.output
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0
    assert "not loaded" in result.output


def test_packs_validate_command(runner):
    result = runner.invoke(args=["packs", "validate"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_demo_trigger_rules_ship_and_explain_themselves(client, auth, app):
    """Does the demo come with manager-written rules that visibly shape a popup?"""
    from app.models import TriggerRule

    with app.app_context():
        rules = db.session.scalars(select(TriggerRule)).all()
        assert {r.event for r in rules} >= {"enter_place", "dwell", "budget_entered"}
        clinic = db.session.scalars(select(Place).where(Place.category == "aesthetics_clinic")).first()
        rep_id = db.session.scalar(select(User.id).where(User.email == "rep@demo.battlemap"))
    preview = client.get(f"/api/v1/preview?rep_id={rep_id}&place_id={clinic.id}",
                         headers=auth.headers("manager@demo.battlemap")).get_json()
    fired = [w for w in preview["why"] if w["rule"] == "trigger_rule"]
    assert fired and "资质" in fired[0]["detail"]
    assert preview["compliance_notes"][0]["id"] == "ae-cn-license"
