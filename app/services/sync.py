"""The offline bundle: everything a rep's PWA needs to work without network for their territory.

A bundle is five sections of items — ``places``, ``zones``, ``packs``, ``components``, ``cards`` — plus
``rep``, ``settings`` and ``names``, which always travel whole. Every card is the rep's popup composed by the
scenario engine exactly as the server would push it (``compose_popup``, nothing recorded), with its
components replaced by refs into ``components`` (``<pack key>/<kind>/<component id>``) so a talk-track
shown at 300 places travels once.

Versions are content hashes: the same content gives the same version in any process, at any time. For every
version handed out the item hashes are kept (``BundleManifest``), so ``since=<version>`` sends only the items
that are new or changed plus the keys removed. Manifests are kept ``MANIFEST_MAX_AGE`` and at most
``MANIFESTS_PER_REP`` per rep; an unknown or pruned ``since`` gets the full bundle.

Cards depend on the time they are composed at: trigger rules with a time window or weekdays, compliance
notes that expire, the notice windows of the context. A bundle is right for the moment it was made; the
PWA should sync at least daily and whenever it comes back online (docs/sync-and-events.md).
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import BundleManifest, Place, PlaceCategory, Region, User, Zone, ZoneType, utcnow
from app.services.geo_state import fence_settings
from app.services.pack_queries import published_packs
from app.services.places import place_card
from app.services.scenarios import compose_popup, local_now, rep_facts
from content_packs.engine import SHOWABLE_KINDS

SECTIONS = ("places", "zones", "packs", "components", "cards")
MANIFEST_MAX_AGE = timedelta(days=14)
MANIFESTS_PER_REP = 20


@dataclass(frozen=True)
class Bundle:
    """A rep's bundle as of now: ``items[section][key]``, their ``hashes`` and the always-sent ``meta``."""

    version: str
    meta: dict
    items: dict[str, dict[str, object]]
    hashes: dict[str, dict[str, str]]


def clock() -> datetime:
    """Local time the cards are composed at (a function, so tests can hold time still)."""
    return local_now()


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _digest(value) -> str:
    return hashlib.sha256(_canonical(value)).hexdigest()[:12]


def territory(user: User):
    """Places of the user's region (every place for a user without a region), by id."""
    query = select(Place.id, Place.key, Place.tags, Place.radius_m).order_by(Place.id)
    if user.region_id is not None:
        query = query.where(Place.region_id == user.region_id)
    return db.session.execute(query).all()


def _zones(user: User) -> dict[str, dict]:
    query = select(Zone, ZoneType.key).join(ZoneType, Zone.zone_type_id == ZoneType.id).order_by(Zone.id)
    if user.region_id is not None:
        query = query.where(Zone.region_id == user.region_id)
    return {str(z.id): {"id": z.id, "key": z.key, "name": z.name, "type": type_key, "shell": z.shell,
                        "holes": z.holes or []}
            for z, type_key in db.session.execute(query)}


def _meta(user: User) -> dict:
    region = db.session.get(Region, user.region_id) if user.region_id is not None else None
    types = select(ZoneType).order_by(ZoneType.id)
    if user.region_id is not None:
        types = types.where(ZoneType.region_id == user.region_id)
    return {
        "rep": {"id": user.id, "name": user.name, "role": user.role, "skill_level": user.skill_level,
                "region": {"id": region.id, "key": region.key, "name": region.name} if region else None},
        "settings": {"fence": dataclasses.asdict(fence_settings(current_app.config)),
                     "notice_days": current_app.config["POPUP_NOTICE_DAYS"]},
        "names": {
            "categories": {c.key: {"zh": c.name_zh, "en": c.name_en}
                           for c in db.session.scalars(select(PlaceCategory).order_by(PlaceCategory.key))},
            "zone_types": {t.key: {"zh": t.name_zh, "en": t.name_en} for t in db.session.scalars(types)},
        },
    }


class _Owners:
    """Which published pack a popup component came from, by (kind, id).

    The engine hands components over without their pack, so the bundle looks them up in the published
    packs: the popup's own pack when it holds that (kind, id), else the first pack (by key) that does.
    Component ids are unique across packs (the packs service refuses a foreign id), so this is exact.
    """

    def __init__(self, now: datetime):
        self.packs = {p.key: p for p in published_packs(now=now)}
        self._by_component: dict[tuple[str, str], list[str]] = {}
        for pack in self.packs.values():
            for kind in SHOWABLE_KINDS:
                for component in pack.body.get(kind) or ():
                    self._by_component.setdefault((kind, component["id"]), []).append(pack.key)

    def of(self, kind: str, component_id: str, preferred: str | None) -> str | None:
        owners = self._by_component.get((kind, component_id), ())
        if preferred in owners:
            return preferred
        return owners[0] if owners else None


