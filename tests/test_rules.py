"""Trigger rules managers own: the API, scoping, audit, their effect on live popups, and preview."""

import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Popup, Region, TriggerRule, User, UserRegion
from app.services.auth import hash_password
from tests.conftest import place_by_category
from tests.test_auth import assert_error_shape, names_field

pytestmark = pytest.mark.usefixtures("no_rules")

MANAGER = "manager@demo.battlemap"
T0 = int(time.time() * 1000)


def rule_body(**overrides):
    body = {
        "name": "三甲医院·近期有采购公告：先讲集采应对",
        "region": "shanghai",
        "event": "enter_place",
        "conditions": {
            "zone_types": ["procurement_led"],
            "place": {"categories": ["tier3_hospital"], "notice_within_days": 30},
        },
        "show": [
            {"pack": "procurement-led-hospitals", "kind": "counters", "ids": ["pl-counter-yunyitong-platform"]},
            {"pack": "procurement-led-hospitals", "kind": "talk_tracks", "ids": ["pl-tt-proposal-vbp"]},
        ],
        "priority": 10,
    }
    body.update(overrides)
    return body


def create(client, auth, email=MANAGER, **overrides):
    return client.post("/api/v1/rules", json=rule_body(**overrides), headers=auth.headers(email))


@pytest.fixture
def hangzhou_manager(app):
    with app.app_context():
        region = db.session.scalar(select(Region).where(Region.key == "hangzhou"))
        user = User(email="hz-manager@demo.battlemap", name="钱伟", role="manager",
                    password_hash=hash_password("demo-password"), region_id=region.id)
        db.session.add(user)
        db.session.flush()
        db.session.add(UserRegion(user_id=user.id, region_id=region.id))
        db.session.commit()
    return "hz-manager@demo.battlemap"


def hospital_in_procurement_zone(app):
    from app.services.geo_state import snapshot

    with app.app_context():
        from app.models import Place

        snap = snapshot()
        for place in db.session.scalars(select(Place).where(Place.category == "tier3_hospital")):
            zone = snap.zone_for(place.lat, place.lon)
            if zone and zone.type == "procurement_led":
                db.session.expunge(place)
                return place
    raise AssertionError("the demo has a tier-3 hospital in a procurement-led zone")


def popups(sock):
    return [m["args"][0] for m in sock.get_received("/field") if m["name"] == "popup"]


def enter(sock, place, ts=T0):
    ack = sock.emit("location", {"lat": place.lat, "lon": place.lon, "accuracy_m": 10, "ts": ts},
                    namespace="/field", callback=True)
    assert ack["ok"], ack
    return popups(sock)


def test_manager_creates_reads_updates_and_deletes_a_rule(client, auth, app):
    """Can a manager run a rule's whole life through the API, with every change audited?"""
    headers = auth.headers(MANAGER)
    with app.app_context():
        audit_before = db.session.scalar(select(db.func.max(AuditEntry.id))) or 0
    response = create(client, auth)
    assert response.status_code == 201
    rule = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/rules/{rule['id']}")
    assert rule["region"] == "shanghai" and rule["event"] == "enter_place" and rule["enabled"] is True

    listed = client.get("/api/v1/rules?region=shanghai", headers=headers).get_json()["items"]
    assert [r["id"] for r in listed] == [rule["id"]]
    assert client.get(f"/api/v1/rules/{rule['id']}", headers=headers).get_json()["name"] == rule["name"]

    changed = client.put(f"/api/v1/rules/{rule['id']}", json=rule_body(priority=5, enabled=False), headers=headers)
    assert changed.status_code == 200
    assert changed.get_json()["priority"] == 5 and changed.get_json()["enabled"] is False

    assert client.delete(f"/api/v1/rules/{rule['id']}", headers=headers).status_code == 204
    assert_error_shape(client.get(f"/api/v1/rules/{rule['id']}", headers=headers), 404, "rule_not_found")
    with app.app_context():
        actions = [e.action for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.target_type == "rule", AuditEntry.id > audit_before)
            .order_by(AuditEntry.id))]
    assert actions == ["rule.create", "rule.update", "rule.delete"]


