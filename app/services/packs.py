"""Content packs in the database: immutable versions, their lifecycle, who hears about a change, and the
published versions popups are composed from.

A version's body never changes after it is created; only its lifecycle fields do (docs/packs-api.md):

    draft ──submit──▶ in_review ──publish (now, or the job at publish_at)──▶ published ──▶ superseded
                         │                                                     │  (when another one is
                         └──reject──▶ rejected (edit = a new draft)            │   published or rolled back to)
                                                                   expires_at ▼
                                                                            expired
    rollback: a superseded or expired version is published again (the same version, not a copy).

Use cases take the acting user, check roles and regions (``app.services.permissions``), write the audit log
and commit. Those that change what reps see return a ``LiveChange`` naming the reps to tell; services never
emit — the HTTP layer and the jobs hand it to ``app.notifier``.
"""

from dataclasses import dataclass
from datetime import date, datetime

import yaml
from sqlalchemy import and_, func, or_, select

from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.models import ContentPack, PackVersion, Region, User, utcnow
from app.services import audit, permissions, versions
from app.services.pack_diff import diff_bodies
from content_packs import COMPONENT_KINDS, PackSchema, engine
from content_packs.engine import PackData

CONTENT = "content"


class InvalidTransition(Conflict):
    """A lifecycle step that the version's status does not allow (e.g. publishing an unreviewed draft)."""

    code, message = "invalid_transition", "The version's status does not allow this."


@dataclass(frozen=True)
class LiveChange:
    """What reps see of ``pack_key`` changed: it is now live at ``version`` (None: nothing is live).

    ``rep_ids`` are the users whose scope the pack touches, before or after the change.
    """

    pack_key: str
    version: int | None
    rep_ids: tuple[int, ...]


@dataclass(frozen=True)
class ImportResult:
    version: PackVersion
    created: bool
    change: LiveChange | None


@dataclass(frozen=True)
class PackOverview:
    key: str
    name: str
    region: str | None
    live_version: int | None
    latest_version: int
    status_counts: dict
    pending_publish_at: datetime | None
    expires_at: datetime | None


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
    return [PackData(key=p.key, name=p.name, version=v.number, version_id=v.id, body=v.body) for p, v in rows]


def live_compliance_notes(body: dict, today: date) -> list[dict]:
    """The pack's compliance notes that may be shown on ``today``: a note with ``expires_on`` is shown up to
    and including that day, never after."""
    return engine.live_compliance_notes(body.get("compliance_notes") or (), today)


def affected_reps(region_id: int | None, *bodies: dict | None) -> tuple[int, ...]:
    """Users whose scope any of ``bodies`` touches: role among the audience roles, skill level among the
    audience skill levels (when set) and assigned to the pack's region."""
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


def list_versions(*, user: User, key: str) -> list[PackVersion]:
    """Every version of the pack, oldest first."""
    pack = managed_pack(user=user, key=key)
    return list(db.session.scalars(select(PackVersion).where(PackVersion.pack_id == pack.id)
                                   .order_by(PackVersion.number)))


def overview(pack: ContentPack) -> PackOverview:
    """A pack's live and latest version numbers, its version count per status and what is scheduled."""
    rows = list(db.session.scalars(select(PackVersion).where(PackVersion.pack_id == pack.id)
                                   .order_by(PackVersion.number)))
    live = next((v for v in rows if v.status == "published"), None)
    pending = [v.publish_at for v in rows if v.status == "in_review" and v.publish_at is not None]
    counts: dict[str, int] = {}
    for v in rows:
        counts[v.status] = counts.get(v.status, 0) + 1
    region = db.session.get(Region, pack.region_id) if pack.region_id is not None else None
    return PackOverview(key=pack.key, name=pack.name, region=region.key if region else None,
                        live_version=live.number if live else None, latest_version=rows[-1].number if rows else 0,
                        status_counts=counts, pending_publish_at=min(pending) if pending else None,
                        expires_at=live.expires_at if live else None)


