"""Content packs in the database: import from YAML, and the published versions popups are composed from."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import ContentPack, PackVersion, Region, utcnow
from app.services import versions


@dataclass(frozen=True)
class PublishedPack:
    key: str
    name: str
    version: int
    version_id: int
    body: dict


def import_pack(body: dict, *, publish: bool = True) -> PackVersion:
    """Store a validated pack body as a new immutable version (a no-op if identical to the latest)."""
    pack = db.session.scalar(select(ContentPack).where(ContentPack.key == body["id"]))
    region_id = db.session.scalar(select(Region.id).where(Region.key == body.get("region")))
    if pack is None:
        pack = ContentPack(key=body["id"], name=body["name"], region_id=region_id)
        db.session.add(pack)
        db.session.flush()
    latest = pack.versions[-1] if pack.versions else None
    if latest is not None and latest.body == body:
        return latest
    version = PackVersion(pack_id=pack.id, number=(latest.number + 1) if latest else 1, body=body, status="draft")
    db.session.add(version)
    db.session.flush()
    if publish:
        for older in pack.versions:
            if older.status == "published":
                older.status = "superseded"
        version.status = "published"
        version.published_at = utcnow()
        pack.name = body["name"]
    return version


CONTENT = "content"


def packs_changed() -> None:
    """Record that what reps may see changed (a publish, rollback, expiry or rule edit)."""
    versions.bump(CONTENT)


def published_packs() -> list[PublishedPack]:
    """Every pack's currently published version."""
    packs = db.session.scalars(
        select(ContentPack)
        .join(ContentPack.published_version)
        .options(joinedload(ContentPack.published_version))
        .order_by(ContentPack.key)
    )
    return [
        PublishedPack(
            key=p.key,
            name=p.name,
            version=p.published_version.number,
            version_id=p.published_version.id,
            body=p.published_version.body,
        )
        for p in packs
    ]
