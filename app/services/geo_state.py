"""This process's geo index and fence tracker, kept in step with the places and zones in the database.

Every process holds its own immutable ``GeoIndex``. A change to places or zones bumps the ``geo`` counter
(``app.services.versions``); each process polls it (at most every ``STATE_POLL_S``) and swaps in a
freshly built index, so reads never wait on a rebuild and never see half an index.
"""

import logging
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Place, RepFenceState, Zone, ZoneType
from app.services import versions
from content_packs.engine import ZoneFacts
from geo import FenceSettings, FenceTracker, GeoIndex, PlaceSpec, ZoneSpec

GEO = "geo"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    index: GeoIndex
    zones: dict[int, ZoneFacts] = field(default_factory=dict)

    def zone_for(self, lat: float, lon: float) -> ZoneFacts | None:
        hit = self.index.zone_at(lat, lon)
        return self.zones.get(hit.zone_id) if hit else None


def _build(version: int) -> Snapshot:
    places = [
        PlaceSpec(id=p.id, lat=p.lat, lon=p.lon, radius_m=p.radius_m)
        for p in db.session.execute(select(Place.id, Place.lat, Place.lon, Place.radius_m))
    ]
    rows = db.session.execute(
        select(Zone.id, Zone.name, Zone.shell, Zone.holes, ZoneType.key, ZoneType.name_zh).join(ZoneType)
    ).all()
    zones = [ZoneSpec(id=r.id, zone_type=r.key, shell=r.shell, holes=r.holes or ()) for r in rows]
    info = {r.id: ZoneFacts(id=r.id, type=r.key, name=r.name, type_name=r.name_zh) for r in rows}
    return Snapshot(index=GeoIndex.build(places, zones, version=version), zones=info)


def bump_version() -> int:
    """Record that places or zones changed; every process rebuilds its index on its next look."""
    return versions.bump(GEO)


def tracker() -> FenceTracker:
    """This process's per-rep fence state (kept across reconnects; keyed by rep id)."""
    return current_app.extensions["battlemap_fences"]


def save_rep_state(rep_id: int) -> None:
    """Store the rep's fence state (on disconnect), so any process can carry on from it."""
    state = tracker().export_state(rep_id)
    if state.get("last") is None:
        return
    row = db.session.get(RepFenceState, rep_id) or RepFenceState(rep_id=rep_id)
    row.state, row.last_fix_ts = state, state["last"]["ts"]
    db.session.add(row)
    db.session.commit()


def restore_rep_state(rep_id: int) -> None:
    """Carry on from the saved fence state (on connect) when it is newer than what this process holds.

    A rep who reconnects to another process behind the proxy then gets no second card for the place they
    are standing in; the state is by fix time, so an older saved state never replaces a newer one.
    """
    row = db.session.get(RepFenceState, rep_id)
    if row is None:
        return
    held = tracker().export_state(rep_id).get("last")
    if held is None or held["ts"] < (row.last_fix_ts or 0):
        try:
            tracker().import_state(rep_id, row.state)
        except ValueError:
            log.warning("rep %s: saved fence state unreadable; starting afresh", rep_id)


def reset_rep_state(rep_id: int) -> None:
    """Forget the rep's fence track here and in the database: the next fix starts a new session (the
    laptop simulation's explicit jump; nothing else should need it)."""
    tracker().forget(rep_id)
    row = db.session.get(RepFenceState, rep_id)
    if row is not None:
        db.session.delete(row)
    db.session.commit()


def snapshot() -> Snapshot:
    """This process's current geo index and zone names."""
    return versions.cached(GEO, _build)


def fence_settings(config) -> FenceSettings:
    """The fence rules from the app config (docs/geo.md); the live handler and ``flask geo replay`` share them."""
    return FenceSettings(
        exit_margin_m=config["FENCE_EXIT_MARGIN_M"],
        cooldown_s=config["FENCE_COOLDOWN_S"],
        dwell_s=config["FENCE_DWELL_S"],
        max_accuracy_m=config["FENCE_MAX_ACCURACY_M"],
        max_speed_mps=config["FENCE_MAX_SPEED_MPS"],
        session_gap_s=config["FENCE_SESSION_GAP_S"],
    )


def init_app(app) -> None:
    app.extensions["battlemap_fences"] = FenceTracker(fence_settings(app.config))
