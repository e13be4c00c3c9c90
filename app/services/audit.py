"""The audit log: who changed what, when, and from which version to which.

Every change to managed content writes one ``AuditEntry`` in the caller's transaction; reading is scoped to
the regions the reader manages.
"""

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, ContentPack, User
from app.services import permissions

PACK = "pack"


@dataclass(frozen=True)
class AuditView:
    """An entry with its actor (None for the scheduler and the CLI) and, for a pack, the pack's id."""

    entry: AuditEntry
    actor: User | None
    pack_id: str | None


def record(*, actor: User | None, action: str, target_type: str, target_id: int | None,
           region_id: int | None, from_version: int | None = None, to_version: int | None = None,
           detail: dict | None = None) -> AuditEntry:
    """Add one entry to the session (no commit). ``actor`` is None for the scheduler and the CLI."""
    entry = AuditEntry(actor_id=actor.id if actor else None, action=action, target_type=target_type,
                       target_id=target_id, region_id=region_id, from_version=from_version,
                       to_version=to_version, detail=detail or {})
    db.session.add(entry)
    return entry


def record_pack(pack: ContentPack, action: str, *, actor: User | None, from_version: int | None = None,
                to_version: int | None = None, **detail) -> AuditEntry:
    """Shorthand for a change to a content pack; ``detail`` keywords land in the entry's JSON detail."""
    return record(actor=actor, action=action, target_type=PACK, target_id=pack.id, region_id=pack.region_id,
                  from_version=from_version, to_version=to_version, detail=detail)


def entries(*, user: User, pack: ContentPack | None = None, limit: int = 100) -> list[AuditView]:
    """Newest entries first: of one pack, or of every region ``user`` manages (all of them for an admin)."""
    permissions.require_manager(user)
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
    if pack is not None:
        permissions.require_manager_of(user, pack.region_id)
        query = query.where(AuditEntry.target_type == PACK, AuditEntry.target_id == pack.id)
    else:
        regions = permissions.managed_region_ids(user)
        if regions is not None:
            query = query.where(AuditEntry.region_id.in_(regions))
    rows = list(db.session.scalars(query))
    actors = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({r.actor_id for r in rows if r.actor_id is not None})))}
    keys = dict(db.session.execute(select(ContentPack.id, ContentPack.key).where(
        ContentPack.id.in_({r.target_id for r in rows if r.target_type == PACK}))).all())
    return [AuditView(entry=r, actor=actors.get(r.actor_id),
                      pack_id=keys.get(r.target_id) if r.target_type == PACK else None) for r in rows]