def test_reps_cannot_manage_rules(client, auth):
    assert_error_shape(create(client, auth, email="rep@demo.battlemap"), 403, "forbidden")
    assert_error_shape(client.get("/api/v1/rules", headers=auth.headers("rep@demo.battlemap")), 403)


def test_manager_of_another_region_gets_403(client, auth, hangzhou_manager):
    """Can a Hangzhou manager create or touch Shanghai rules? No."""
    assert_error_shape(create(client, auth, email=hangzhou_manager), 403, "forbidden")
    rule = create(client, auth).get_json()
    hz = auth.headers(hangzhou_manager)
    assert_error_shape(client.get(f"/api/v1/rules/{rule['id']}", headers=hz), 403)
    assert_error_shape(client.put(f"/api/v1/rules/{rule['id']}", json=rule_body(), headers=hz), 403)
    assert_error_shape(client.delete(f"/api/v1/rules/{rule['id']}", headers=hz), 403)
    assert client.get("/api/v1/rules", headers=hz).get_json()["items"] == []


def test_admin_manages_every_region(client, auth):
    assert create(client, auth, email="admin@demo.battlemap").status_code == 201


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"event": "teleported"}, 422, "event"),
        ({"region": "atlantis"}, 422, "region"),
        ({"show": [{"pack": "no-such-pack", "kind": "counters"}]}, 403, "show"),  # as another region's pack
        ({"show": [{"pack": "procurement-led-hospitals", "kind": "counters", "ids": ["nope"]}]}, 422, "show"),
        ({"show": []}, 422, "show"),
        ({"conditions": {"time": {"from": "25:00"}}}, 422, "conditions"),
        ({"conditions": {"place": {"budget_min": 10, "budget_max": 1}}}, 422, "conditions"),
        ({"conditions": {"weather": "rain"}}, 400, "conditions"),
        ({"priority": "high"}, 400, "priority"),
        ({"name": None}, 400, "name"),
    ],
)
def test_bad_rules_are_refused_with_the_field_at_fault(client, auth, overrides, status, field):
    error = assert_error_shape(create(client, auth, **overrides), status)
    assert names_field(error, field), error


def test_matching_rule_shapes_the_live_popup_and_says_why(client, auth, app, field):
    """Does a rule put its components first in the popup, with the rule and the matched facts in why?"""
    hospital = hospital_in_procurement_zone(app)
    rule = create(client, auth).get_json()
    [popup] = enter(field("rep@demo.battlemap"), hospital)
    assert [c["id"] for c in popup["counters"]] == ["pl-counter-yunyitong-platform"]
    assert [t["id"] for t in popup["talk_tracks"]] == ["pl-tt-proposal-vbp"]
    fired = [w for w in popup["why"] if w["rule"] == "trigger_rule"]
    assert [w["rule_id"] for w in fired] == [rule["id"]]
    facts = fired[0]["facts"]
    assert facts["name"] == rule["name"] and facts["shown"] == 2
    codes = [c["code"] for c in facts["conditions"]]
    assert codes == ["zone_type", "category", "notice_within_days"]
    assert facts["conditions"][0] == {"code": "zone_type", "zone_type": "procurement_led"}
    assert facts["conditions"][1] == {"code": "category", "category": "tier3_hospital"}
    notice = facts["conditions"][2]
    assert notice["days"] == 30 and notice["count"] >= 1 and notice["latest"]
    detail = fired[0]["detail"]  # the demo rep reads Chinese
    assert detail.startswith(f"规则「{rule['name']}」命中：区域类型为集采主导型；客户类型为三甲医院；近30天有")
    assert detail.endswith("，展示2项内容") and notice["latest"] in detail


def test_rule_conditions_on_the_rep(client, auth, app, field):
    """A senior-only rule fires for a senior rep and not for a junior one."""
    hospital = hospital_in_procurement_zone(app)
    conditions = {"zone_types": ["procurement_led"], "rep": {"skill_levels": ["senior"]}}
    rule = create(client, auth, conditions=conditions).get_json()
    [senior] = enter(field("rep3@demo.battlemap"), hospital)
    [junior] = enter(field("rep2@demo.battlemap"), hospital)
    assert any(w.get("rule_id") == rule["id"] for w in senior["why"])
    assert not any(w["rule"] == "trigger_rule" for w in junior["why"])
    assert junior["talk_tracks"], "the default selection still applies"


