"""Content pack versions, changed: one declared lifecycle, the manager's steps and the jobs.

A version's body never changes after it is created; only its lifecycle fields do (docs/packs-api.md):

    draft ──submit──▶ in_review ──publish (now, or the job at publish_at)──▶ published ──▶ superseded
                         │   └─approve (a second pair of eyes; status unchanged)   │  (when another one is
                         └──reject──▶ rejected (edit = a new draft)                 │   published or rolled back to)
                                                                       expires_at ▼
                                                                                expired
    rollback: a superseded or expired version is published again (the same version, not a copy).

``VersionStatus`` names the statuses and ``TRANSITIONS`` is the one table of what each step may start from
and where it leads; ``HINTS`` says, for a version in a status, what to do instead (the 409's message). Every
step goes through ``_check``; nothing else decides whether a status allows a step.

Use cases take the acting user, check roles and regions (``app.services.permissions``) and the second pair of
eyes (``app.services.pack_review``), write the audit log and commit. Those that change what reps see return a
``LiveChange`` naming the reps to tell; services never emit — the HTTP layer and the jobs hand it to
``app.notifier``.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.models import PACK_STATUSES, ContentPack, PackVersion, User, utcnow
from app.services import audit, permissions
from app.services.pack_queries import (
    affected_reps,
    check_body_for,
    foreign_id_errors,
    get_version,
    grid_errors,
    grid_id_of,
    latest_version,
    live_version,
    managed_pack,
    packs_changed,
    region_id_of,
    same_content,
)
from app.services.pack_review import (
    SecondReviewerRequired,
    authors,
    record_approval,
    require_second_pair,
    review_required,
)

log = logging.getLogger(__name__)


class VersionStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    REJECTED = "rejected"


assert tuple(VersionStatus) == PACK_STATUSES, "app.models.PACK_STATUSES and VersionStatus name the same statuses"

S = VersionStatus


@dataclass(frozen=True)
class Transition:
    """A lifecycle step: the statuses it may start from and the one it leads to (None: the status stays)."""

    action: str
    verb: str
    sources: tuple[VersionStatus, ...]
    target: VersionStatus | None


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("submit", "submit", (S.DRAFT,), S.IN_REVIEW),
    Transition("approve", "approve", (S.IN_REVIEW,), None),
    Transition("reject", "reject", (S.IN_REVIEW,), S.REJECTED),
    Transition("publish", "publish", (S.IN_REVIEW,), S.PUBLISHED),
    Transition("import_publish", "publish", (S.DRAFT, S.IN_REVIEW), S.PUBLISHED),  # an admin's import skips review
    Transition("schedule_publish", "schedule", (S.IN_REVIEW,), None),
    Transition("schedule_expiry", "schedule", (S.IN_REVIEW, S.PUBLISHED), None),
    Transition("rollback", "roll back to", (S.SUPERSEDED, S.EXPIRED), S.PUBLISHED),
    Transition("supersede", "supersede", (S.PUBLISHED,), S.SUPERSEDED),  # another version went live
    Transition("expire", "expire", (S.PUBLISHED, S.IN_REVIEW), S.EXPIRED),  # the jobs
)}

HINTS: dict[VersionStatus, str] = {
    S.DRAFT: "submit it for review first",
    S.IN_REVIEW: "it is waiting for review",
    S.PUBLISHED: "it is already live",
    S.SUPERSEDED: "roll back to it instead",
    S.EXPIRED: "roll back to it instead",
    S.REJECTED: "create a new version from it instead",
}
"""What to do with a version in this status instead of the step it does not allow (the 409's message)."""


class InvalidTransition(Conflict):
    """A lifecycle step that the version's status does not allow (e.g. publishing an unreviewed draft)."""

    code, message = "invalid_transition", "The version's status does not allow this."


def _check(version: PackVersion, action: str) -> Transition:
    """The transition, if the version's status allows it; ``InvalidTransition`` (409) otherwise."""
    step = TRANSITIONS[action]
    status = VersionStatus(version.status)
    if status not in step.sources:
        raise InvalidTransition(f"Cannot {step.verb} version {version.number}: it is {status.replace('_', ' ')}; "
                                f"{HINTS[status]}.", fields={"status": [status.value]})
    return step


def _move(version: PackVersion, action: str) -> None:
    step = _check(version, action)
    if step.target is not None:
        version.status = step.target.value


@dataclass(frozen=True)
class LiveChange:
    """What reps see of ``pack_key`` changed: it is now live at ``version`` (None: nothing is live).

    ``rep_ids`` are the users whose scope the pack touches, before or after the change.
    """

    pack_key: str
    version: int | None
    rep_ids: tuple[int, ...]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


# ---------------------------------------------------------------------------------------------------------
# Steps shared by the manager API, the CLI, the imports and the jobs (no commit, no permission checks)


def new_version(pack: ContentPack, body: dict, *, actor: User | None, based_on: int | None, note: str,
                number: int) -> PackVersion:
    """Add a draft holding ``body`` (its ``version`` set to ``number``) to ``pack``."""
    version = PackVersion(number=number, status=S.DRAFT.value, body={**body, "version": number}, based_on=based_on,
                          note=note, created_by_id=actor.id if actor else None)
    pack.versions.append(version)
    db.session.flush()
    return version


def submit_by_system(version: PackVersion, *, now: datetime, note: str = "") -> PackVersion:
    """draft → in_review with no author but the system (an experiment's winner, docs/experiments.md): any
    manager or admin of the region may then be its second pair of eyes; nobody is skipped."""
    _move(version, "submit")
    version.submitted_at = now
    audit.record_pack(version.pack, "version.submitted", actor=None, to_version=version.number, note=note,
                      by="experiment")
    return version


def publish(version: PackVersion, *, actor: User | None, action: str, now: datetime, step: str = "publish",
            **detail) -> LiveChange:
    """Make ``version`` the live one (``step``: publish or rollback); the one live until now is superseded."""
    pack = version.pack
    previous = live_version(pack)
    if previous is not None and previous.id != version.id:
        _move(previous, "supersede")
    _move(version, step)
    version.published_at = now
    pack.name = version.body["name"]
    # who sees it follows the live version; a change of grid is news to the whole region
    grid_before, pack.grid_id = pack.grid_id, grid_id_of(version.body, pack.region_id)
    notice_grid = pack.grid_id if grid_before == pack.grid_id else None
    audit.record_pack(pack, action, actor=actor, from_version=previous.number if previous else None,
                      to_version=version.number, **detail)
    packs_changed()
    return LiveChange(pack.key, version.number,
                      affected_reps(pack.region_id, previous.body if previous else None, version.body,
                                    grid_id=notice_grid))


def _expire(version: PackVersion, *, now: datetime, reason: str) -> LiveChange:
    pack = version.pack
    was_live = version.status == S.PUBLISHED
    _move(version, "expire")
    audit.record_pack(pack, "version.expired", actor=None, from_version=version.number, to_version=None,
                      by="scheduler", reason=reason, at=_iso(now))
    if not was_live:
        return LiveChange(pack.key, None, ())
    packs_changed()
    return LiveChange(pack.key, None, affected_reps(pack.region_id, version.body, grid_id=pack.grid_id))


def _step(user: User, key: str, number: int, action: str) -> PackVersion:
    version = get_version(user=user, key=key, number=number)
    _check(version, action)
    return version


# ---------------------------------------------------------------------------------------------------------
# Manager use cases (each checks permissions, writes the audit log and commits)


def create_pack(*, user: User, body: dict, note: str = "") -> PackVersion:
    """A new pack from a validated body: draft version 1 in the body's region (which ``user`` must manage)."""
    permissions.require_manager(user)
    region_id = region_id_of(body)
    permissions.require_manager_of(user, region_id)
    if db.session.scalar(select(ContentPack.id).where(ContentPack.key == body["id"])) is not None:
        raise Conflict(f"Pack '{body['id']}' exists; add a version to it instead.", code="pack_exists",
                       fields={"body.id": ["A pack with this id exists"]})
    errors = {**grid_errors(body, region_id), **foreign_id_errors(body, pack_id=None, user=user)}
    if errors:
        raise InvalidInput("The pack body breaks a rule.", fields=errors)
    pack = ContentPack(key=body["id"], name=body["name"], region_id=region_id)
    db.session.add(pack)
    db.session.flush()
    version = new_version(pack, body, actor=user, based_on=None, note=note, number=1)
    audit.record_pack(pack, "pack.created", actor=user, to_version=1, note=note)
    db.session.commit()
    return version


def create_version(*, user: User, key: str, body: dict, based_on: int | None = None, note: str = "") -> PackVersion:
    """An edit: a new draft holding the whole new body, based on ``based_on`` (default: the latest version)."""
    pack = managed_pack(user=user, key=key)
    check_body_for(pack, body, user=user)
    latest = latest_version(pack)
    base = latest if based_on is None else db.session.scalar(
        select(PackVersion).where(PackVersion.pack_id == pack.id, PackVersion.number == based_on))
    if base is None:
        raise InvalidInput(fields={"based_on": [f"Pack '{key}' has no version {based_on}."]})
    if same_content(base.body, body):
        raise InvalidInput(f"Nothing changed since version {base.number}.",
                           fields={"body": [f"Same content as version {base.number}"]})
    version = new_version(pack, body, actor=user, based_on=base.number, note=note, number=latest.number + 1)
    audit.record_pack(pack, "version.created", actor=user, from_version=base.number, to_version=version.number,
                      note=note)
    db.session.commit()
    return version


def submit_version(*, user: User, key: str, number: int, note: str = "", now: datetime | None = None) -> PackVersion:
    """draft → in_review; the submitter counts as an author (they cannot be its second pair of eyes)."""
    version = _step(user, key, number, "submit")
    _move(version, "submit")
    version.submitted_at = now or utcnow()
    version.submitted_by_id = user.id
    audit.record_pack(version.pack, "version.submitted", actor=user, to_version=number, note=note)
    db.session.commit()
    return version


def approve_version(*, user: User, key: str, number: int, note: str = "") -> PackVersion:
    """A second pair of eyes on an in-review version: a manager or admin of the region other than its author
    approves it (403 ``second_reviewer_required`` for the author). The status stays in_review."""
    version = _step(user, key, number, "approve")
    if user.id in authors(version):
        raise SecondReviewerRequired(
            f"You wrote or submitted version {number}: a different manager or admin of the region must approve it.",
            fields={"approved_by": ["The author cannot approve their own version."]})
    record_approval(version, user, via="approve", note=note)
    db.session.commit()
    return version


def reject_version(*, user: User, key: str, number: int, reason: str = "") -> PackVersion:
    """in_review → rejected (a scheduled publishing is dropped). Editing goes on in a new draft."""
    version = _step(user, key, number, "reject")
    _move(version, "reject")
    version.publish_at = None
    audit.record_pack(version.pack, "version.rejected", actor=user, to_version=number, reason=reason)
    db.session.commit()
    return version


def publish_version(*, user: User, key: str, number: int,
                    now: datetime | None = None) -> tuple[PackVersion, LiveChange]:
    """in_review → published now; the version live until now becomes superseded. Needs the second pair of eyes
    when the region asks for it (publishing someone else's version is that approval)."""
    now = now or utcnow()
    version = _step(user, key, number, "publish")
    if version.expires_at is not None and version.expires_at <= now:
        raise InvalidTransition(f"Version {number} expired at {_iso(version.expires_at)}; schedule a later "
                                "expiry first.", fields={"expires_at": [_iso(version.expires_at)]})
    require_second_pair(version, user, via="publish")
    change = publish(version, actor=user, action="version.published", now=now)
    db.session.commit()
    return version, change


UNSET = object()


def schedule_version(*, user: User, key: str, number: int, publish_at=UNSET, expires_at=UNSET,
                     now: datetime | None = None) -> PackVersion:
    """Set (or clear with None) when an in-review version is published and when a version expires (UTC).

    ``publish_at`` needs an in-review version (and, when the region asks for it, another manager's approval
    or a scheduler who is not the author); ``expires_at`` an in-review or the published one. Times must lie
    in the future and expiry after publishing (422 otherwise).
    """
    now = now or utcnow()
    version = _step(user, key, number, "schedule_publish" if publish_at is not UNSET else "schedule_expiry")
    new_publish = version.publish_at if publish_at is UNSET else publish_at
    new_expiry = version.expires_at if expires_at is UNSET else expires_at
    errors = {}
    if publish_at not in (UNSET, None) and publish_at <= now:
        errors["publish_at"] = ["Must be in the future."]
    if expires_at not in (UNSET, None) and expires_at <= now:
        errors["expires_at"] = ["Must be in the future."]
    elif new_expiry is not None and new_publish is not None and new_expiry <= new_publish and \
            version.status != S.PUBLISHED:
        errors["expires_at"] = ["Must be after publish_at."]
    if errors:
        raise InvalidInput(fields=errors)
    if publish_at not in (UNSET, None):
        require_second_pair(version, user, via="schedule")
    before = {"publish_at": _iso(version.publish_at), "expires_at": _iso(version.expires_at)}
    version.publish_at, version.expires_at = new_publish, new_expiry
    audit.record_pack(version.pack, "version.scheduled", actor=user, to_version=number, before=before,
                      after={"publish_at": _iso(new_publish), "expires_at": _iso(new_expiry)})
    db.session.commit()
    return version


def rollback(*, user: User, key: str, number: int, now: datetime | None = None) -> tuple[PackVersion, LiveChange]:
    """Publish an earlier version again — the same version, not a copy — so the number reps see is the one that
    was reviewed (so no second review again). Any version that was live before (superseded or expired)
    qualifies; an expiry that has passed is cleared."""
    now = now or utcnow()
    version = _step(user, key, number, "rollback")
    cleared = None
    if version.expires_at is not None and version.expires_at <= now:
        cleared, version.expires_at = _iso(version.expires_at), None
    change = publish(version, actor=user, action="version.rolled_back", now=now, step="rollback",
                     **({"cleared_expires_at": cleared} if cleared else {}))
    db.session.commit()
    return version, change


# ---------------------------------------------------------------------------------------------------------
# Jobs (see app.jobs): commit, return what reps must hear


def publish_due(*, now: datetime | None = None) -> list[LiveChange]:
    """Publish every in-review version whose ``publish_at`` has come (one whose expiry has passed too is
    marked expired instead). When two versions of a pack are due, the later one wins.

    A version whose region wants a second pair of eyes and that nobody but its author has approved waits:
    it is published by the first run after someone approves it (its ``publish_at`` has passed by then).
    """
    now = now or utcnow()
    due = db.session.scalars(select(PackVersion).where(PackVersion.status == S.IN_REVIEW,
                                                       PackVersion.publish_at <= now)
                             .order_by(PackVersion.publish_at, PackVersion.number))
    changes: dict[str, LiveChange] = {}
    for version in list(due):
        if version.expires_at is not None and version.expires_at <= now:
            _expire(version, now=now, reason="expired before its scheduled publishing")
            continue
        if version.approved_by_id is None and review_required(version):
            log.info("pack %s v%s is due but not approved by a second manager; waiting", version.pack.key,
                     version.number)
            continue
        change = publish(version, actor=None, action="version.published", now=now, by="scheduler",
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
    due = db.session.scalars(select(PackVersion).where(PackVersion.status == S.PUBLISHED,
                                                       PackVersion.expires_at <= now))
    changes = [_expire(version, now=now, reason="expires_at passed") for version in list(due)]
    db.session.commit()
    return changes