def _card(popup: dict, owners: _Owners, components: dict, packs: dict) -> dict:
    pack_key = popup["pack"]["id"] if popup.get("pack") else None
    if pack_key is not None:
        packs[pack_key] = {"id": pack_key, "name": popup["pack"]["name"], "version": popup["pack"]["version"]}
    refs: dict[str, list[str]] = {}
    for kind in SHOWABLE_KINDS:
        refs[kind] = []
        for item in popup.get(kind) or ():
            owner = owners.of(kind, item["id"], pack_key)
            ref = f"{owner or '_'}/{kind}/{item['id']}"
            if item.get("variant"):  # an A/B talk-track reads differently per client: one entry per variant
                ref += f"@{item['variant']}"
            components.setdefault(ref, item)
            refs[kind].append(ref)
            if owner is not None and owner not in packs and owner in owners.packs:
                pack = owners.packs[owner]
                packs[owner] = {"id": owner, "name": pack.name, "version": pack.version}
    # The client adds the fence_entered entry itself, with the distance it measured.
    why = [w for w in popup.get("why") or () if not (isinstance(w, dict) and w.get("rule") == "fence_entered")]
    return {"place_id": popup["place"]["id"], "event": popup["event"], "pack": pack_key, "zone": popup["zone"],
            "components": refs, "why": why}


def current_bundle(*, user: User) -> Bundle:
    """Compose the user's bundle now, remember its manifest (so a later ``since`` can be answered) and commit."""
    now = clock()
    today = now.date()
    rep = rep_facts(user)
    owners = _Owners(utcnow())
    items: dict[str, dict] = {section: {} for section in SECTIONS}
    items["zones"] = _zones(user)
    for row in territory(user):
        card = place_card(row.id, today=today)
        zone = card.zone
        items["places"][str(row.id)] = {
            **card.summary, "key": row.key, "radius_m": row.radius_m, "tags": list(row.tags or []),
            "zone": {"id": zone.id, "type": zone.type, "name": zone.name} if zone else None,
            "context": card.context,
        }
        enter = compose_popup(rep=rep, place_id=row.id, distance_m=None, event="enter_place", now=now,
                              record=False)
        entry = _card(enter, owners, items["components"], items["packs"])
        dwell = compose_popup(rep=rep, place_id=row.id, distance_m=None, event="dwell", now=now, record=False,
                              only_if_rules=True)
        entry["dwell"] = _card(dwell, owners, items["components"], items["packs"]) if dwell else None
        items["cards"][str(row.id)] = entry
    meta = _meta(user)
    hashes = {section: {key: _digest(value) for key, value in items[section].items()} for section in SECTIONS}
    version = "b" + hashlib.sha256(_canonical({"meta": meta, "hashes": hashes})).hexdigest()[:16]
    _remember(version, user.id, hashes)
    return Bundle(version=version, meta=meta, items=items, hashes=hashes)


def _insert(model):
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def _remember(version: str, rep_id: int, hashes: dict) -> None:
    now = utcnow()
    db.session.execute(
        _insert(BundleManifest).values(version=version, rep_id=rep_id, hashes=hashes, created_at=now)
        .on_conflict_do_update(index_elements=["version"], set_={"created_at": now})
    )
    # Prune: nothing older than MANIFEST_MAX_AGE, and only this rep's newest MANIFESTS_PER_REP.
    db.session.execute(delete(BundleManifest).where(BundleManifest.created_at < now - MANIFEST_MAX_AGE))
    stale = select(BundleManifest.version).where(BundleManifest.rep_id == rep_id) \
        .order_by(BundleManifest.created_at.desc(), BundleManifest.version).offset(MANIFESTS_PER_REP)
    old = list(db.session.scalars(stale))
    if old:
        db.session.execute(delete(BundleManifest).where(BundleManifest.version.in_(old)))
    db.session.commit()


def bundle_body(bundle: Bundle, *, user: User, since: str | None = None) -> dict:
    """The JSON body: everything (``full``), or only what changed since the rep's earlier version ``since``.

    A ``since`` this server does not know for this rep (never handed out, pruned, another rep's) gives the
    full bundle. ``removed`` lists the keys (as in ``upserts``) that the earlier version had and this one has not.
    """
    old = None
    if since is not None:
        old = db.session.scalar(select(BundleManifest.hashes).where(BundleManifest.version == since,
                                                                    BundleManifest.rep_id == user.id))
    if old is None:
        upserts = bundle.items
        removed = {section: [] for section in SECTIONS}
    else:
        upserts = {section: {key: value for key, value in bundle.items[section].items()
                             if (old.get(section) or {}).get(key) != bundle.hashes[section][key]}
                   for section in SECTIONS}
        removed = {section: sorted(set(old.get(section) or {}) - set(bundle.hashes[section])) for section in SECTIONS}
    return {
        "version": bundle.version,
        "full": old is None,
        "since": since,
        "generated_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        **bundle.meta,
        "upserts": upserts,
        "removed": removed,
    }