def list_packs(*, user: User, region_key: str | None = None) -> list[PackOverview]:
    """The packs of the regions ``user`` manages (all for an admin), optionally of one region."""
    permissions.require_manager(user)
    query = select(ContentPack).order_by(ContentPack.key)
    if region_key is not None:
        region = db.session.scalar(select(Region).where(Region.key == region_key))
        if region is None:
            raise InvalidInput(fields={"region": [f"Unknown region '{region_key}'."]})
        permissions.require_manager_of(user, region.id)
        query = query.where(ContentPack.region_id == region.id)
    else:
        regions = permissions.managed_region_ids(user)
        if regions is not None:
            query = query.where(ContentPack.region_id.in_(regions))
    return [overview(pack) for pack in db.session.scalars(query)]


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


# ---------------------------------------------------------------------------------------------------------
# Bodies: a pack body is validated by content_packs' PackSchema at the edge; these are the database checks.


def _same_content(a: dict, b: dict) -> bool:
    """Equal bodies, ignoring ``version`` (the server sets it to the version number)."""
    return {k: v for k, v in a.items() if k != "version"} == {k: v for k, v in b.items() if k != "version"}


def _region_id(body: dict) -> int:
    region_id = db.session.scalar(select(Region.id).where(Region.key == body.get("region")))
    if region_id is None:
        raise InvalidInput(f"Unknown region '{body.get('region')}'.",
                           fields={"body.region": [f"Unknown region '{body.get('region')}'"]})
    return region_id


def _check_body_for(pack: ContentPack, body: dict) -> None:
    """A new version keeps the pack's id and region, and never reuses another pack's component id."""
    errors: dict[str, list[str]] = {}
    if body.get("id") != pack.key:
        errors["body.id"] = [f"Must be '{pack.key}', the pack's id"]
    region_id = _region_id(body)
    if region_id != pack.region_id:
        errors["body.region"] = ["A pack cannot move to another region; create a new pack there instead"]
    errors.update(_foreign_id_errors(body, pack_id=pack.id))
    if errors:
        raise InvalidInput("The pack body breaks a rule.", fields=errors)


def _foreign_id_errors(body: dict, *, pack_id: int | None) -> dict[str, list[str]]:
    """Component ids are unique across all packs (popups, A/B records and rules refer to them by id alone).

    Compared with the latest and the published version of every other pack."""
    latest = (select(PackVersion.pack_id, func.max(PackVersion.number).label("n"))
              .group_by(PackVersion.pack_id).subquery())
    query = (select(ContentPack.key, PackVersion.body)
             .join(PackVersion, PackVersion.pack_id == ContentPack.id)
             .join(latest, latest.c.pack_id == PackVersion.pack_id)
             .where(or_(PackVersion.status == "published", PackVersion.number == latest.c.n)))
    if pack_id is not None:
        query = query.where(ContentPack.id != pack_id)
    rows = db.session.execute(query)
    owner = {c["id"]: key for key, other in rows for kind in COMPONENT_KINDS for c in other.get(kind) or ()}
    errors = {}
    for kind in COMPONENT_KINDS:
        for i, component in enumerate(body.get(kind) or ()):
            if component["id"] in owner:
                errors[f"body.{kind}[{i}].id"] = [
                    f"Duplicate id '{component['id']}' (already used by pack '{owner[component['id']]}')"]
    return errors


def _new_version(pack: ContentPack, body: dict, *, actor: User | None, based_on: int | None, note: str,
                 number: int) -> PackVersion:
    version = PackVersion(number=number, status="draft", body={**body, "version": number}, based_on=based_on,
                          note=note, created_by_id=actor.id if actor else None)
    pack.versions.append(version)
    db.session.flush()
    return version


def _latest(pack: ContentPack) -> PackVersion | None:
    return db.session.scalar(select(PackVersion).where(PackVersion.pack_id == pack.id)
                             .order_by(PackVersion.number.desc()).limit(1))


# ---------------------------------------------------------------------------------------------------------
# Lifecycle steps shared by the manager API, the CLI and the jobs (no commit, no permission checks)


