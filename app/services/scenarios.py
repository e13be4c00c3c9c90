"""Popups: the scenario engine (``content_packs.engine``) fed from the database, and its answer recorded.

Each process keeps one compiled ``ScenarioEngine`` built from the published packs and enabled trigger
rules; it is rebuilt when the shared ``content`` counter moves (a publish, rollback, expiry or rule edit).
"""

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo as TimeZone

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Place, PlaceCategory, Popup, TriggerRule, User, ZoneType
from app.services import versions
from app.services.geo_state import ZoneInfo
from app.services.packs import CONTENT, published_packs
from app.services.places import context_of
from content_packs.engine import (
    PlaceFacts,
    RepFacts,
    RuleData,
    ScenarioEngine,
    Situation,
    ZoneFacts,
)


def _build_engine(version: int) -> ScenarioEngine:
    packs = published_packs()
    rules = [
        RuleData(id=r.id, name=r.name, region_id=r.region_id, event=r.event, conditions=r.conditions or {},
                 show=r.show or [], priority=r.priority)
        for r in db.session.scalars(select(TriggerRule).where(TriggerRule.enabled.is_(True)))
    ]
    zone_type_names = dict(db.session.execute(select(ZoneType.key, ZoneType.name_zh)).tuples().all())
    return ScenarioEngine(packs, rules, zone_type_names)


def engine() -> ScenarioEngine:
    """This process's compiled engine, rebuilt when published content or rules change."""
    return versions.cached(CONTENT, _build_engine)


def local_now() -> datetime:
    return datetime.now(TimeZone(current_app.config["TIMEZONE"]))


def shopper_talk_tracks(*, user: User, category: str | None, budget_cny: int) -> tuple[list[dict], list[dict]]:
    """Talk-tracks for a guide who just entered a shopper's budget (event ``budget_entered``), with why.

    The shopper's budget stands in for the place's budget, so rules can say "budget ≥ ¥100,000 → …".
    """
    now = local_now()
    place = None
    if category is not None:
        name = db.session.scalar(select(PlaceCategory.name_zh).where(PlaceCategory.key == category)) or category
        place = PlaceFacts(id=0, name="", category=category, category_name=name, region_id=user.region_id,
                           budget_cny=budget_cny)
    situation = Situation(event="budget_entered", now=now, place=place,
                          rep=RepFacts(id=user.id, role=user.role, skill_level=user.skill_level,
                                       tags=frozenset(user.tags or ()), region_id=user.region_id))
    recommendation = engine().recommend(situation)
    return recommendation.components.get("talk_tracks", []), recommendation.why


def situation_for(*, rep: User, place: Place | None, zone: ZoneInfo | None, event: str,
                  now: datetime) -> Situation:
    """The facts the engine sees, read from the database objects."""
    place_facts = None
    if place is not None:
        category_name = db.session.scalar(select(PlaceCategory.name_zh).where(PlaceCategory.key == place.category))
        place_facts = PlaceFacts(
            id=place.id, name=place.name, category=place.category, category_name=category_name or place.category,
            region_id=place.region_id, tags=frozenset(place.tags or ()), stage=place.stage,
            budget_cny=place.budget_cny,
            notices=tuple((n.published_on, n.title) for n in place.notices),
            competitors=frozenset(m.competitor for m in place.competitor_moves),
        )
    return Situation(
        event=event,
        rep=RepFacts(id=rep.id, role=rep.role, skill_level=rep.skill_level, tags=frozenset(rep.tags or ()),
                     region_id=rep.region_id),
        now=now,
        place=place_facts,
        zone=ZoneFacts(id=zone.id, type=zone.type, name=zone.name, type_name=zone.type_name) if zone else None,
    )


def compose_popup(*, rep: User, place: Place, zone: ZoneInfo | None, distance_m: float | None,
                  event: str = "enter_place", now: datetime | None = None, record: bool = True,
                  only_if_rules: bool = False) -> dict | None:
    """The ``popup`` payload for this rep at this place; recorded (with its A/B variants) unless previewing.

    ``only_if_rules``: return None unless a trigger rule matched and has something for this rep to see
    (events such as ``dwell`` push a popup only when a manager wrote a rule for them).
    """
    now = now or local_now()
    situation = situation_for(rep=rep, place=place, zone=zone, event=event, now=now)
    recommendation = engine().recommend(situation)
    if only_if_rules and not (recommendation.rule_ids and any(recommendation.components.values())):
        return None
    why = []
    if distance_m is not None:
        detail = f"进入「{place.name}」电子围栏（距离 {distance_m:.0f} 米，半径 {place.radius_m:.0f} 米）"
        why.append({"rule": "fence_entered", "detail": detail})
    why += recommendation.why
    pack = recommendation.pack
    payload = {
        "id": str(uuid.uuid4()),
        "event": event,
        "place": {"id": place.id, "name": place.name, "category": place.category, "lat": place.lat,
                  "lon": place.lon, "address": place.address},
        "zone": {"id": zone.id, "type": zone.type, "name": zone.name} if zone else None,
        "distance_m": round(distance_m, 1) if distance_m is not None else None,
        "context": context_of(place, today=now.date()),
        **recommendation.components,
        "why": why,
        "pack": {"id": pack.key, "version": pack.version, "name": pack.name} if pack else None,
        "created_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if record:
        db.session.add(Popup(id=payload["id"], rep_id=rep.id, place_id=place.id, event=event,
                             pack_version_id=pack.version_id if pack else None, payload=payload,
                             variants=recommendation.variants))
    return payload
