"""The pure scenario engine: compiled rules, default selection, variants, compliance expiry."""

import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta

from content_packs.engine import (
    CONDITION_CODES,
    WHY_CODES,
    PackData,
    PlaceFacts,
    RepFacts,
    RuleData,
    ScenarioEngine,
    Situation,
    ZoneFacts,
    live_compliance_notes,
    pick_variant,
)

NOW = datetime(2026, 11, 23, 10, 0)


def track(tid, stage="proposal", **extra):
    return {"id": tid, "title": tid, "stage": stage, "lines": ["a", "b"],
            "objections": [{"objection": f"o{i}", "response": f"r{i}"} for i in range(3)], **extra}


def pack(key="p", zone_types=("procurement_led",), categories=("tier3_hospital",), **components):
    body = {"id": key, "name": key, "zone_types": list(zone_types), "categories": list(categories),
            "audience": {"roles": ["rep"]}, "talk_tracks": [], "counters": [], "compliance_notes": [],
            "local_cases": [], "personas": [], **components}
    return PackData(key=key, name=key, version=1, version_id=1, body=body)


def situation(*, skill="junior", zone_type="procurement_led", category="tier3_hospital", event="enter_place",
              notices=(), now=NOW, rep_id=1, tags=(), place_tags=(), stage=None, budget=None, competitors=(),
              shopper_type=None):
    return Situation(
        shopper_type=shopper_type,
        event=event,
        rep=RepFacts(id=rep_id, role="rep", skill_level=skill, region_id=1, tags=frozenset(tags)),
        now=now,
        place=PlaceFacts(id=1, name="医院", category=category, region_id=1, notices=tuple(notices),
                         tags=frozenset(place_tags), stage=stage, budget_cny=budget,
                         competitors=frozenset(competitors)),
        zone=ZoneFacts(id=1, type=zone_type, name="区"),
    )


def is_json_safe(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_json_safe(v) for k, v in value.items())
    if isinstance(value, list):
        return all(is_json_safe(v) for v in value)
    return isinstance(value, str | int) and not isinstance(value, bool)


def test_importing_the_engine_does_not_import_flask_or_sqlalchemy():
    code = "import content_packs.engine, sys; print('flask' in sys.modules, 'sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_default_selection_filters_by_skill_level():
    engine = ScenarioEngine([pack(talk_tracks=[track("all"), track("senior", skill_levels=["senior"]),
                                               track("junior", skill_levels=["junior"])])], [])
    junior = engine.recommend(situation(skill="junior"))
    senior = engine.recommend(situation(skill="senior"))
    assert {t["id"] for t in junior.components["talk_tracks"]} == {"all", "junior"}
    assert {t["id"] for t in senior.components["talk_tracks"]} == {"all", "senior"}
    assert junior.pack.key == "p"


def test_no_pack_for_another_category():
    engine = ScenarioEngine([pack(talk_tracks=[track("t")])], [])
    result = engine.recommend(situation(category="community_grocery"))
    assert result.pack is None
    assert result.why == [{"rule": "no_pack", "facts": {"zone_type": "procurement_led",
                                                         "category": "community_grocery"}}]
    assert result.components["talk_tracks"] == []


def test_rules_are_bucketed_by_event_and_zone_type():
    rules = [
        RuleData(id=1, name="zone", region_id=1, event="enter_place", conditions={"zone_types": ["procurement_led"]},
                 show=[{"kind": "talk_tracks"}], priority=5),
        RuleData(id=2, name="any", region_id=1, event="enter_place", conditions={}, show=[{"kind": "counters"}],
                 priority=1),
        RuleData(id=3, name="dwell", region_id=1, event="dwell", conditions={}, show=[{"kind": "counters"}]),
        RuleData(id=4, name="other region", region_id=2, event="enter_place", conditions={},
                 show=[{"kind": "counters"}]),
    ]
    engine = ScenarioEngine([pack(talk_tracks=[track("t")])], rules)
    assert [r.data.id for r in engine.candidate_rules(situation())] == [2, 1]
    assert [r.data.id for r in engine.candidate_rules(situation(zone_type="primary_care_gap"))] == [2]
    assert [r.data.id for r in engine.candidate_rules(situation(event="dwell"))] == [3]