def _publish(version: PackVersion, *, actor: User | None, action: str, now: datetime, **detail) -> LiveChange:
    pack = version.pack
    previous = live_version(pack)
    if previous is not None and previous.id != version.id:
        previous.status = "superseded"
    version.status = "published"
    version.published_at = now
    pack.name = version.body["name"]
    audit.record_pack(pack, action, actor=actor, from_version=previous.number if previous else None,
                      to_version=version.number, **detail)
    packs_changed()
    return LiveChange(pack.key, version.number,
                      affected_reps(pack.region_id, previous.body if previous else None, version.body))


def _expire(version: PackVersion, *, now: datetime, reason: str) -> LiveChange:
    pack = version.pack
    was_live = version.status == "published"
    version.status = "expired"
    audit.record_pack(pack, "version.expired", actor=None, from_version=version.number, to_version=None,
                      by="scheduler", reason=reason, at=_iso(now))
    if not was_live:
        return LiveChange(pack.key, None, ())
    packs_changed()
    return LiveChange(pack.key, None, affected_reps(pack.region_id, version.body))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


# ---------------------------------------------------------------------------------------------------------
# Manager use cases (each checks permissions, writes the audit log and commits)


def create_pack(*, user: User, body: dict, note: str = "") -> PackVersion:
    """A new pack from a validated body: draft version 1 in the body's region (which ``user`` must manage)."""
    permissions.require_manager(user)
    region_id = _region_id(body)
    permissions.require_manager_of(user, region_id)
    if db.session.scalar(select(ContentPack.id).where(ContentPack.key == body["id"])) is not None:
        raise Conflict(f"Pack '{body['id']}' exists; add a version to it instead.", code="pack_exists",
                       fields={"body.id": ["A pack with this id exists"]})
    errors = _foreign_id_errors(body, pack_id=None)
    if errors:
        raise InvalidInput("The pack body breaks a rule.", fields=errors)
    pack = ContentPack(key=body["id"], name=body["name"], region_id=region_id)
    db.session.add(pack)
    db.session.flush()
    version = _new_version(pack, body, actor=user, based_on=None, note=note, number=1)
    audit.record_pack(pack, "pack.created", actor=user, to_version=1, note=note)
    db.session.commit()
    return version


def create_version(*, user: User, key: str, body: dict, based_on: int | None = None, note: str = "") -> PackVersion:
    """An edit: a new draft holding the whole new body, based on ``based_on`` (default: the latest version)."""
    pack = managed_pack(user=user, key=key)
    _check_body_for(pack, body)
    latest = _latest(pack)
    base = latest if based_on is None else db.session.scalar(
        select(PackVersion).where(PackVersion.pack_id == pack.id, PackVersion.number == based_on))
    if base is None:
        raise InvalidInput(fields={"based_on": [f"Pack '{key}' has no version {based_on}."]})
    if _same_content(base.body, body):
        raise InvalidInput(f"Nothing changed since version {base.number}.",
                           fields={"body": [f"Same content as version {base.number}"]})
    version = _new_version(pack, body, actor=user, based_on=base.number, note=note, number=latest.number + 1)
    audit.record_pack(pack, "version.created", actor=user, from_version=base.number, to_version=version.number,
                      note=note)
    db.session.commit()
    return version


def _step(user: User, key: str, number: int, allowed: tuple[str, ...], verb: str) -> PackVersion:
    version = get_version(user=user, key=key, number=number)
    if version.status not in allowed:
        hints = {"draft": "submit it for review first", "published": "it is already live",
                 "superseded": "roll back to it instead", "expired": "roll back to it instead",
                 "rejected": "create a new version from it instead", "in_review": "it is waiting for review"}
        raise InvalidTransition(f"Cannot {verb} version {number}: it is {version.status.replace('_', ' ')}; "
                                f"{hints[version.status]}.", fields={"status": [version.status]})
    return version


def submit_version(*, user: User, key: str, number: int, note: str = "", now: datetime | None = None) -> PackVersion:
    """draft → in_review."""
    version = _step(user, key, number, ("draft",), "submit")
    version.status = "in_review"
    version.submitted_at = now or utcnow()
    audit.record_pack(version.pack, "version.submitted", actor=user, to_version=number, note=note)
    db.session.commit()
    return version


