"""Scenario engine and popup benchmarks (ratios follow bench/run.py: baseline ÷ value for times, value ÷
baseline for throughputs, so a ratio above 1 always means better than the baseline).

1. Popups composed per second by the compiled engine with 50 packs and 500 trigger rules (target ≥ 5,000/s on
   one core), against a baseline measured in the same run: the same rules interpreted from their JSON on
   every call, with no buckets and no cached default selection.
2. Location update → popup over the real /field handler on the demo database (SQLite), p50/p99, against the
   baseline of the same update when it enters no fence (the cost of the socket path and the fence check).
3. Solution comparison p50/p99 (target p99 < 20 ms), against the baseline of reading the catalog from the
   database on every call.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from content_packs import load_all, matching_components
from content_packs.engine import (
    EVENTS,
    PackData,
    PlaceFacts,
    RepFacts,
    RuleData,
    ScenarioEngine,
    Situation,
    ZoneFacts,
)

ZONE_TYPES = ["procurement_led", "private_hospital_dense", "primary_care_gap", "aesthetics_cluster",
              "community_retail", "ka_retail_core"]
CATEGORIES = ["tier3_hospital", "private_hospital", "aesthetics_clinic", "community_health_center",
              "community_grocery", "ka_supermarket"]
SKILLS = ["junior", "intermediate", "senior"]
TAGS = ["重点客户", "新院区", "集采中标", "高端客群", "社区团购", "夜间营业", "已交付POC", "集采经验"]
NOW = datetime(2026, 11, 23, 10, 30)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _synthetic_packs(count: int) -> list[PackData]:
    """``count`` packs cloned from the shipped ones with fresh ids, spread over zone types and categories."""
    shipped = load_all()
    packs = []
    for i in range(count):
        base = shipped[i % len(shipped)]
        body = {**base, "id": f"{base['id']}-{i}", "zone_types": [ZONE_TYPES[i % len(ZONE_TYPES)]]}
        for kind in ("personas", "talk_tracks", "counters", "compliance_notes", "local_cases", "solution_hints"):
            body[kind] = [{**c, "id": f"{c['id']}-{i}"} for c in base.get(kind, [])]
        packs.append(PackData(key=body["id"], name=body["name"], version=1, version_id=i + 1, body=body))
    return packs


def _synthetic_rules(count: int, packs: list[PackData], rng: random.Random) -> list[RuleData]:
    rules = []
    for i in range(count):
        pack = rng.choice(packs)
        conditions: dict = {}
        if rng.random() < 0.8:
            conditions["zone_types"] = rng.sample(ZONE_TYPES, rng.randint(1, 2))
        place: dict = {}
        if rng.random() < 0.6:
            place["categories"] = rng.sample(CATEGORIES, rng.randint(1, 3))
        if rng.random() < 0.3:
            place["notice_within_days"] = rng.choice([7, 30, 60])
        if rng.random() < 0.2:
            place["tags_any"] = rng.sample(TAGS, 2)
        if place:
            conditions["place"] = place
        if rng.random() < 0.4:
            conditions["rep"] = {"skill_levels": rng.sample(SKILLS, rng.randint(1, 2))}
        if rng.random() < 0.2:
            conditions["time"] = {"from": "08:00", "to": "18:00", "weekdays": [1, 2, 3, 4, 5]}
        kind = rng.choice(["talk_tracks", "counters", "compliance_notes"])
        ids = [c["id"] for c in pack.body.get(kind, [])][:2]
        rules.append(RuleData(id=i + 1, name=f"rule {i}", region_id=1, event=rng.choice(EVENTS[:3]),
                              conditions=conditions, show=[{"pack": pack.key, "kind": kind, "ids": ids}],
                              priority=rng.randint(0, 200)))
    return rules


def _situations(count: int, rng: random.Random) -> list[Situation]:
    out = []
    for i in range(count):
        notices = tuple((NOW.date() - timedelta(days=d), f"采购公告{d}") for d in sorted(rng.sample(range(1, 90), 3)))
        out.append(Situation(
            event="enter_place",
            rep=RepFacts(id=rng.randint(1, 1000), role="rep", skill_level=rng.choice(SKILLS), region_id=1,
                         tags=frozenset(rng.sample(TAGS, 2))),
            now=NOW,
            place=PlaceFacts(id=i, name=f"客户{i}", category=rng.choice(CATEGORIES), category_name="类别",
                             region_id=1, tags=frozenset(rng.sample(TAGS, 2)), stage="proposal",
                             notices=notices, competitors=frozenset({"康瑞医疗"})),
            zone=ZoneFacts(id=1, type=rng.choice(ZONE_TYPES), name="区域", type_name="类型"),
        ))
    return out


def _naive_recommend(packs: list[PackData], rules: list[RuleData], s: Situation) -> list[dict]:
    """Baseline: interpret every rule's JSON on every call; select components with no caching."""
    shown = []
    for rule in sorted(rules, key=lambda r: (r.priority, r.id)):
        if rule.event != s.event or rule.region_id != s.region_id:
            continue
        c = rule.conditions
        if c.get("zone_types") and s.zone.type not in c["zone_types"]:
            continue
        p = c.get("place", {})
        if p.get("categories") and s.place.category not in p["categories"]:
            continue
        if p.get("tags_any") and not set(p["tags_any"]) & s.place.tags:
            continue
        if p.get("notice_within_days") and not any(
                d >= s.now.date() - timedelta(days=p["notice_within_days"]) for d, _ in s.place.notices):
            continue
        r = c.get("rep", {})
        if r.get("skill_levels") and s.rep.skill_level not in r["skill_levels"]:
            continue
        t = c.get("time", {})
        if t and not (s.now.isoweekday() in t.get("weekdays", range(1, 8))
                      and t.get("from", "00:00") <= s.now.strftime("%H:%M") <= t.get("to", "23:59")):
            continue
        for item in rule.show:
            pack = next(p for p in packs if p.key == item["pack"])
            fitting = matching_components(pack.body, item["kind"], category=s.place.category,
                                          skill_level=s.rep.skill_level)
            shown += [x for x in fitting if x["id"] in item.get("ids", [x["id"]])]
    if not shown:
        for pack in packs:
            if s.zone.type in pack.body["zone_types"] and s.place.category in (pack.body.get("categories") or []):
                shown = matching_components(pack.body, "talk_tracks", category=s.place.category,
                                            skill_level=s.rep.skill_level)
                break
    return shown