def test_disabled_rules_do_not_fire(client, auth, app, field):
    hospital = hospital_in_procurement_zone(app)
    create(client, auth, enabled=False)
    [popup] = enter(field(), hospital)
    assert not any(w["rule"] == "trigger_rule" for w in popup["why"])


def test_rules_apply_in_priority_order(client, auth, app, field):
    hospital = hospital_in_procurement_zone(app)
    late = create(client, auth, priority=50, name="后", show=[
        {"pack": "procurement-led-hospitals", "kind": "counters", "ids": ["pl-counter-kangrui-lowball"]}]).get_json()
    early = create(client, auth, priority=1, name="先", show=[
        {"pack": "procurement-led-hospitals", "kind": "counters", "ids": ["pl-counter-hengtai-placement"]}]).get_json()
    [popup] = enter(field(), hospital)
    assert [w["rule_id"] for w in popup["why"] if w["rule"] == "trigger_rule"] == [early["id"], late["id"]]
    assert [c["id"] for c in popup["counters"]] == ["pl-counter-hengtai-placement", "pl-counter-kangrui-lowball"]


def rep_id(app, email):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def test_preview_answers_like_the_phone(client, auth, app, field):
    """Does the preview give a manager the same components and reasons the rep's phone gets?"""
    hospital = hospital_in_procurement_zone(app)
    create(client, auth)
    [live] = enter(field("rep@demo.battlemap"), hospital)
    preview = client.get(f"/api/v1/preview?rep_id={rep_id(app, 'rep@demo.battlemap')}&place_id={hospital.id}",
                         headers=auth.headers(MANAGER))
    assert preview.status_code == 200
    body = preview.get_json()
    assert body["preview"] is True
    for key in ("talk_tracks", "counters", "pack", "context"):
        assert body[key] == live[key], key
    assert body["why"] == [w for w in live["why"] if w["rule"] != "fence_entered"]
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Popup)) == 1, "preview records nothing"


def test_preview_speaks_the_managers_language(client, auth, app):
    """Is a preview's why rendered for the manager reading it: their stored locale, or ?locale=?"""
    hospital = hospital_in_procurement_zone(app)
    create(client, auth)
    url = f"/api/v1/preview?rep_id={rep_id(app, 'rep@demo.battlemap')}&place_id={hospital.id}"
    headers = auth.headers(MANAGER)
    zh = client.get(url, headers=headers).get_json()["why"]
    en = client.get(url + "&locale=en", headers=headers).get_json()["why"]
    assert [{k: v for k, v in w.items() if k != "detail"} for w in zh] == \
        [{k: v for k, v in w.items() if k != "detail"} for w in en], "same codes and facts"
    by_rule = {w["rule"]: w["detail"] for w in en}
    assert by_rule["trigger_rule"].startswith("Rule “")
    assert "zone type is Procurement-led; client type is Tier-3 hospital" in by_rule["trigger_rule"]
    assert "is of type Procurement-led; matched the pack “" in by_rule["zone_type"]
    assert "属于集采主导型，匹配作战包「" in {w["rule"]: w["detail"] for w in zh}["zone_type"]

    assert client.patch("/api/v1/auth/me", json={"locale": "en"}, headers=headers).status_code == 200
    stored = client.get(url, headers=headers).get_json()["why"]
    assert [w["detail"] for w in stored] == [w["detail"] for w in en], "the manager's stored locale"
    assert [w["detail"] for w in client.get(url + "&locale=zh", headers=headers).get_json()["why"]] == \
        [w["detail"] for w in zh], "?locale= wins"
    assert "locale" in assert_error_shape(client.get(url + "&locale=fr", headers=headers), 422)["fields"]


