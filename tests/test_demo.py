"""The embedded Shanghai demo is rich enough to demo the core loop."""

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import ContentPack, Place, Product, User, Zone, ZoneType


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
        for place in db.session.scalars(select(Place)):
            assert place.radius_m > 0
            assert 30.6 < place.lat < 31.6 and 120.9 < place.lon < 122.0, place.name
            assert snap.zone_for(place.lat, place.lon) is not None, place.name


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
    reps = [users[e] for e in ["rep@demo.battlemap"] + [f"rep{i}@demo.battlemap" for i in range(2, 6)]]
    assert all(r.role == "rep" for r in reps)
    assert len({r.skill_level for r in reps}) >= 3
    assert users["guide@demo.battlemap"].role == "guide"
    assert users["manager@demo.battlemap"].role == "manager"
    assert users["admin@demo.battlemap"].role == "admin"
    for email in users:
        assert auth.login(email).status_code == 200


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