def test_notice_condition_uses_the_situations_date():
    rule = RuleData(id=7, name="recent notice", region_id=1, event="enter_place",
                    conditions={"place": {"notice_within_days": 30}}, show=[{"kind": "talk_tracks"}])
    engine = ScenarioEngine([pack(talk_tracks=[track("t")])], [rule])
    fresh = engine.recommend(situation(notices=[(NOW.date() - timedelta(days=3), "超声采购")]))
    stale = engine.recommend(situation(notices=[(NOW.date() - timedelta(days=45), "旧公告")]))
    assert fresh.rule_ids == [7]
    [fired] = [w for w in fresh.why if w["rule"] == "trigger_rule"]
    assert fired == {"rule": "trigger_rule", "rule_id": 7, "facts": {
        "name": "recent notice", "shown": 1,
        "conditions": [{"code": "notice_within_days", "days": 30, "count": 1, "latest": "超声采购"}]}}
    assert stale.rule_ids == []


def test_expired_compliance_notes_are_never_shown():
    notes = [{"id": "old", "title": "t", "text": "x", "expires_on": "2026-11-22"},
             {"id": "today", "title": "t", "text": "x", "expires_on": "2026-11-23"},
             {"id": "forever", "title": "t", "text": "x"}]
    assert [n["id"] for n in live_compliance_notes(notes, date(2026, 11, 23))] == ["today", "forever"]
    engine = ScenarioEngine([pack(talk_tracks=[track("t")], compliance_notes=notes)], [])
    shown = engine.recommend(situation()).components["compliance_notes"]
    assert [n["id"] for n in shown] == ["today", "forever"]
    rule = RuleData(id=1, name="compliance", region_id=1, event="enter_place", conditions={},
                    show=[{"kind": "compliance_notes", "ids": ["old", "forever"]}])
    by_rule = ScenarioEngine([pack(compliance_notes=notes)], [rule]).recommend(situation())
    assert [n["id"] for n in by_rule.components["compliance_notes"]] == ["forever"]


def test_expired_notes_never_crowd_out_live_ones():
    notes = [{"id": f"old{i}", "title": "t", "text": "x", "expires_on": "2020-01-01"} for i in range(3)]
    notes.append({"id": "live", "title": "t", "text": "x"})
    shown = ScenarioEngine([pack(talk_tracks=[track("t")], compliance_notes=notes)], []).recommend(situation())
    assert [n["id"] for n in shown.components["compliance_notes"]] == ["live"]


def test_variant_split_follows_weights_and_is_sticky():
    t = track("ab", variants=[{"id": "A", "weight": 80, "lines": ["a1", "a2"]},
                              {"id": "B", "weight": 20, "lines": ["b1", "b2"]}])
    counts = Counter(pick_variant(rep, t)["id"] for rep in range(4000))
    assert 0.76 < counts["A"] / 4000 < 0.84
    assert all(pick_variant(rep, t)["id"] == pick_variant(rep, t)["id"] for rep in range(50))
    engine = ScenarioEngine([pack(talk_tracks=[t])], [])
    shown = engine.recommend(situation(rep_id=3))
    expected = pick_variant(3, t)
    assert shown.components["talk_tracks"][0]["lines"] == expected["lines"]
    assert shown.variants == {"ab": expected["id"]}


def test_recommendations_do_not_leak_between_calls():
    """The cached default selection is never mutated by a variant applied for one rep."""
    t = track("ab", variants=[{"id": "A", "weight": 1, "lines": ["a1", "a2"]},
                              {"id": "B", "weight": 1, "lines": ["b1", "b2"]}])
    engine = ScenarioEngine([pack(talk_tracks=[t])], [])
    lines = {tuple(engine.recommend(situation(rep_id=r)).components["talk_tracks"][0]["lines"]) for r in range(40)}
    assert lines == {("a1", "a2"), ("b1", "b2")}