def test_preview_honours_time_conditions(client, auth, app):
    hospital = hospital_in_procurement_zone(app)
    rule = create(client, auth, conditions={"time": {"from": "08:00", "to": "12:00", "weekdays": [1, 2, 3, 4, 5]}}
                  ).get_json()
    rid = rep_id(app, "rep@demo.battlemap")
    url = f"/api/v1/preview?rep_id={rid}&place_id={hospital.id}&at="
    headers = auth.headers(MANAGER)
    monday_morning = client.get(url + "2026-11-23T09:30:00%2B08:00", headers=headers).get_json()
    monday_evening = client.get(url + "2026-11-23T20:00:00%2B08:00", headers=headers).get_json()
    sunday_morning = client.get(url + "2026-11-22T09:30:00%2B08:00", headers=headers).get_json()
    [fired] = [w for w in monday_morning["why"] if w["rule"] == "trigger_rule"]
    assert fired["rule_id"] == rule["id"]
    assert fired["facts"]["conditions"] == [{"code": "weekday", "weekday": 1},
                                            {"code": "time_window", "time": "09:30", "from": "08:00", "to": "12:00"}]
    assert "星期一；时间09:30在08:00–12:00" in fired["detail"]
    assert not any(w["rule"] == "trigger_rule" for w in monday_evening["why"])
    assert not any(w["rule"] == "trigger_rule" for w in sunday_morning["why"])


def test_preview_scoping_and_errors(client, auth, app, hangzhou_manager):
    hospital = place_by_category(app, "tier3_hospital")
    rid = rep_id(app, "rep@demo.battlemap")
    url = f"/api/v1/preview?rep_id={rid}&place_id={hospital.id}"
    assert_error_shape(client.get(url, headers=auth.headers("rep@demo.battlemap")), 403)
    assert_error_shape(client.get(url, headers=auth.headers(hangzhou_manager)), 403)
    assert_error_shape(client.get(f"/api/v1/preview?rep_id={rid}&place_id=999999",
                                  headers=auth.headers(MANAGER)), 404)
    assert_error_shape(client.get(f"/api/v1/preview?place_id={hospital.id}", headers=auth.headers(MANAGER)), 400)


def test_variant_is_sticky_per_rep_and_recorded(client, auth, app, field):
    """One rep always sees the same A/B variant, and every popup records which one it was."""
    hospital = hospital_in_procurement_zone(app)
    rid = rep_id(app, "rep@demo.battlemap")
    headers = auth.headers(MANAGER)
    url = f"/api/v1/preview?rep_id={rid}&place_id={hospital.id}"
    create(client, auth, conditions={}, show=[
        {"pack": "procurement-led-hospitals", "kind": "talk_tracks", "ids": ["pl-tt-proposal-vbp"]}])
    seen = {client.get(url, headers=headers).get_json()["talk_tracks"][0]["variant"] for _ in range(5)}
    assert len(seen) == 1 and seen <= {"A", "B"}
    [popup] = enter(field("rep@demo.battlemap"), hospital)
    assert popup["talk_tracks"][0]["variant"] in seen
    with app.app_context():
        stored = db.session.get(Popup, popup["id"])
        assert stored.variants == {"pl-tt-proposal-vbp": popup["talk_tracks"][0]["variant"]}


def test_dwell_rule_pushes_a_second_card_after_minutes_inside(client, auth, app, field):
    """With a dwell rule, a rep still inside after the dwell time gets its card; without one, nothing more."""
    hospital = hospital_in_procurement_zone(app)
    quiet = field("rep2@demo.battlemap")
    assert len(enter(quiet, hospital)) == 1
    assert enter(quiet, hospital, ts=T0 + 6 * 60_000) == [], "no dwell rule yet"

    rule = create(client, auth, event="dwell", name="驻留5分钟：推送成交话术", conditions={},
                  show=[{"pack": "procurement-led-hospitals", "kind": "talk_tracks",
                         "ids": ["pl-tt-negotiation-tender"]}]).get_json()
    sock = field("rep3@demo.battlemap")  # senior: the tender track is senior-only
    assert [p["event"] for p in enter(sock, hospital)] == ["enter_place"]
    [dwell] = enter(sock, hospital, ts=T0 + 6 * 60_000)
    assert dwell["event"] == "dwell"
    assert [t["id"] for t in dwell["talk_tracks"]] == ["pl-tt-negotiation-tender"]
    assert any(w.get("rule_id") == rule["id"] for w in dwell["why"])


