"""``flask demo simulate --days 28``: four weeks of field activity written through the real services, so a fresh
demo has charts, one decided experiment and one still running (docs/experiments.md).

Every working day each active rep walks a plan of client sites: location fixes go through
``locations.record_location`` (the fence engine and the scenario engine, exactly as a phone's fixes on
/field), so the popups, their A/B variants and the stored track are real; what the rep then does goes
through ``events.record_events`` (the outbox's path): the plan, check-ins, card feedback, visit notes,
follow-ups and outcomes. Outcomes are drawn from a known truth — the *label* of the simulation, written to
the audit log: in the first experiment variant B truly wins more deals than A, in the second the variants
are the same — so the verdicts the loop reaches can be checked against it.

Process health (docs/learning.md) gets labelled activity too, drawn from a random generator of its own so the
experiments' draws stay as they were: every outcome carries the deal's ``stage`` and ``steps`` from a stage
timeline per client — with ``HEALTH_TRUTHS``' shift in the last two weeks (the proposal stage lasts twice as
long, with POCs and security audits appearing) — reps ask for comparisons for clients with a budget, and one
rep stops writing visit notes in the last days. At the end the coaching rule, the regional warnings and the
weekly digests run through their services.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import STAGES, ContentPack, Experiment, PackVersion, Place, Popup, Region, User
from app.services import audit, digests, events, experiments, health
from app.services.locations import record_location
from app.services.pack_queries import live_version
from app.services.scenarios import rep_facts

MEDICAL = ("tier3_hospital", "private_hospital", "community_health_center", "aesthetics_clinic")
RETAIL = ("ka_supermarket", "community_grocery", "pharmacy", "convenience_store")
BASE_SUCCESS = 0.30
# The labels: per talk-track, the true success rate of each variant — one with a real effect, one without.
TRUTHS = {"cr-tt-proposal-cold-chain": {"A": 0.20, "B": 0.55}, "pl-tt-proposal-vbp": {"A": 0.30, "B": 0.30}}
# The demo's managers set their experiments to a one-week window and 40 exposures before a verdict, so that
# four weeks of a five-rep team can decide one (the defaults, 14 days and 100, suit a real region).
DEMO_DESIGN = {"window_days": 7, "min_exposures": 40}
# A retail rep walks 10–14 stores a day, a medical rep sees 5–8 clients.
STOPS = {"retail": (10, 14, 30, 45), "medical": (5, 8, 55, 80)}
NOTES = ("介绍了新品参数，对方关注售后响应时间", "科室主任出差，与设备科沟通了采购节奏",
         "客户对比了竞品报价，约下周演示", "门店店长同意试陈列两周", "补充了集采目录与资质材料",
         "对方希望先做 POC，再谈价格")
NEXT_STEPS = ("下周三带样机演示", "发送报价单与案例", "约科室主任面谈", "跟进试陈列数据")
# The labels of process health: what the loop's indicators, coaching rule and warnings should find.
HEALTH_TRUTHS = {
    "shift_days": 14,  # the last two weeks: ...
    "longer_stage": "proposal", "longer_factor": 3.0,  # ... deals entering proposal stay 3× as long (POCs drag on)
    # share of deals in proposal or negotiation going through each step: before the shift, in it
    "steps": {"poc": (0.4, 0.85), "security_audit": (0.05, 0.75)},
    "quiet_rep": "rep2@demo.battlemap", "quiet_days": 4,  # stops writing visit notes for their last 4 days
    "comparison_rate": 0.85,  # a rep asks for the three options for a client with a budget after visiting it
}
STAGE_DAYS = {"prospecting": (2, 5), "discovery": (2, 5), "proposal": (3, 5), "negotiation": (2, 5),
              "closing": (2, 4), "after_sales": (3, 6)}


@dataclass
class SimulationResult:
    days: int
    reps: int
    visits: int
    popups: int
    events: int
    experiments: list[dict]
    coaching_alerts: int = 0
    warnings: list[dict] = field(default_factory=list)
    digests: int = 0


def _working_days(end: date, days: int) -> list[date]:
    start = end - timedelta(days=days - 1)
    return [start + timedelta(days=i) for i in range(days) if (start + timedelta(days=i)).weekday() < 5]


def _ms(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def _line(rep: User) -> str:
    return "retail" if "快消零售" in set(rep.tags or ()) else "medical"


def _territory(rep: User, places: list[Place]) -> list[Place]:
    wanted = RETAIL if _line(rep) == "retail" else MEDICAL
    own = [p for p in places if p.region_id == rep.region_id and p.category in wanted]
    return own or [p for p in places if p.region_id == rep.region_id]


def _offset(place: Place, metres: float, rng: random.Random) -> tuple[float, float]:
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.cos(bearing) / 111_320
    dlon = metres * math.sin(bearing) / (111_320 * max(0.2, math.cos(math.radians(place.lat))))
    return place.lat + dlat, place.lon + dlon


def _event(kind: str, at: datetime, *, place_id=None, popup_id=None, **data) -> dict:
    return {"id": str(uuid.uuid4()), "type": kind, "at": _iso(at), "place_id": place_id, "popup_id": popup_id,
            "data": data}


def _truth_for(popup: Popup, truths: dict[tuple[int, str], dict[str, float]], pack_of: dict[int, int]) -> float:
    """The true success rate behind this popup: its variant's in a labelled experiment, else the base rate."""
    pack_id = pack_of.get(popup.pack_version_id)
    for (exp_pack, track), rates in truths.items():
        variant = (popup.variants or {}).get(track)
        if variant and exp_pack == pack_id:
            return rates.get(variant, BASE_SUCCESS)
    return BASE_SUCCESS