def bench_engine() -> list[dict]:
    rng = random.Random(7)
    packs = _synthetic_packs(50)
    rules = _synthetic_rules(500, packs, rng)
    situations = _situations(20_000, rng)
    engine = ScenarioEngine(packs, rules)
    for s in situations[:500]:
        engine.recommend(s)

    start = time.perf_counter()
    for s in situations:
        engine.recommend(s)
    compiled_rate = len(situations) / (time.perf_counter() - start)

    sample = situations[:2000]
    start = time.perf_counter()
    for s in sample:
        _naive_recommend(packs, rules, s)
    naive_rate = len(sample) / (time.perf_counter() - start)
    return [{"name": "popups composed per second (50 packs, 500 rules, one core)", "value": round(compiled_rate),
             "unit": "popups/s", "baseline": "rules interpreted from JSON on every call",
             "baseline_value": round(naive_rate), "ratio": round(compiled_rate / naive_rate, 2)}]


def _demo_app(tmp: Path, **overrides):
    from flask_migrate import upgrade

    from app import create_app
    from app.demo.loader import load_demo
    from app.extensions import db
    from config import TestConfig

    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
                                                   "STATE_POLL_S": 5.0, **overrides})
    app = create_app(config)
    with app.app_context():
        upgrade(directory=str(app.config["MIGRATIONS_DIR"]))
        load_demo()
        db.session.remove()
    return app


def bench_popup_and_compare() -> list[dict]:
    from sqlalchemy import select

    from app.extensions import db, socketio
    from app.models import Place, User
    from app.services.auth import issue_token

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        app = _demo_app(Path(tmp))
        reps = 200
        with app.app_context():
            region_id = db.session.scalar(select(User.region_id).where(User.email == "rep@demo.battlemap"))
            users = [User(email=f"bench{i}@demo.battlemap", name=f"压测{i}", role="rep",
                          skill_level=SKILLS[i % 3], password_hash="x", region_id=region_id) for i in range(reps)]
            db.session.add_all(users)
            db.session.commit()
            tokens = [issue_token(u) for u in users]
            places = [(p.lat, p.lon) for p in db.session.scalars(select(Place))]
        clients = [socketio.test_client(app, namespace="/field", auth={"token": t}) for t in tokens]
        ts = int(time.time() * 1000)
        popup_ms, plain_ms = [], []
        for i, sock in enumerate(clients):
            far = (31.9 + i * 0.001, 122.3)  # at sea off Shanghai: no fence
            start = time.perf_counter()
            sock.emit("location", {"lat": far[0], "lon": far[1], "accuracy_m": 10, "ts": ts}, namespace="/field",
                      callback=True)
            plain_ms.append((time.perf_counter() - start) * 1000)
        for i, sock in enumerate(clients):
            lat, lon = places[i % len(places)]
            start = time.perf_counter()
            ack = sock.emit("location", {"lat": lat, "lon": lon, "accuracy_m": 10, "ts": ts + 3_600_000},
                            namespace="/field", callback=True)
            popup_ms.append((time.perf_counter() - start) * 1000)
            assert ack["popups"] >= 1, ack
        for sock in clients:
            sock.disconnect("/field")
        p99_popup, p99_plain = _percentile(popup_ms, 0.99), _percentile(plain_ms, 0.99)
        results.append({"name": f"location → popup p99 (/field handler, SQLite, {reps} reps)",
                        "value": round(p99_popup, 2), "unit": "ms",
                        "baseline": "same location update entering no fence (p99)",
                        "baseline_value": round(p99_plain, 2), "ratio": round(p99_plain / p99_popup, 3)})
        results.append({"name": "location → popup p50", "value": round(statistics.median(popup_ms), 2),
                        "unit": "ms", "baseline": "target p99", "baseline_value": 50.0,
                        "ratio": round(50.0 / statistics.median(popup_ms), 2)})

        # the 3-option comparison is measured by bench/bench_solver.py
        with app.app_context():
            db.engine.dispose()
    return results


def run() -> list[dict]:
    return bench_engine() + bench_popup_and_compare()


if __name__ == "__main__":
    for row in run():
        print(row)