def test_bucketing_never_changes_which_rules_match():
    """The bucketed engine matches exactly the rules a brute-force pass over every rule matches."""
    import random

    from content_packs.engine import compile_rule

    rng = random.Random(11)
    zone_types = ["procurement_led", "primary_care_gap", "aesthetics_cluster"]
    categories = ["tier3_hospital", "aesthetics_clinic", "community_grocery"]
    shopper_types = ["chronic_self_care", "buying_for_parents"]
    rules = []
    for i in range(300):
        conditions = {}
        if rng.random() < 0.6:
            conditions["zone_types"] = rng.sample(zone_types, rng.randint(1, 2))
        if rng.random() < 0.6:
            conditions["place"] = {"categories": rng.sample(categories, rng.randint(1, 2))}
        if rng.random() < 0.3:
            conditions["rep"] = {"skill_levels": [rng.choice(["junior", "senior"])]}
        if rng.random() < 0.3:
            conditions["shopper"] = {"types": rng.sample(shopper_types, rng.randint(1, 2))}
        event = rng.choice(["enter_place", "dwell"])
        rules.append(RuleData(id=i, name=f"r{i}", region_id=rng.choice([1, 2]), event=event,
                              conditions=conditions, show=[{"kind": "talk_tracks"}], priority=rng.randint(0, 9)))
    engine = ScenarioEngine([pack(talk_tracks=[track("t")])], rules)
    brute = [compile_rule(r) for r in sorted(rules, key=lambda r: (r.priority, r.id))]
    matched_shopper_rules = 0
    for _ in range(300):
        s = situation(skill=rng.choice(["junior", "senior"]), zone_type=rng.choice([*zone_types, "ka_retail_core"]),
                      category=rng.choice([*categories, "ka_supermarket"]), event=rng.choice(["enter_place", "dwell"]),
                      shopper_type=rng.choice([*shopper_types, "new_parents", None]))
        expected = [c.data.id for c in brute
                    if c.data.event == s.event and c.data.region_id == s.region_id and c.match(s) is not None]
        assert engine.recommend(s).rule_ids == expected
        matched_shopper_rules += any("shopper" in r.conditions for r in rules if r.id in expected)
    assert matched_shopper_rules, "some situations match a shopper-type rule"


def test_default_selection_explains_itself_in_codes_and_facts():
    """Does the default selection say why with codes (zone type, category, level, stage) and data, no prose?"""
    tracks = [track("all"), track("junior", stage="discovery", skill_levels=["junior"])]
    counters = [{"id": "c1", "competitor": "康瑞", "their_move": "m", "our_response": "r"}]
    engine = ScenarioEngine([pack(talk_tracks=tracks, counters=counters)], [])
    result = engine.recommend(situation(stage="discovery", competitors=["康瑞"],
                                        notices=[(NOW.date() - timedelta(days=2), "超声采购")]))
    assert result.why == [
        {"rule": "zone_type", "facts": {"zone": "区", "zone_type": "procurement_led", "pack": "p"}},
        {"rule": "place_category", "facts": {"category": "tier3_hospital"}},
        {"rule": "skill_level", "facts": {"skill_level": "junior", "shown": 2, "specific": 1}},
        {"rule": "sales_stage", "facts": {"stage": "discovery"}},
        {"rule": "competitor_activity", "facts": {"competitors": ["康瑞"]}},
        {"rule": "recent_procurement", "facts": {"days": 30, "count": 1, "latest": "超声采购"}},
    ]
    assert {w["rule"] for w in result.why} <= set(WHY_CODES)


def test_every_condition_reports_its_code_and_facts():
    """Does a rule that checks everything list one coded fact per condition, in check order?"""
    conditions = {
        "zone_types": ["procurement_led"],
        "place": {"categories": ["tier3_hospital"], "tags_any": ["教学医院", "x"], "tags_all": ["教学医院"],
                  "stages": ["proposal"], "competitors_any": ["康瑞", "恒泰"], "notice_within_days": 30,
                  "budget_min": 100_000},
        "shopper": {"types": ["chronic_self_care", "buying_for_parents"]},
        "rep": {"roles": ["rep"], "skill_levels": ["junior"], "tags_any": ["新人营"], "tags_all": ["新人营"]},
        "time": {"weekdays": [1], "from": "08:00", "to": "12:00"},
    }
    rule = RuleData(id=4, name="全条件", region_id=1, event="enter_place", conditions=conditions,
                    show=[{"kind": "talk_tracks"}])
    engine = ScenarioEngine([pack(talk_tracks=[track("t")])], [rule])
    s = situation(place_tags=["教学医院"], stage="proposal", budget=120_000, competitors=["康瑞"], tags=["新人营"],
                  shopper_type="chronic_self_care",
                  notices=[(NOW.date(), "新公告"), (NOW.date() - timedelta(days=10), "旧一点的公告")])
    [fired] = [w for w in engine.recommend(s).why if w["rule"] == "trigger_rule"]
    assert fired["rule_id"] == 4 and fired["facts"]["name"] == "全条件" and fired["facts"]["shown"] == 1
    assert fired["facts"]["conditions"] == [
        {"code": "zone_type", "zone_type": "procurement_led"},
        {"code": "category", "category": "tier3_hospital"},
        {"code": "place_tags", "tags": ["教学医院"]},
        {"code": "place_tags", "tags": ["教学医院"]},
        {"code": "stage", "stage": "proposal"},
        {"code": "competitors", "competitors": ["康瑞"]},
        {"code": "notice_within_days", "days": 30, "count": 2, "latest": "新公告"},
        {"code": "budget", "budget_cny": 120000},
        {"code": "shopper_type", "shopper_type": "chronic_self_care"},
        {"code": "role", "role": "rep"},
        {"code": "skill_level", "skill_level": "junior"},
        {"code": "rep_tags", "tags": ["新人营"]},
        {"code": "rep_tags", "tags": ["新人营"]},
        {"code": "weekday", "weekday": 1},
        {"code": "time_window", "time": "10:00", "from": "08:00", "to": "12:00"},
    ]
    assert {c["code"] for c in fired["facts"]["conditions"]} == set(CONDITION_CODES)
    assert is_json_safe(fired)


