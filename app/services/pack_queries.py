"""Content packs, read: what reps see, what a manager may open, the console's list and filters, reusable
components, the diff, and the database checks a new body must pass.

Nothing here commits. The lifecycle (``pack_lifecycle``), the second pair of eyes (``pack_review``) and import /
export / validation (``pack_io``) build on these.
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import ContentPack, Grid, PackVersion, Region, TriggerRule, User, utcnow
from app.services import permissions, versions
from app.services.pack_diff import component_title, diff_bodies
from content_packs import COMPONENT_KINDS, engine
from content_packs.engine import PackData

CONTENT = "content"
SCHEDULED = "scheduled"
"""Not a stored status: an in-review version with a ``publish_at`` (what the console's list shows)."""


# ---------------------------------------------------------------------------------------------------------
# What reps see


def packs_changed() -> None:
    """Record that what reps may see changed (a publish, rollback, expiry or rule edit)."""
    versions.bump(CONTENT)


def published_packs(*, now: datetime | None = None) -> list[PackData]:
    """Every pack's currently published version, leaving out one whose ``expires_at`` has passed even if the
    expiry job has not run yet."""
    now = now or utcnow()
    rows = db.session.execute(
        select(ContentPack, PackVersion)
        .join(PackVersion, and_(PackVersion.pack_id == ContentPack.id, PackVersion.status == "published"))
        .where(or_(PackVersion.expires_at.is_(None), PackVersion.expires_at > now))
        .order_by(ContentPack.key)
    )
    return [PackData(key=p.key, name=p.name, version=v.number, version_id=v.id, body=v.body, region_id=p.region_id,
                     grid_id=p.grid_id) for p, v in rows]


def live_compliance_notes(body: dict, today: date) -> list[dict]:
    """The pack's compliance notes that may be shown on ``today``: a note with ``expires_on`` is shown up to
    and including that day, never after."""
    return engine.live_compliance_notes(body.get("compliance_notes") or (), today)


def affected_reps(region_id: int | None, *bodies: dict | None, grid_id: int | None = None) -> tuple[int, ...]:
    """Users whose scope any of ``bodies`` touches: role among the audience roles, skill level among the
    audience skill levels (when set), assigned to the pack's region — and to its grid, for a grid's own pack.
    The recipients of ``pack.updated``."""
    if region_id is None:
        return ()
    ids: set[int] = set()
    for body in bodies:
        if not body:
            continue
        audience = body.get("audience") or {}
        query = select(User.id).where(User.region_id == region_id, User.role.in_(audience.get("roles") or ["rep"]))
        if audience.get("skill_levels"):
            query = query.where(User.skill_level.in_(audience["skill_levels"]))
        if grid_id is not None:
            query = query.where(User.grid_id == grid_id)
        ids.update(db.session.scalars(query))
    return tuple(sorted(ids))


# ---------------------------------------------------------------------------------------------------------
# Reading


def find_pack(key: str) -> ContentPack:
    """The pack with this key, or ``NotFound``."""
    pack = db.session.scalar(select(ContentPack).where(ContentPack.key == key))
    if pack is None:
        raise NotFound(f"No content pack '{key}'.")
    return pack


def managed_pack(*, user: User, key: str) -> ContentPack:
    """The pack, if ``user`` may manage it: 403 for reps and guides and for other regions' managers."""
    permissions.require_manager(user)
    pack = find_pack(key)
    permissions.require_manager_of(user, pack.region_id)
    return pack


def version_of(pack: ContentPack, number: int) -> PackVersion:
    """Version ``number`` of ``pack``, or ``NotFound``."""
    version = db.session.scalar(select(PackVersion).where(PackVersion.pack_id == pack.id,
                                                          PackVersion.number == number))
    if version is None:
        raise NotFound(f"Pack '{pack.key}' has no version {number}.")
    return version


def get_version(*, user: User, key: str, number: int) -> PackVersion:
    """One version with its body, for a manager of the pack's region."""
    return version_of(managed_pack(user=user, key=key), number)


def live_version(pack: ContentPack) -> PackVersion | None:
    """The version reps see now, if any."""
    return db.session.scalar(select(PackVersion).where(PackVersion.pack_id == pack.id,
                                                       PackVersion.status == "published"))


def latest_version(pack: ContentPack) -> PackVersion | None:
    """The newest version (the highest number), whatever its status."""
    return db.session.scalar(select(PackVersion).where(PackVersion.pack_id == pack.id)
                             .order_by(PackVersion.number.desc()).limit(1))


def list_versions(*, user: User, key: str) -> list[PackVersion]:
    """Every version of the pack, oldest first."""
    pack = managed_pack(user=user, key=key)
    return _versions(pack)


def _versions(pack: ContentPack) -> list[PackVersion]:
    return list(db.session.scalars(select(PackVersion).where(PackVersion.pack_id == pack.id)
                                   .order_by(PackVersion.number)))


def is_scheduled(version: PackVersion) -> bool:
    """In review with a publishing time set: the job publishes it when that time comes."""
    return version.status == "in_review" and version.publish_at is not None


@dataclass(frozen=True)
class PackOverview:
    key: str
    name: str
    region: str | None
    grid: str | None
    live_version: int | None
    latest_version: int
    status_counts: dict
    pending_publish_at: datetime | None
    expires_at: datetime | None
    scheduled: bool
    versions: list[dict] = field(default_factory=list)
    """Each version's ``number``, ``status``, ``scheduled``, ``publish_at`` and ``expires_at``, oldest first."""


def overview(pack: ContentPack) -> PackOverview:
    """A pack's live and latest version numbers, each version's status, counts per status and what is
    scheduled."""
    rows = _versions(pack)
    live = next((v for v in rows if v.status == "published"), None)
    pending = [v.publish_at for v in rows if is_scheduled(v)]
    counts: dict[str, int] = {}
    for v in rows:
        counts[v.status] = counts.get(v.status, 0) + 1
    region = db.session.get(Region, pack.region_id) if pack.region_id is not None else None
    grid = db.session.get(Grid, pack.grid_id) if pack.grid_id is not None else None
    return PackOverview(
        key=pack.key, name=pack.name, region=region.key if region else None, grid=grid.key if grid else None,
        live_version=live.number if live else None, latest_version=rows[-1].number if rows else 0,
        status_counts=counts, pending_publish_at=min(pending) if pending else None,
        expires_at=live.expires_at if live else None, scheduled=bool(pending),
        versions=[{"number": v.number, "status": v.status, "scheduled": is_scheduled(v),
                   "publish_at": v.publish_at, "expires_at": v.expires_at} for v in rows])


def _region(key: str, field_name: str = "region") -> Region:
    region = db.session.scalar(select(Region).where(Region.key == key))
    if region is None:
        raise InvalidInput(f"Unknown region '{key}'.", fields={field_name: [f"Unknown region '{key}'."]})
    return region


def _managed_packs(user: User, region_key: str | None):
    """The packs ``user`` manages, by key — of one region (403 when not theirs) or of all their regions."""
    permissions.require_manager(user)
    query = select(ContentPack).order_by(ContentPack.key)
    if region_key is not None:
        region = _region(region_key)
        permissions.require_manager_of(user, region.id)
        return query.where(ContentPack.region_id == region.id)
    regions = permissions.managed_region_ids(user)
    return query if regions is None else query.where(ContentPack.region_id.in_(regions))


def list_packs(*, user: User, region_key: str | None = None, zone_type: str | None = None,
               grid_key: str | None = None, status: str | None = None) -> list[PackOverview]:
    """The packs of the regions ``user`` manages (all for an admin), filtered for the console's list.

    ``region``: one region (403 when not yours); ``grid``: the packs of one grid; ``zone_type``: packs made for
    it (its latest or live version lists it in ``zone_types``) or shown for it by a trigger rule (a rule whose
    ``conditions.zone_types`` has it names the pack in ``show``); ``status``: packs with a version in that
    status (``scheduled``: in review with a publishing time).
    """
    query = _managed_packs(user, region_key)
    if grid_key is not None:
        grid = db.session.scalar(select(Grid).where(Grid.key == grid_key))
        if grid is None:
            raise InvalidInput(f"Unknown grid '{grid_key}'.", fields={"grid": [f"Unknown grid '{grid_key}'."]})
        permissions.require_manager_of(user, grid.region_id)
        query = query.where(ContentPack.grid_id == grid.id)
    packs = list(db.session.scalars(query))
    if zone_type is not None:
        packs = [p for p in packs if p.key in _packs_for_zone_type(packs, zone_type)]
    views = [overview(pack) for pack in packs]
    if status is not None:
        views = [v for v in views if any(x["scheduled"] if status == SCHEDULED else x["status"] == status
                                         for x in v.versions)]
    return views


def _packs_for_zone_type(packs: list[ContentPack], zone_type: str) -> set[str]:
    keys: set[str] = set()
    by_id = {p.id: p for p in packs}
    if by_id:
        latest = (select(PackVersion.pack_id, func.max(PackVersion.number).label("n"))
                  .where(PackVersion.pack_id.in_(by_id)).group_by(PackVersion.pack_id).subquery())
        rows = db.session.execute(
            select(PackVersion.pack_id, PackVersion.body).join(latest, latest.c.pack_id == PackVersion.pack_id)
            .where(or_(PackVersion.status == "published", PackVersion.number == latest.c.n)))
        keys |= {by_id[pack_id].key for pack_id, body in rows if zone_type in (body.get("zone_types") or ())}
    region_ids = {p.region_id for p in packs}
    for rule in db.session.scalars(select(TriggerRule).where(TriggerRule.region_id.in_(region_ids))):
        if zone_type in ((rule.conditions or {}).get("zone_types") or ()):
            keys |= {item.get("pack") for item in rule.show or () if item.get("pack")}
    return keys


def diff(*, user: User, key: str, from_number: int | None = None, to_number: int | None = None) -> dict:
    """What changed from one version to another. ``to`` defaults to the latest version, ``from`` to the
    version ``to`` was based on (or the one before it)."""
    pack = managed_pack(user=user, key=key)
    if to_number is None:
        to_number = db.session.scalar(select(func.max(PackVersion.number)).where(PackVersion.pack_id == pack.id))
    new = version_of(pack, to_number)
    if from_number is None:
        from_number = new.based_on or new.number - 1
        if from_number < 1:
            raise InvalidInput(fields={"from": [f"Version {new.number} is the first; name a version to compare."]})
    old = version_of(pack, from_number)
    return {"pack_id": pack.key, "from": old.number, "to": new.number, **diff_bodies(old.body, new.body)}


def audience(*, user: User, key: str, number: int) -> tuple[int, ...]:
    """Who would receive ``pack.updated`` if version ``number`` were published now: the same computation as
    the publish itself (the scopes of the live version and of this one)."""
    version = get_version(user=user, key=key, number=number)
    live = live_version(version.pack)
    before = live.body if live is not None and live.id != version.id else None
    return affected_reps(version.pack.region_id, before, version.body, grid_id=version.pack.grid_id)


# ---------------------------------------------------------------------------------------------------------
# Reusable components


def list_components(*, user: User, region_key: str | None = None, kind: str | None = None,
                    q: str | None = None) -> list[dict]:
    """Components of the latest version of every pack of ``user``'s regions (or of one region), to copy into
    another pack with ``copied_from`` provenance.

    ``kind`` keeps one component kind; ``q`` keeps components whose id, title or any text contains it
    (case-insensitive). Items: ``{"pack": {"key", "name", "version"}, "kind", "id", "title", "component"}``.
    """
    query = _managed_packs(user, region_key)
    needle = q.casefold() if q else None
    items = []
    for pack in db.session.scalars(query):
        version = latest_version(pack)
        if version is None:
            continue
        for component_kind in COMPONENT_KINDS:
            if kind is not None and component_kind != kind:
                continue
            for component in version.body.get(component_kind) or ():
                if needle and needle not in json.dumps(component, ensure_ascii=False).casefold():
                    continue
                items.append({"pack": {"key": pack.key, "name": pack.name, "version": version.number},
                              "kind": component_kind, "id": component["id"], "title": component_title(component),
                              "component": component})
    return items


# ---------------------------------------------------------------------------------------------------------
# Bodies: a pack body is validated by content_packs' PackSchema at the edge; these are the database checks.


def same_content(a: dict, b: dict) -> bool:
    """Equal bodies, ignoring ``version`` (the server sets it to the version number)."""
    return {k: v for k, v in a.items() if k != "version"} == {k: v for k, v in b.items() if k != "version"}


def region_id_of(body: dict) -> int:
    """The id of the body's ``region``; 422 on ``body.region`` when there is no such region."""
    region_id = db.session.scalar(select(Region.id).where(Region.key == body.get("region")))
    if region_id is None:
        raise InvalidInput(f"Unknown region '{body.get('region')}'.",
                           fields={"body.region": [f"Unknown region '{body.get('region')}'"]})
    return region_id


def check_body_for(pack: ContentPack, body: dict, *, user: User | None = None) -> None:
    """A new version keeps the pack's id and region, and never reuses another pack's component id."""
    errors = body_errors_for(pack, body, user=user)
    if errors:
        raise InvalidInput("The pack body breaks a rule.", fields=errors)


def body_errors_for(pack: ContentPack, body: dict, *, user: User | None = None) -> dict[str, list[str]]:
    """``check_body_for``'s problems, keyed ``body.<path>``, without raising."""
    errors: dict[str, list[str]] = {}
    if body.get("id") != pack.key:
        errors["body.id"] = [f"Must be '{pack.key}', the pack's id"]
    region_id = db.session.scalar(select(Region.id).where(Region.key == body.get("region")))
    if region_id is None:
        errors["body.region"] = [f"Unknown region '{body.get('region')}'"]
    elif region_id != pack.region_id:
        errors["body.region"] = ["A pack cannot move to another region; create a new pack there instead"]
    errors.update(grid_errors(body, pack.region_id))
    errors.update(foreign_id_errors(body, pack_id=pack.id, user=user))
    return errors


def grid_id_of(body: dict, region_id: int | None) -> int | None:
    """The id of the body's ``grid`` (a grid of ``region_id``), None when the body names none or no such grid."""
    if not body.get("grid"):
        return None
    return db.session.scalar(select(Grid.id).where(Grid.key == body["grid"], Grid.region_id == region_id))


def grid_errors(body: dict, region_id: int | None) -> dict[str, list[str]]:
    """``body.grid`` must name a grid of the pack's region."""
    if body.get("grid") and grid_id_of(body, region_id) is None:
        return {"body.grid": [f"No grid '{body['grid']}' in the pack's region"]}
    return {}


def foreign_id_errors(body: dict, *, pack_id: int | None, user: User | None = None) -> dict[str, list[str]]:
    """Component ids are unique across all packs (popups, A/B records and rules refer to them by id alone).

    Compared with the latest and the published version of every other pack. The owning pack is named only
    when ``user`` (None: the CLI) may manage it; a pack of another region stays "another pack"."""
    latest = (select(PackVersion.pack_id, func.max(PackVersion.number).label("n"))
              .group_by(PackVersion.pack_id).subquery())
    query = (select(ContentPack.key, ContentPack.region_id, PackVersion.body)
             .join(PackVersion, PackVersion.pack_id == ContentPack.id)
             .join(latest, latest.c.pack_id == PackVersion.pack_id)
             .where(or_(PackVersion.status == "published", PackVersion.number == latest.c.n)))
    if pack_id is not None:
        query = query.where(ContentPack.id != pack_id)
    owner: dict[str, tuple[str, int | None]] = {}
    for key, region_id, other in db.session.execute(query):
        for kind in COMPONENT_KINDS:
            for c in other.get(kind) or ():
                owner[c["id"]] = (key, region_id)
    errors = {}
    for kind in COMPONENT_KINDS:
        for i, component in enumerate(body.get(kind) or ()):
            if not isinstance(component, dict) or component.get("id") not in owner:
                continue
            key, region_id = owner[component["id"]]
            whose = f"pack '{key}'" if user is None or permissions.can_manage(user, region_id) else "another pack"
            errors[f"body.{kind}[{i}].id"] = [f"Duplicate id '{component['id']}' (already used by {whose})"]
    return errors