def reject_version(*, user: User, key: str, number: int, reason: str = "") -> PackVersion:
    """in_review → rejected (a scheduled publishing is dropped). Editing goes on in a new draft."""
    version = _step(user, key, number, ("in_review",), "reject")
    version.status = "rejected"
    version.publish_at = None
    audit.record_pack(version.pack, "version.rejected", actor=user, to_version=number, reason=reason)
    db.session.commit()
    return version


def publish_version(*, user: User, key: str, number: int,
                    now: datetime | None = None) -> tuple[PackVersion, LiveChange]:
    """in_review → published now; the version live until now becomes superseded."""
    now = now or utcnow()
    version = _step(user, key, number, ("in_review",), "publish")
    if version.expires_at is not None and version.expires_at <= now:
        raise InvalidTransition(f"Version {number} expired at {_iso(version.expires_at)}; schedule a later "
                                "expiry first.", fields={"expires_at": [_iso(version.expires_at)]})
    change = _publish(version, actor=user, action="version.published", now=now)
    db.session.commit()
    return version, change


UNSET = object()


def schedule_version(*, user: User, key: str, number: int, publish_at=UNSET, expires_at=UNSET,
                     now: datetime | None = None) -> PackVersion:
    """Set (or clear with None) when an in-review version is published and when a version expires (UTC).

    ``publish_at`` needs an in-review version; ``expires_at`` an in-review or the published one. Times must lie
    in the future and expiry after publishing (422 otherwise).
    """
    now = now or utcnow()
    allowed = ("in_review",) if publish_at is not UNSET else ("in_review", "published")
    version = _step(user, key, number, allowed, "schedule")
    new_publish = version.publish_at if publish_at is UNSET else publish_at
    new_expiry = version.expires_at if expires_at is UNSET else expires_at
    errors = {}
    if publish_at not in (UNSET, None) and publish_at <= now:
        errors["publish_at"] = ["Must be in the future."]
    if expires_at not in (UNSET, None) and expires_at <= now:
        errors["expires_at"] = ["Must be in the future."]
    elif new_expiry is not None and new_publish is not None and new_expiry <= new_publish and \
            version.status != "published":
        errors["expires_at"] = ["Must be after publish_at."]
    if errors:
        raise InvalidInput(fields=errors)
    before = {"publish_at": _iso(version.publish_at), "expires_at": _iso(version.expires_at)}
    version.publish_at, version.expires_at = new_publish, new_expiry
    audit.record_pack(version.pack, "version.scheduled", actor=user, to_version=number, before=before,
                      after={"publish_at": _iso(new_publish), "expires_at": _iso(new_expiry)})
    db.session.commit()
    return version


def rollback(*, user: User, key: str, number: int, now: datetime | None = None) -> tuple[PackVersion, LiveChange]:
    """Publish an earlier version again — the same version, not a copy — so the number reps see is the one that
    was reviewed. Any version that was live before (superseded or expired) qualifies; an expiry that has
    passed is cleared."""
    now = now or utcnow()
    version = _step(user, key, number, ("superseded", "expired"), "roll back to")
    cleared = None
    if version.expires_at is not None and version.expires_at <= now:
        cleared, version.expires_at = _iso(version.expires_at), None
    change = _publish(version, actor=user, action="version.rolled_back", now=now,
                      **({"cleared_expires_at": cleared} if cleared else {}))
    db.session.commit()
    return version, change


# ---------------------------------------------------------------------------------------------------------
# Jobs (see app.jobs): commit, return what reps must hear