def test_a_rule_without_conditions_matches_with_an_empty_list():
    rule = RuleData(id=9, name="always", region_id=1, event="enter_place", conditions={},
                    show=[{"kind": "talk_tracks"}])
    [fired] = [w for w in ScenarioEngine([pack(talk_tracks=[track("t")])], [rule]).recommend(situation()).why
               if w["rule"] == "trigger_rule"]
    assert fired["facts"]["conditions"] == []


def test_a_failing_condition_stops_the_rule():
    """Budget below the minimum and a Sunday each keep the rule from firing."""
    cheap = RuleData(id=1, name="big budget", region_id=1, event="enter_place",
                     conditions={"place": {"budget_min": 100_000}}, show=[{"kind": "talk_tracks"}])
    weekdays = RuleData(id=2, name="weekdays", region_id=1, event="enter_place",
                        conditions={"time": {"weekdays": [1, 2, 3, 4, 5]}}, show=[{"kind": "talk_tracks"}])
    engine = ScenarioEngine([pack(talk_tracks=[track("t")])], [cheap, weekdays])
    assert engine.recommend(situation(budget=50_000, now=NOW + timedelta(days=6))).rule_ids == []
    assert engine.recommend(situation(budget=150_000, now=NOW)).rule_ids == [1, 2]


# ── shopper types (a guide's counter, event budget_entered) ───────────────────────────────────────────────


def counter_situation(shopper_type=None, *, category="ka_supermarket", skill="intermediate"):
    """A guide who just entered a shopper's budget: no zone; a place only when the counter has a category."""
    place = PlaceFacts(id=0, name="", category=category, region_id=1, budget_cny=5_000) if category else None
    return Situation(event="budget_entered", now=NOW, place=place, shopper_type=shopper_type,
                     rep=RepFacts(id=7, role="guide", skill_level=skill, region_id=1))


def counter_pack(key="counter", tracks=None, categories=("ka_supermarket",), **components):
    body = pack(key, zone_types=("ka_retail_core",), categories=categories, **components).body
    body["audience"] = {"roles": ["guide"]}
    body["talk_tracks"] = tracks if tracks is not None else [
        track("generic", stage="discovery"),
        track("parents", stage="discovery", shopper_types=["buying_for_parents"]),
        track("chronic", stage="closing", shopper_types=["chronic_self_care"]),
        track("both", stage="after_sales", shopper_types=["chronic_self_care", "sleep_and_breathing"]),
    ]
    return PackData(key=key, name=key, version=1, version_id=1, body=body)


def test_tracks_for_the_shopper_type_come_first_and_others_are_left_out():
    """Does a chronic-care shopper get the chronic tracks first, the generic one after, and no parents' track?"""
    engine = ScenarioEngine([counter_pack()], [])
    chronic = engine.recommend(counter_situation("chronic_self_care"))
    assert [t["id"] for t in chronic.components["talk_tracks"]] == ["chronic", "both", "generic"]
    parents = engine.recommend(counter_situation("buying_for_parents"))
    assert [t["id"] for t in parents.components["talk_tracks"]] == ["parents", "generic"]
    nobody = engine.recommend(counter_situation("new_parents"))
    assert [t["id"] for t in nobody.components["talk_tracks"]] == ["generic"], "made only for others: left out"
    unknown = engine.recommend(counter_situation(None))
    assert {t["id"] for t in unknown.components["talk_tracks"]} == {"generic", "parents", "chronic", "both"}, \
        "no shopper type: nothing is filtered"


