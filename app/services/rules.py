"""Trigger rules as data: managers create, change and remove them for their regions; every change is audited
and recompiles the scenario engine in every process. ``options`` is what a no-code rule editor offers.

A rule shows components of packs of its own region only: naming any other pack — another region's, or one
that does not exist — is 403 ``forbidden`` with the same words either way, so a rule form never learns what
other regions have (docs/trigger-rules.md).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app import i18n
from app.errors import Forbidden, InvalidInput, NotFound
from app.extensions import db
from app.models import (
    SKILL_LEVELS,
    STAGES,
    CompetitorMove,
    ContentPack,
    Place,
    PlaceCategory,
    Region,
    ShopperType,
    TriggerRule,
    User,
    ZoneType,
)
from app.services import audit, permissions
from app.services.catalog import shopper_type_keys
from app.services.pack_diff import component_title
from app.services.pack_queries import packs_changed
from content_packs import ROLES
from content_packs.engine import EVENTS, SHOWABLE_KINDS

RULE = "rule"


@dataclass(frozen=True)
class RuleView:
    """A rule with its region key, as the API shows it."""

    id: int
    name: str
    region_key: str
    event: str
    conditions: dict
    show: list
    priority: int
    enabled: bool
    updated_at: datetime


def _view(rule: TriggerRule) -> RuleView:
    region_key = db.session.scalar(select(Region.key).where(Region.id == rule.region_id))
    return RuleView(id=rule.id, name=rule.name, region_key=region_key, event=rule.event,
                    conditions=rule.conditions, show=rule.show, priority=rule.priority, enabled=rule.enabled,
                    updated_at=rule.updated_at)


def _region_id(key: str) -> int:
    region_id = db.session.scalar(select(Region.id).where(Region.key == key))
    if region_id is None:
        raise InvalidInput(f"Unknown region {key!r}.", fields={"region": ["Unknown region."]})
    return region_id


NOT_OURS = "Not a pack of this rule's region."


def _check_show(show: list[dict], region_id: int) -> None:
    """Every named pack is one of the rule's region (403 otherwise, naming nothing of other regions), and every
    named component is in its live version (422, per item)."""
    errors: dict[int, dict] = {}
    foreign: dict[int, dict] = {}
    for i, item in enumerate(show):
        if not item.get("pack"):
            continue
        pack = db.session.scalar(select(ContentPack).where(ContentPack.key == item["pack"],
                                                           ContentPack.region_id == region_id))
        if pack is None:
            foreign[i] = {"pack": [NOT_OURS]}
            continue
        live = pack.published_version
        if item.get("ids") and live is not None:
            known = {c["id"] for c in live.body.get(item["kind"], ())}
            missing = [c for c in item["ids"] if c not in known]
            if missing:
                errors[i] = {"ids": [f"Not {item['kind']} of {pack.key} v{live.number}: {', '.join(missing)}."]}
    if foreign:
        raise Forbidden("A rule may show only components of packs of its own region.", fields={"show": foreign})
    if errors:
        raise InvalidInput("Some components to show do not exist.", fields={"show": errors})


def _check_conditions(conditions: dict) -> None:
    """Shopper types named by ``shopper.types`` exist (the schema checks their shape only)."""
    wanted = (conditions.get("shopper") or {}).get("types") or []
    if not wanted:
        return
    known = shopper_type_keys()
    unknown = [key for key in wanted if key not in known]
    if unknown:
        message = f"Unknown shopper type {', '.join(unknown)}; one of {', '.join(sorted(known))}."
        raise InvalidInput(message, fields={"conditions": {"shopper": {"types": [message]}}})


def _get(rule_id: int) -> TriggerRule:
    rule = db.session.get(TriggerRule, rule_id)
    if rule is None:
        raise NotFound(f"No rule with id {rule_id}.", code="rule_not_found")
    return rule


def list_rules(*, user: User, region: str | None = None, event: str | None = None) -> list[RuleView]:
    """Rules of the regions ``user`` manages (all for an admin), by priority."""
    permissions.require_manager(user)
    query = select(TriggerRule).order_by(TriggerRule.priority, TriggerRule.id)
    managed = permissions.managed_region_ids(user)
    if managed is not None:
        query = query.where(TriggerRule.region_id.in_(managed))
    if region is not None:
        region_id = _region_id(region)
        permissions.require_manager_of(user, region_id, "rules", "list")  # another region's: 403, like packs
        query = query.where(TriggerRule.region_id == region_id)
    if event is not None:
        query = query.where(TriggerRule.event == event)
    return [_view(r) for r in db.session.scalars(query)]


def get_rule(*, user: User, rule_id: int) -> RuleView:
    rule = _get(rule_id)
    permissions.require_manager_of(user, rule.region_id)
    return _view(rule)


def create_rule(*, user: User, data: dict) -> RuleView:
    """Add a rule for a region the user manages; it applies to the next popup composed."""
    rule = add_rule(user=user, data=data)
    db.session.commit()
    return _view(rule)


def add_rule(*, user: User, data: dict) -> TriggerRule:
    """``create_rule`` inside the caller's transaction (the demo loader adds its rules this way)."""
    region_id = _region_id(data["region"])
    permissions.require_manager_of(user, region_id)
    _check_conditions(data["conditions"])
    _check_show(data["show"], region_id)
    rule = TriggerRule(region_id=region_id, name=data["name"], event=data["event"],
                       conditions=data["conditions"], show=data["show"], priority=data["priority"],
                       enabled=data["enabled"], created_by_id=user.id)
    db.session.add(rule)
    db.session.flush()
    audit.record(actor=user, action="rule.create", target_type=RULE, target_id=rule.id, region_id=region_id,
                 detail={"name": rule.name, "event": rule.event})
    packs_changed()
    return rule