def test_preview_with_an_id_beyond_a_database_integer_is_422(client, auth):
    response = client.get("/api/v1/preview?rep_id=99999999999999999999&place_id=1", headers=auth.headers(MANAGER))
    assert "rep_id" in assert_error_shape(response, 422)["fields"]


@pytest.mark.parametrize(
    ("conditions", "status"),
    [({"shopper": {"types": ["Chronic Care"]}}, 422), ({"shopper": {"kinds": ["chronic_self_care"]}}, 400),
     ({"shopper": {"types": "chronic_self_care"}}, 400)],
)
def test_bad_shopper_conditions_are_refused(client, auth, conditions, status):
    error = assert_error_shape(create(client, auth, conditions=conditions), status)
    assert names_field(error, "conditions"), error


def test_unknown_shopper_types_are_422_naming_the_valid_ones(client, auth):
    """Is a rule for a shopper type the database does not know refused, on create and on update?"""
    bad = {"shopper": {"types": ["chronic_self_care", "aliens"]}}
    error = assert_error_shape(create(client, auth, event="budget_entered", conditions=bad), 422, "invalid_values")
    [problem] = error["fields"]["conditions.shopper.types"]
    assert "aliens" in problem and "chronic_self_care" in problem and "buying_for_parents" in problem
    assert "chronic_self_care," not in problem.split("aliens")[0], "only the unknown key is named as unknown"
    rule = create(client, auth).get_json()
    response = client.put(f"/api/v1/rules/{rule['id']}", json=rule_body(conditions=bad),
                          headers=auth.headers(MANAGER))
    assert "aliens" in assert_error_shape(response, 422)["fields"]["conditions.shopper.types"][0]


def test_a_shopper_rule_decides_the_guides_talk_track_and_says_why(client, auth):
    """A budget_entered rule for chronic-care shoppers fires for them only, with the shopper type in its why."""
    body = rule_body(name="慢病顾客：先讲售后回访", event="budget_entered",
                     conditions={"shopper": {"types": ["chronic_self_care"]}},
                     show=[{"pack": "home-health-counter", "kind": "talk_tracks",
                            "ids": ["hh-tt-after-sales-follow-up", "hh-tt-parents-easy-use"]}])
    created = client.post("/api/v1/rules", json=body, headers=auth.headers(MANAGER))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["conditions"] == {"shopper": {"types": ["chronic_self_care"]}}
    ask = {"budget_min": 3_000, "budget_max": 6_000, "needs": ["家用", "高血压"],
           "counter_type": "ka_supermarket_counter"}
    guide = auth.headers("guide@demo.battlemap")
    chronic = client.post("/api/v1/solutions/compare", json={**ask, "shopper_type": "chronic_self_care"},
                          headers=guide).get_json()
    assert [t["id"] for t in chronic["talk_tracks"]] == ["hh-tt-after-sales-follow-up"], \
        "the parents' track is never shown to a chronic-care shopper, even when a rule names it"
    [fired] = [w for w in chronic["talk_track_why"] if w["rule"] == "trigger_rule"]
    assert fired["rule_id"] == created.get_json()["id"]
    assert fired["facts"]["conditions"] == [{"code": "shopper_type", "shopper_type": "chronic_self_care"}]
    assert "顾客类型为慢病自用" in fired["detail"]
    parents = client.post("/api/v1/solutions/compare", json={**ask, "shopper_type": "buying_for_parents"},
                          headers=guide).get_json()
    assert not any(w["rule"] == "trigger_rule" for w in parents["talk_track_why"])


# ---------------------------------------------------------------------------------------------------------
# Cross-region rules, the editor's options, the preview's time (issue 9)


def hangzhou_pack(app, client, auth, hangzhou_manager) -> str:
    """A published pack of hangzhou (its own components), made by the hangzhou manager."""
    from tests.test_packs_api import Packs, small_pack

    hz = Packs(client, auth, hangzhou_manager)
    key = "west-lake-night-clinics"
    assert hz.post("/packs", {"body": small_pack(key, region="hangzhou", prefix="wlx")}).status_code == 201
    hz.step(1, "submit", key)
    assert Packs(client, auth, "admin@demo.battlemap").step(1, "publish", key).status_code == 200
    return key