def publish_due(*, now: datetime | None = None) -> list[LiveChange]:
    """Publish every in-review version whose ``publish_at`` has come (one whose expiry has passed too is
    marked expired instead). When two versions of a pack are due, the later one wins."""
    now = now or utcnow()
    due = db.session.scalars(select(PackVersion).where(PackVersion.status == "in_review",
                                                       PackVersion.publish_at <= now)
                             .order_by(PackVersion.publish_at, PackVersion.number))
    changes: dict[str, LiveChange] = {}
    for version in list(due):
        if version.expires_at is not None and version.expires_at <= now:
            _expire(version, now=now, reason="expired before its scheduled publishing")
            continue
        change = _publish(version, actor=None, action="version.published", now=now, by="scheduler",
                          scheduled_for=_iso(version.publish_at))
        earlier = changes.get(change.pack_key)
        reps = tuple(sorted(set(change.rep_ids) | set(earlier.rep_ids if earlier else ())))
        changes[change.pack_key] = LiveChange(change.pack_key, change.version, reps)
    db.session.commit()
    return list(changes.values())


def expire_due(*, now: datetime | None = None) -> list[LiveChange]:
    """Mark every published version whose ``expires_at`` has come as expired: its pack has no live version
    until another one is published or rolled back to."""
    now = now or utcnow()
    due = db.session.scalars(select(PackVersion).where(PackVersion.status == "published",
                                                       PackVersion.expires_at <= now))
    changes = [_expire(version, now=now, reason="expires_at passed") for version in list(due)]
    db.session.commit()
    return changes


# ---------------------------------------------------------------------------------------------------------
# Import (the demo loader and ``flask packs import``); no commit — the caller batches


def import_body(body: dict, *, publish: bool = False, actor: User | None = None,
                source: str = "import") -> ImportResult:
    """Store a validated pack body as a new version when it differs from the latest one.

    With ``publish`` the new version — or an unchanged latest one still in draft or review — is published
    directly (imports are an admin's tool and skip the review). Raises ``InvalidInput`` when the body would
    move the pack to another region or reuse another pack's component id.
    """
    pack = db.session.scalar(select(ContentPack).where(ContentPack.key == body["id"]))
    if pack is None:
        errors = _foreign_id_errors(body, pack_id=None)
        if errors:
            raise InvalidInput("The pack body breaks a rule.", fields=errors)
        pack = ContentPack(key=body["id"], name=body["name"], region_id=_region_id(body))
        db.session.add(pack)
        db.session.flush()
        audit.record_pack(pack, "pack.created", actor=actor, source=source)
    else:
        _check_body_for(pack, body)
    latest = _latest(pack)
    now = utcnow()
    if latest is not None and _same_content(latest.body, body):
        if publish and latest.status in ("draft", "in_review"):
            return ImportResult(latest, False, _publish(latest, actor=actor, action="version.published",
                                                        now=now, source=source))
        return ImportResult(latest, False, None)
    number = latest.number + 1 if latest else 1
    version = _new_version(pack, body, actor=actor, based_on=latest.number if latest else None,
                           note=f"imported from {source}", number=number)
    audit.record_pack(pack, "version.created", actor=actor, from_version=latest.number if latest else None,
                      to_version=number, source=source)
    change = _publish(version, actor=actor, action="version.published", now=now, source=source) if publish else None
    return ImportResult(version, True, change)


def import_pack(body: dict, *, publish: bool = True) -> PackVersion:
    """Store a validated pack body as a new immutable version (a no-op if identical to the latest)."""
    return import_body(body, publish=publish, source="demo").version


# ---------------------------------------------------------------------------------------------------------
# Export (``flask packs export``)


def export_version(key: str, number: int | None = None) -> PackVersion:
    """The version to export: ``number``, else the live one, else the latest."""
    pack = find_pack(key)
    if number is not None:
        return version_of(pack, number)
    return live_version(pack) or _latest(pack)


def pack_yaml(version: PackVersion) -> str:
    """The version's body as pack YAML (fields in the documented order) that ``content_packs.parse_pack``
    reads back to the identical body."""
    body = version.body
    ordered = {k: body[k] for k in PackSchema().fields if k in body} | body
    header = (f"# {version.pack.key} v{version.number} ({version.status}), exported from Battlemap.\n"
              "# Format: docs/content-packs.md. Re-import with `flask packs import`.\n")
    return header + yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=120)
