"""Popups: the scenario engine (``content_packs.engine``) fed from the database, and its answer recorded.

Each process keeps one compiled ``ScenarioEngine`` built from the published packs and enabled trigger
rules; it is rebuilt when the shared ``content`` counter moves (a publish, rollback, expiry or rule edit).
The engine's ``why`` is codes + facts; this edge adds ``detail``, the sentence in the reader's locale
(``app.i18n``), to what it hands out, and records the codes + facts only.
"""

import copy
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo as TimeZone

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.i18n import normalize_locale
from app.models import Popup, TriggerRule, User
from app.services import versions
from app.services.names import render_why
from app.services.pack_queries import CONTENT, published_packs
from app.services.places import place_card
from content_packs.engine import (
    WHY_CODES,
    PlaceFacts,
    RepFacts,
    RuleData,
    ScenarioEngine,
    Situation,
)

POPUP_WHY_CODES = ("fence_entered", *WHY_CODES)
"""Every ``why`` code a popup can carry: the engine's, and ``fence_entered`` (added here, with the distance)."""


def _build_engine(version: int) -> ScenarioEngine:
    packs = published_packs()
    rules = [
        RuleData(id=r.id, name=r.name, region_id=r.region_id, event=r.event, conditions=r.conditions or {},
                 show=r.show or [], priority=r.priority)
        for r in db.session.scalars(select(TriggerRule).where(TriggerRule.enabled.is_(True)))
    ]
    return ScenarioEngine(packs, rules)


def engine() -> ScenarioEngine:
    """This process's compiled engine, rebuilt when published content or rules change."""
    return versions.cached(CONTENT, _build_engine)


def local_now() -> datetime:
    return datetime.now(TimeZone(current_app.config["TIMEZONE"]))


def rep_facts(user: User) -> RepFacts:
    """What the engine knows of a rep (the /field socket keeps this from connect, so fixes need no query)."""
    return RepFacts(id=user.id, role=user.role, skill_level=user.skill_level, tags=frozenset(user.tags or ()),
                    region_id=user.region_id, locale=normalize_locale(user.locale), grid_id=user.grid_id)


def shopper_talk_tracks(*, user: User, category: str | None, budget_cny: int, shopper_type: str | None = None,
                        locale: str | None = None) -> tuple[list[dict], list[dict]]:
    """Talk-tracks for a guide who just entered a shopper's budget (event ``budget_entered``), with why.

    The shopper's budget stands in for the place's budget, so rules can say "budget ≥ ¥100,000 → …";
    ``shopper_type`` (a key of the ``shopper_types`` table, already checked by the comparison) puts the
    talk-tracks made for that shopper first and leaves out those made only for others.
    ``why`` is rendered in ``locale`` (default: the guide's own).
    """
    place = None
    if category is not None:
        place = PlaceFacts(id=0, name="", category=category, region_id=user.region_id, budget_cny=budget_cny)
    rep = rep_facts(user)
    situation = Situation(event="budget_entered", now=local_now(), place=place, rep=rep, shopper_type=shopper_type)
    recommendation = engine().recommend(situation)
    return recommendation.components.get("talk_tracks", []), render_why(recommendation.why, locale or rep.locale)


def compose_popup(*, rep: RepFacts, place_id: int, distance_m: float | None, event: str = "enter_place",
                  now: datetime | None = None, record: bool = True, only_if_rules: bool = False,
                  locale: str | None = None) -> dict | None:
    """The ``popup`` payload for this rep at this place; recorded (with its A/B variants) unless previewing.

    ``only_if_rules``: return None unless a trigger rule matched and has something for this rep to see
    (events such as ``dwell`` push a popup only when a manager wrote a rule for them).
    ``why`` entries are ``{"rule", "facts"}`` (+ ``rule_id``); the payload's also carry ``detail`` in
    ``locale`` (default: the rep's), the record keeps codes + facts only.
    """
    now = now or local_now()
    card = place_card(place_id, today=now.date())
    zone = card.zone
    situation = Situation(event=event, rep=rep, now=now, place=card.facts, zone=zone)
    recommendation = engine().recommend(situation)
    if only_if_rules and not (recommendation.rule_ids and any(recommendation.components.values())):
        return None
    why = []
    if distance_m is not None:
        why.append({"rule": "fence_entered", "facts": {"place": card.facts.name, "distance_m": round(distance_m),
                                                       "radius_m": round(card.radius_m)}})
    why += recommendation.why
    pack = recommendation.pack
    payload = {
        "id": str(uuid.uuid4()),
        "event": event,
        "place": dict(card.summary),
        "zone": {"id": zone.id, "type": zone.type, "name": zone.name} if zone else None,
        "distance_m": round(distance_m, 1) if distance_m is not None else None,
        "context": copy.deepcopy(card.context),
        **recommendation.components,
        "why": render_why(why, locale or rep.locale),
        "pack": {"id": pack.key, "version": pack.version, "name": pack.name} if pack else None,
        "created_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if record:
        shown = {kind: [c["id"] for c in items] for kind, items in recommendation.components.items() if items}
        shown["procurement_notices"] = [n["id"] for n in card.context["procurement_notices"]]
        db.session.add(Popup(id=payload["id"], rep_id=rep.id, place_id=place_id, event=event,
                             pack_version_id=pack.version_id if pack else None, distance_m=payload["distance_m"],
                             shown=shown, variants=recommendation.variants, why=why))
    return payload