def simulate(*, days: int = 28, seed: int = 20261201, end: date | None = None,
             progress: Callable[[Iterable], Iterable] = lambda it: it) -> SimulationResult:
    """Write ``days`` days of activity ending yesterday (UTC); judge the experiments at the end. Commits."""
    rng = random.Random(seed)
    end = end or (datetime.now(UTC).date() - timedelta(days=1))
    experiments.sync()
    exps = list(db.session.scalars(select(Experiment).order_by(Experiment.id)))
    truths: dict[tuple[int, str], dict[str, float]] = {}
    for exp in exps:
        for name, value in DEMO_DESIGN.items():
            setattr(exp, name, value)
        if exp.talk_track_id in TRUTHS:
            truths[(exp.pack_id, exp.talk_track_id)] = TRUTHS[exp.talk_track_id]
    reps = list(db.session.scalars(select(User).where(User.role == "rep", User.active.is_(True),
                                                      User.region_id.is_not(None)).order_by(User.id)))
    places = list(db.session.scalars(select(Place).order_by(Place.id)))
    pack_of = dict(db.session.execute(select(PackVersion.id, PackVersion.pack_id)).tuples().all())
    now = datetime.now(UTC).replace(tzinfo=None)
    visits = popups = stored = 0
    outbox: dict[int, list[dict]] = {r.id: [] for r in reps}
    for day in progress(_working_days(end, days)):
        for rep in reps:
            facts = rep_facts(rep)
            territory = _territory(rep, places)
            lo, hi, gap_lo, gap_hi = STOPS[_line(rep)]
            stops = rng.sample(territory, min(len(territory), rng.randint(lo, hi)))
            start = datetime.combine(day, datetime.min.time()) + timedelta(hours=1, minutes=rng.randint(0, 40))
            outbox[rep.id].append(_event("plan", start - timedelta(minutes=30), date=day.isoformat(),
                                         stops=[{"place_id": p.id, "order": i} for i, p in enumerate(stops)]))
            skipped = {p.id for p in stops if rng.random() < 0.12}  # plans are never done in full
            t = start
            for place in stops:
                t += timedelta(minutes=rng.randint(gap_lo, gap_hi))
                if place.id in skipped:
                    continue
                visits += 1
                away = _offset(place, place.radius_m + 400, rng)
                passing = _walk(facts, away, 20.0, t - timedelta(minutes=4))  # other clients on the way
                door = _offset(place, min(60.0, place.radius_m / 3), rng)
                arrived = _walk(facts, door, 15.0, t)
                popup = next((p for p in arrived if p.place_id == place.id), arrived[0] if arrived else None)
                leave = _offset(place, place.radius_m + 500, rng)
                passing += _walk(facts, leave, 20.0, t + timedelta(minutes=gap_lo - 8))
                popups += len(passing) + len(arrived)
                db.session.commit()
                outbox[rep.id] += _visit_events(rng, place, popup, t, truths, pack_of, now)
    comparisons = _health_activity(random.Random(seed + 1), outbox, reps, places, end=end, now=now)
    for rep in reps:
        batch = outbox[rep.id]
        for i in range(0, len(batch), 500):
            results = events.record_events(user=rep, raw_events=batch[i:i + 500])
            stored += sum(r["status"] == "accepted" for r in results)
    for rep, place, at in comparisons:
        health.record_comparison(user=rep, place_id=place.id, option_keys=["economy", "standard", "premium"],
                                 request={"budget_min": int(place.budget_cny * 0.8), "budget_max": place.budget_cny,
                                          "needs": []}, now=at)
    audit.record(actor=None, action="demo.simulated", target_type="demo", target_id=None, region_id=None,
                 detail={"days": days, "seed": seed, "design": DEMO_DESIGN, "truths": TRUTHS,
                         "health_truths": HEALTH_TRUTHS})
    experiments.judge_all()
    alerts, warnings, weekly = _health_rules()
    return SimulationResult(days=days, reps=len(reps), visits=visits, popups=popups, events=stored, experiments=[
        {"id": e.id, "talk_track": e.talk_track_id, "status": e.status, "winner": e.winner}
        for e in db.session.scalars(select(Experiment).order_by(Experiment.id))],
        coaching_alerts=len(alerts), warnings=[{"kind": w.kind, "subject": w.evidence["subject"]} for w in warnings],
        digests=len(weekly))