def test_the_shopper_type_preference_explains_itself():
    engine = ScenarioEngine([counter_pack()], [])
    why = engine.recommend(counter_situation("chronic_self_care")).why
    assert {"rule": "shopper_type", "facts": {"shopper_type": "chronic_self_care", "specific": 2}} in why
    assert {w["rule"] for w in why} <= set(WHY_CODES)
    assert all(is_json_safe(w) for w in why)
    for quiet in ("new_parents", None):
        assert not any(w["rule"] == "shopper_type" for w in engine.recommend(counter_situation(quiet)).why), \
            "no track made for the shopper: nothing to say"


def test_counters_for_the_shopper_type_come_first_and_others_are_left_out():
    counters = [{"id": "any", "competitor": "甲", "their_move": "m", "our_response": "r"},
                {"id": "sleep", "competitor": "乙", "their_move": "m", "our_response": "r",
                 "shopper_types": ["sleep_and_breathing"]},
                {"id": "fit", "competitor": "丙", "their_move": "m", "our_response": "r",
                 "shopper_types": ["fitness_recovery"]}]
    engine = ScenarioEngine([counter_pack(counters=counters)], [])
    sleep = engine.recommend(counter_situation("sleep_and_breathing")).components["counters"]
    assert [c["id"] for c in sleep] == ["sleep", "any"]


def test_a_pack_with_tracks_for_the_shopper_wins_a_tie():
    """Two packs fit a KA guide equally; the one that speaks to this shopper type is chosen."""
    plain = counter_pack("a-plain", tracks=[track("plain")])
    targeted = counter_pack("b-targeted")
    engine = ScenarioEngine([plain, targeted], [])
    assert engine.recommend(counter_situation(None)).pack.key == "a-plain", "no shopper type: first of equals"
    assert engine.recommend(counter_situation("chronic_self_care")).pack.key == "b-targeted"
    assert engine.recommend(counter_situation("new_parents")).pack.key == "a-plain", "b has nothing for them"


def test_without_a_category_the_shopper_type_chooses_the_pack():
    """A pharmacy counter has no place category: the pack with tracks for the shopper is still found."""
    engine = ScenarioEngine([counter_pack("a-plain", tracks=[track("plain")]), counter_pack("b-targeted")], [])
    chosen = engine.recommend(counter_situation("buying_for_parents", category=None))
    assert chosen.pack.key == "b-targeted"
    assert [t["id"] for t in chosen.components["talk_tracks"]] == ["parents", "generic"]
    assert engine.recommend(counter_situation(None, category=None)).pack is None


def test_a_shopper_type_never_moves_a_rep_to_another_pack():
    """The zone's pack still wins for a rep on the road (zone and category outweigh the shopper type)."""
    zone_pack = pack("z", zone_types=("ka_retail_core",), categories=("ka_supermarket",),
                     talk_tracks=[track("store")])
    other = counter_pack("y-counter")
    other.body["audience"] = {"roles": ["rep", "guide"]}
    other.body["zone_types"] = ["community_retail"]
    engine = ScenarioEngine([other, zone_pack], [])
    s = situation(zone_type="ka_retail_core", category="ka_supermarket", shopper_type="chronic_self_care")
    assert engine.recommend(s).pack.key == "z"


def test_a_shopper_rule_matches_only_its_shopper_types_and_says_so():
    rule = RuleData(id=5, name="慢病顾客：先讲耗材长期花费", region_id=1, event="budget_entered",
                    conditions={"place": {"categories": ["ka_supermarket"]},
                                "shopper": {"types": ["chronic_self_care", "post_op_recovery"]}},
                    show=[{"pack": "counter", "kind": "talk_tracks", "ids": ["both", "parents", "generic"]}])
    engine = ScenarioEngine([counter_pack()], [rule])
    hit = engine.recommend(counter_situation("chronic_self_care"))
    assert hit.rule_ids == [5]
    [fired] = [w for w in hit.why if w["rule"] == "trigger_rule"]
    assert fired["facts"]["conditions"] == [{"code": "category", "category": "ka_supermarket"},
                                            {"code": "shopper_type", "shopper_type": "chronic_self_care"}]
    assert [t["id"] for t in hit.components["talk_tracks"]] == ["both", "generic"], \
        "a rule never shows a track made only for other shopper types"
    assert engine.recommend(counter_situation("buying_for_parents")).rule_ids == []
    assert engine.recommend(counter_situation(None)).rule_ids == [], "no shopper type: the condition fails"