def test_a_rule_cannot_show_another_regions_pack_and_the_answer_names_nothing(client, auth, app, hangzhou_manager):
    """Can a Shanghai manager serve a Hangzhou pack's talk-tracks to Shanghai reps? No: 403, and the answer
    is word for word the one for a pack that does not exist — no pack key, no version, no hint it exists."""
    key = hangzhou_pack(app, client, auth, hangzhou_manager)
    show = [{"pack": key, "kind": "talk_tracks", "ids": ["wlx-tt-evening-open"]}]
    foreign = assert_error_shape(create(client, auth, show=show), 403, "forbidden")
    missing = assert_error_shape(create(client, auth, show=[{"pack": "no-such-pack", "kind": "talk_tracks",
                                                             "ids": ["wlx-tt-evening-open"]}]), 403, "forbidden")
    assert foreign == missing
    assert foreign["fields"] == {"show[0].pack": ["Not a pack of this rule's region."]}
    text = str(foreign)
    assert key not in text and "v1" not in text and "hangzhou" not in text
    rule = create(client, auth).get_json()
    response = client.put(f"/api/v1/rules/{rule['id']}", json=rule_body(show=show), headers=auth.headers(MANAGER))
    assert assert_error_shape(response, 403, "forbidden") == foreign, "an update is refused the same way"
    # its own region's pack is fine for the Hangzhou manager
    ok = create(client, auth, email=hangzhou_manager, region="hangzhou", conditions={}, show=show)
    assert ok.status_code == 201, ok.get_json()


def test_a_missing_component_of_an_own_pack_stays_a_precise_422(client, auth):
    """Inline errors for the form: which item, which field, which ids."""
    show = [{"pack": "procurement-led-hospitals", "kind": "counters", "ids": ["pl-counter-yunyitong-platform"]},
            {"pack": "procurement-led-hospitals", "kind": "talk_tracks", "ids": ["nope", "pl-tt-proposal-vbp"]}]
    error = assert_error_shape(create(client, auth, show=show), 422, "invalid_values")
    assert list(error["fields"]) == ["show[1].ids"]
    [problem] = error["fields"]["show[1].ids"]
    assert "nope" in problem and "pl-tt-proposal-vbp" not in problem


def test_a_stored_cross_region_rule_serves_nothing_foreign(client, auth, app, field, hangzhou_manager):
    """A rule written before the check (straight into the table) still cannot put a Hangzhou talk-track on a
    Shanghai rep's card: the engine skips another region's pack."""
    from app.services.pack_queries import packs_changed

    key = hangzhou_pack(app, client, auth, hangzhou_manager)
    hospital = hospital_in_procurement_zone(app)
    with app.app_context():
        region = db.session.scalar(select(Region.id).where(Region.key == "shanghai"))
        db.session.add(TriggerRule(region_id=region, name="旧规则", event="enter_place", conditions={}, priority=1,
                                   show=[{"pack": key, "kind": "talk_tracks", "ids": ["wlx-tt-evening-open"]}]))
        packs_changed()
        db.session.commit()
    [popup] = enter(field("rep@demo.battlemap"), hospital)
    assert "wlx-tt-evening-open" not in {t["id"] for t in popup["talk_tracks"]}
    [fired] = [w for w in popup["why"] if w["rule"] == "trigger_rule"]
    assert fired["facts"]["shown"] == 0, "the rule matched and showed nothing of the other region"