def _walk(facts, at_point: tuple[float, float], accuracy_m: float, at: datetime) -> list[Popup]:
    """One fix through the live path; every card it pushed is stamped with the fix's (simulated) time."""
    outcome = record_location(rep=facts, lat=at_point[0], lon=at_point[1], accuracy_m=accuracy_m, ts_ms=_ms(at))
    rows = [db.session.get(Popup, p["id"]) for p in outcome.popups]
    for row in rows:
        row.created_at = at
    return rows


def _visit_events(rng: random.Random, place: Place, popup: Popup | None, t: datetime, truths, pack_of,
                  now: datetime) -> list[dict]:
    out = [_event("check_in", t + timedelta(minutes=2), place_id=place.id,
                  method=rng.choice(("dwell_suggested", "tap", "tap", "manual")))]
    if popup is not None and rng.random() < 0.75:
        rating = rng.choices(("used", "helpful", "not_helpful", "dismissed"), (0.35, 0.3, 0.2, 0.15))[0]
        extra = {"reason": "与本次拜访无关"} if rating == "dismissed" else {}
        out.append(_event("card_feedback", t + timedelta(minutes=6), place_id=place.id, popup_id=popup.id,
                          rating=rating, **extra))
    if rng.random() < 0.7:
        out.append(_event("visit", t + timedelta(minutes=30), place_id=place.id, note=rng.choice(NOTES),
                          next_step=rng.choice(NEXT_STEPS)))
    rate = _truth_for(popup, truths, pack_of) if popup is not None else BASE_SUCCESS
    at = t + timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 6))
    if rng.random() < 0.85 and at <= now:  # most visits get an outcome recorded within the week
        success = rng.random() < rate
        result = rng.choice(("advanced", "advanced", "won")) if success else rng.choice(("lost", "no_decision"))
        out.append(_event("outcome", at,
                          place_id=place.id, popup_id=popup.id if popup is not None and rng.random() < 0.8 else None,
                          result=result))
    return out


# -- process health (docs/learning.md) ----------------------------------------------------------------------

def _timeline(rng: random.Random, start: datetime, shift_from: datetime, now: datetime) -> list[tuple]:
    """One client's deals, one after another: ``[(stage, from, to, steps before the shift, steps in it)]`` from
    ``start`` to ``now``. A proposal entered in the shift lasts ``longer_factor`` times as long; a proposal or
    negotiation reported in the shift goes through its steps; after after-sales the client's next deal starts."""
    out, t = [], start
    stage = STAGES[0]
    while t <= now:
        lo, hi = STAGE_DAYS[stage]
        length = timedelta(days=rng.uniform(lo, hi))
        if stage == HEALTH_TRUTHS["longer_stage"] and t >= shift_from:
            length *= HEALTH_TRUTHS["longer_factor"]
        before, after = (), ()
        if stage in ("proposal", "negotiation"):
            draws = {step: rng.random() for step in HEALTH_TRUTHS["steps"]}
            before = tuple(s for s, (p, _) in HEALTH_TRUTHS["steps"].items() if draws[s] < p)
            after = tuple(s for s, (_, p) in HEALTH_TRUTHS["steps"].items() if draws[s] < p)
        out.append((stage, t, t + length, before, after))
        t += length
        stage = STAGES[(STAGES.index(stage) + 1) % len(STAGES)]
    return out


