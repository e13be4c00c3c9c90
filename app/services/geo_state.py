"""This process's geo index and fence tracker, kept in step with the places and zones in the database.

Every process holds its own immutable ``GeoIndex``. A change to places or zones bumps the row in
``geo_version``; each process polls that number (at most every ``GEO_VERSION_POLL_S``) and swaps in a
freshly built index, so reads never wait on a rebuild and never see half an index.
"""

import threading
import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import GeoVersion, Place, Zone, ZoneType
from geo import FenceSettings, FenceTracker, GeoIndex, PlaceSpec, ZoneSpec


@dataclass(frozen=True)
class ZoneInfo:
    id: int
    type: str
    name: str
    type_name: str


@dataclass(frozen=True)
class Snapshot:
    index: GeoIndex
    zones: dict[int, ZoneInfo] = field(default_factory=dict)

    def zone_for(self, lat: float, lon: float) -> ZoneInfo | None:
        hit = self.index.zone_at(lat, lon)
        return self.zones.get(hit.zone_id) if hit else None


class GeoState:
    def __init__(self, settings: FenceSettings, poll_s: float):
        self.tracker = FenceTracker(settings)
        self._poll_s = poll_s
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        current = self._snapshot
        if current is not None and time.monotonic() - self._checked_at < self._poll_s:
            return current
        with self._lock:
            version = _db_version()
            self._checked_at = time.monotonic()
            if self._snapshot is None or self._snapshot.index.version != version:
                self._snapshot = _build(version)
            return self._snapshot

    def invalidate(self) -> None:
        self._checked_at = 0.0


def _db_version() -> int:
    return db.session.scalar(select(GeoVersion.version).where(GeoVersion.id == 1)) or 0


def _build(version: int) -> Snapshot:
    places = [
        PlaceSpec(id=p.id, lat=p.lat, lon=p.lon, radius_m=p.radius_m)
        for p in db.session.execute(select(Place.id, Place.lat, Place.lon, Place.radius_m))
    ]
    rows = db.session.execute(
        select(Zone.id, Zone.name, Zone.shell, Zone.holes, ZoneType.key, ZoneType.name_zh).join(ZoneType)
    ).all()
    zones = [ZoneSpec(id=r.id, zone_type=r.key, shell=r.shell, holes=r.holes or ()) for r in rows]
    info = {r.id: ZoneInfo(id=r.id, type=r.key, name=r.name, type_name=r.name_zh) for r in rows}
    return Snapshot(index=GeoIndex.build(places, zones, version=version), zones=info)


def bump_version() -> int:
    """Record that places or zones changed; every process rebuilds its index on its next look."""
    row = db.session.get(GeoVersion, 1)
    if row is None:
        db.session.add(GeoVersion(id=1, version=1))
        db.session.flush()
        version = 1
    else:
        db.session.execute(update(GeoVersion).where(GeoVersion.id == 1).values(version=GeoVersion.version + 1))
        version = db.session.scalar(select(GeoVersion.version).where(GeoVersion.id == 1))
    state().invalidate()
    return version


def state() -> GeoState:
    return current_app.extensions["battlemap_geo"]


def snapshot() -> Snapshot:
    return state().snapshot()


def init_app(app) -> None:
    cfg = app.config
    settings = FenceSettings(
        exit_margin_m=cfg["FENCE_EXIT_MARGIN_M"],
        cooldown_s=cfg["FENCE_COOLDOWN_S"],
        dwell_s=cfg["FENCE_DWELL_S"],
        max_accuracy_m=cfg["FENCE_MAX_ACCURACY_M"],
        max_speed_mps=cfg["FENCE_MAX_SPEED_MPS"],
        session_gap_s=cfg["FENCE_SESSION_GAP_S"],
    )
    app.extensions["battlemap_geo"] = GeoState(settings, poll_s=cfg.get("GEO_VERSION_POLL_S", 2.0))