def test_rule_options_give_the_editor_keys_and_names(client, auth, app, hangzhou_manager):
    """Does the editor get every choice as a key with a name in the manager's language, and only its region's
    zone types and components?"""
    headers = auth.headers(MANAGER)
    zh = client.get("/api/v1/rules/options?region=shanghai", headers=headers)
    assert zh.status_code == 200, zh.get_json()
    options = zh.get_json()
    assert options["region"] == {"key": "shanghai", "name": "上海大区"}
    assert [e["key"] for e in options["events"]][:3] == ["enter_place", "enter_zone", "dwell"]
    assert {"key": "enter_place", "name": "进入客户围栏"} in options["events"]
    assert {"key": "procurement_led", "name": "集采主导型"} in options["zone_types"]
    assert {"key": "tier3_hospital", "name": "三甲医院"} in options["categories"]
    assert {"key": "senior", "name": "资深"} in options["skill_levels"] or \
        any(s["key"] == "senior" for s in options["skill_levels"])
    assert {s["key"] for s in options["stages"]} >= {"prospecting", "negotiation"}
    assert options["weekdays"][0]["key"] == 1
    assert {"key": "集采经验", "name": "集采经验"} in options["rep_tags"], "rep3's tag is in use"
    assert options["place_tags"] and all(t["key"] == t["name"] for t in options["place_tags"])
    track = next(c for c in options["components"] if c["id"] == "pl-tt-proposal-vbp")
    assert track["kind"] == "talk_tracks" and track["pack"]["key"] == "procurement-led-hospitals" and track["title"]
    with app.app_context():
        from app.models import ContentPack

        shanghai = set(db.session.scalars(select(ContentPack.key).join(Region, Region.id == ContentPack.region_id)
                                          .where(Region.key == "shanghai")))
    assert {c["pack"]["key"] for c in options["components"]} <= shanghai
    assert {p["key"] for p in options["packs"]} == shanghai
    en = client.get("/api/v1/rules/options?region=shanghai&locale=en", headers=headers).get_json()
    assert {"key": "procurement_led", "name": "Procurement-led"} in en["zone_types"]
    assert {"key": "enter_place", "name": "Enters a client's fence"} in en["events"]
    assert en["components"] == options["components"], "names of components are the manager's own words"
    assert client.get("/api/v1/rules/options", headers=headers).get_json()["region"]["key"] == "shanghai", \
        "default: the manager's own region"
    assert_error_shape(client.get("/api/v1/rules/options?region=hangzhou", headers=headers), 403, "forbidden")
    assert_error_shape(client.get("/api/v1/rules/options?region=atlantis", headers=headers), 422)
    assert_error_shape(client.get("/api/v1/rules/options", headers=auth.headers("rep@demo.battlemap")), 403)


def test_preview_takes_a_local_time_and_an_event_and_records_nothing(client, auth, app):
    """A datetime-local value (no offset) is Shanghai time; a dwell preview works; nothing is written."""
    from app.models import Event, RepFix

    hospital = hospital_in_procurement_zone(app)
    rule = create(client, auth, event="dwell", conditions={"time": {"from": "08:00", "to": "12:00"}},
                  show=[{"pack": "procurement-led-hospitals", "kind": "talk_tracks",
                         "ids": ["pl-tt-proposal-vbp"]}]).get_json()
    rid = rep_id(app, "rep@demo.battlemap")
    headers = auth.headers(MANAGER)

    def counts():
        with app.app_context():
            tables = (Popup, AuditEntry, Event, RepFix)
            return [db.session.scalar(select(db.func.count()).select_from(t)) for t in tables]

    before = counts()
    url = f"/api/v1/preview?rep_id={rid}&place_id={hospital.id}&event=dwell&at="
    morning = client.get(url + "2026-11-23T09:30", headers=headers).get_json()
    evening = client.get(url + "2026-11-23T20:00", headers=headers).get_json()
    assert morning["at"] == "2026-11-23T09:30:00+08:00" and morning["local_time"] == "2026-11-23 09:30"
    assert morning["event"] == "dwell" and morning["weekday"] == 1
    assert any(w.get("rule_id") == rule["id"] for w in morning["why"])
    assert not any(w.get("rule_id") == rule["id"] for w in evening["why"])
    utc = client.get(url + "2026-11-23T01:30:00Z", headers=headers).get_json()
    assert utc["at"] == "2026-11-23T09:30:00+08:00", "an offset is honoured and shown in local time"
    assert counts() == before, "a preview records nothing"


def test_preview_of_a_rep_of_another_region_is_forbidden(client, auth, app):
    from tests.test_packs_api import add_user

    hz_rep = add_user(app, "hz-rep-preview@demo.battlemap", role="rep", region="hangzhou", skill_level="junior")
    hospital = place_by_category(app, "tier3_hospital")
    response = client.get(f"/api/v1/preview?rep_id={hz_rep}&place_id={hospital.id}", headers=auth.headers(MANAGER))
    assert_error_shape(response, 403, "forbidden")