def update_rule(*, user: User, rule_id: int, data: dict) -> RuleView:
    """Replace a rule's definition (both its old and new region must be the user's)."""
    rule = _get(rule_id)
    permissions.require_manager_of(user, rule.region_id)
    region_id = _region_id(data["region"])
    permissions.require_manager_of(user, region_id)
    _check_conditions(data["conditions"])
    _check_show(data["show"], region_id)
    before = {"name": rule.name, "event": rule.event, "conditions": rule.conditions, "show": rule.show,
              "priority": rule.priority, "enabled": rule.enabled}
    rule.region_id = region_id
    for key in ("name", "event", "conditions", "show", "priority", "enabled"):
        setattr(rule, key, data[key])
    audit.record(actor=user, action="rule.update", target_type=RULE, target_id=rule.id, region_id=region_id,
                 detail={"before": before})
    packs_changed()
    db.session.commit()
    return _view(rule)


def delete_rule(*, user: User, rule_id: int) -> None:
    rule = _get(rule_id)
    permissions.require_manager_of(user, rule.region_id)
    audit.record(actor=user, action="rule.delete", target_type=RULE, target_id=rule.id, region_id=rule.region_id,
                 detail={"name": rule.name, "event": rule.event, "conditions": rule.conditions, "show": rule.show})
    db.session.delete(rule)
    packs_changed()
    db.session.commit()


def _named(section: str, keys, locale: str) -> list[dict]:
    return [{"key": str(k), "name": i18n.code_name(section, k, locale)} for k in keys]


def _tags(rows) -> list[dict]:
    tags = sorted({tag for row in rows for tag in (row or ()) if isinstance(tag, str) and tag})
    return [{"key": t, "name": t} for t in tags]


def options(*, user: User, region: str | None = None, locale: str | None = None) -> dict:
    """What a rule editor offers for a region (default: the user's own): events, the region's zone types,
    categories, stages, skill levels, roles, weekdays, shopper types, rep and place tags and competitors in
    use, component kinds, and the components of the region's live packs — each as ``{"key", "name"}`` with
    the name in ``locale`` (default the user's)."""
    permissions.require_manager(user)
    locale = i18n.normalize_locale(locale or user.locale)
    if region is None:
        if user.region_id is None:
            raise InvalidInput("Name a region.", fields={"region": ["Name a region."]})
        row = db.session.get(Region, user.region_id)
    else:
        row = db.session.scalar(select(Region).where(Region.key == region))
        if row is None:
            raise InvalidInput(f"Unknown region {region!r}.", fields={"region": ["Unknown region."]})
    permissions.require_manager_of(user, row.id)
    zone_types = db.session.scalars(select(ZoneType).where(ZoneType.region_id == row.id).order_by(ZoneType.key))
    categories = db.session.scalars(select(PlaceCategory).order_by(PlaceCategory.key))
    shopper_types = db.session.scalars(select(ShopperType).order_by(ShopperType.key))
    packs, components = [], []
    for pack in db.session.scalars(select(ContentPack).where(ContentPack.region_id == row.id)
                                   .order_by(ContentPack.key)):
        live = pack.published_version
        packs.append({"key": pack.key, "name": pack.name, "live_version": live.number if live else None})
        for kind in SHOWABLE_KINDS:
            for c in (live.body.get(kind) or ()) if live else ():
                components.append({"kind": kind, "id": c["id"], "title": component_title(c),
                                   "pack": {"key": pack.key, "name": pack.name, "version": live.number}})

    def name_of(item, zh: str, en: str) -> dict:
        return {"key": item.key, "name": getattr(item, zh) if locale == "zh" else getattr(item, en)}

    competitors = db.session.scalars(select(CompetitorMove.competitor).join(Place, Place.id == CompetitorMove.place_id)
                                     .where(Place.region_id == row.id).distinct())
    return {
        "region": {"key": row.key, "name": row.name},
        "events": [{"key": e, "name": i18n.message(f"review.events.{e}", locale)} for e in EVENTS],
        "zone_types": [name_of(z, "name_zh", "name_en") for z in zone_types],
        "categories": [name_of(c, "name_zh", "name_en") for c in categories],
        "shopper_types": [name_of(t, "name_zh", "name_en") for t in shopper_types],
        "stages": _named("stages", STAGES, locale),
        "skill_levels": _named("skills", SKILL_LEVELS, locale),
        "roles": _named("roles", ROLES, locale),
        "weekdays": [{"key": d, "name": i18n.code_name("weekdays", d, locale)} for d in range(1, 8)],
        "kinds": [{"key": k, "name": i18n.message(f"app.kinds.{k}", locale)} for k in SHOWABLE_KINDS],
        "rep_tags": _tags(db.session.scalars(select(User.tags).where(User.region_id == row.id,
                                                                     User.role.in_(("rep", "guide"))))),
        "place_tags": _tags(db.session.scalars(select(Place.tags).where(Place.region_id == row.id))),
        "competitors": [{"key": c, "name": c} for c in sorted(competitors)],
        "packs": packs,
        "components": components,
    }
