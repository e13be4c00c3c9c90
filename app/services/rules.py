"""Trigger rules as data: managers create, change and remove them for their regions; every change is audited
and recompiles the scenario engine in every process."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import ContentPack, Region, TriggerRule, User
from app.services import audit, permissions
from app.services.catalog import shopper_type_keys
from app.services.packs import packs_changed

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


def _check_show(show: list[dict]) -> None:
    """Every named pack exists, and every named component is in its live version."""
    errors: dict[int, dict] = {}
    for i, item in enumerate(show):
        if not item.get("pack"):
            continue
        pack = db.session.scalar(select(ContentPack).where(ContentPack.key == item["pack"]))
        if pack is None:
            errors[i] = {"pack": [f"Unknown pack {item['pack']!r}."]}
            continue
        live = pack.published_version
        if item.get("ids") and live is not None:
            known = {c["id"] for c in live.body.get(item["kind"], ())}
            missing = [c for c in item["ids"] if c not in known]
            if missing:
                errors[i] = {"ids": [f"Not {item['kind']} of {pack.key} v{live.number}: {', '.join(missing)}."]}
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
        query = query.where(TriggerRule.region_id == _region_id(region))
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
    _check_show(data["show"])
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
    _check_show(data["show"])
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