def _health_activity(rng: random.Random, outbox: dict[int, list[dict]], reps: list[User], places: list[Place], *,
                     end: date, now: datetime) -> list[tuple[User, Place, datetime]]:
    """Stage and steps on every outcome (the deal's timeline), the quiet rep's missing notes, and the
    comparisons reps ask for (returned: they are stored through ``health.record_comparison``)."""
    last = datetime.combine(end, datetime.min.time()) + timedelta(days=1)
    shift_from = last - timedelta(days=HEALTH_TRUTHS["shift_days"])
    first = min((e["at"] for batch in outbox.values() for e in batch), default=_iso(now))
    begin = datetime.fromisoformat(first.rstrip("Z")) - timedelta(days=rng.uniform(2, 6))
    # each client at its own point of the deal cycle (three to four weeks) when the simulated weeks begin
    timelines = {p.id: _timeline(rng, begin - timedelta(days=rng.uniform(0, 25)), shift_from, now) for p in places}
    quiet_from = last - timedelta(days=HEALTH_TRUTHS["quiet_days"])
    by_id = {p.id: p for p in places}
    comparisons = []
    for rep in reps:
        batch = outbox[rep.id]
        quiet = rep.email == HEALTH_TRUTHS["quiet_rep"]
        proposed: set[int] = set()
        kept = []
        for e in batch:
            at = datetime.fromisoformat(e["at"].rstrip("Z"))
            if e["type"] == "outcome":
                stage, _, _, before, after = next((x for x in timelines[e["place_id"]] if x[1] <= at < x[2]),
                                                  timelines[e["place_id"]][-1])
                e["data"].update({"stage": stage, "steps": list(after if at >= shift_from else before)})
            elif e["type"] == "visit" and quiet and at >= quiet_from:
                continue  # the label: this rep's last visits go without a note
            elif e["type"] == "check_in" and by_id[e["place_id"]].budget_cny and e["place_id"] not in proposed:
                proposed.add(e["place_id"])  # the deal's first visit: a proposal follows, mostly
                when = at + timedelta(days=rng.uniform(0.05, 3))
                if rng.random() < HEALTH_TRUTHS["comparison_rate"] and when <= now:
                    comparisons.append((rep, by_id[e["place_id"]], when))
            kept.append(e)
        outbox[rep.id] = kept
    return comparisons


def _demo_links(region: Region) -> dict[str, str]:
    """The demo manager's coaching links: a discovery talk-track for notes and card use, a proposal one for
    proposals and follow-ups, a closing one for plans and outcomes — from the region's published packs."""
    by_stage: dict[str, str] = {}
    for pack in db.session.scalars(select(ContentPack).where(ContentPack.region_id == region.id,
                                                             ContentPack.grid_id.is_(None)).order_by(ContentPack.key)):
        version = live_version(pack)
        for track in (version.body.get("talk_tracks") or ()) if version else ():
            by_stage.setdefault(track["stage"], f"{pack.key}/talk_tracks/{track['id']}")
    wanted = {"visit_notes": "discovery", "card_use": "discovery", "proposal_after_budget": "proposal",
              "follow_up_48h": "proposal", "plan_completion": "prospecting", "outcomes_recorded": "closing"}
    return {code: by_stage[stage] for code, stage in wanted.items() if stage in by_stage}


def _health_rules() -> tuple[list, list, list]:
    """Link coaching components where the region has none, then run the coaching rule (pushing its cards),
    the regional warnings and the weekly digests — the scheduler's jobs, once."""
    from app.jobs import coach_reps

    for region in db.session.scalars(select(Region).order_by(Region.id)).all():
        if not (region.health_settings or {}).get("coaching_links"):
            links = _demo_links(region)
            if links:
                health.update_settings(user=None, region_key=region.key,
                                       settings={**(region.health_settings or {}), "coaching_links": links})
    return coach_reps(), health.detect_warnings(), digests.create_due()

