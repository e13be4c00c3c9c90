"""This process's geo index and fence tracker, kept in step with the places and zones in the database, and
the reps' fence state kept durable.

Every process holds its own immutable ``GeoIndex``. A change to places or zones bumps the ``geo`` counter
(``app.services.versions``); each process polls it (at most every ``STATE_POLL_S``) and swaps in a
freshly built index, so reads never wait on a rebuild and never see half an index.

Fence state (who is inside which place since when, the cooldowns) is saved as it changes: a fix marks its rep
*dirty*, and every ``FENCE_STATE_FLUSH_S`` the dirty reps' states are written in one batch — to Redis
(``FENCE_STATE_KEY<rep id>``, expiring after the session gap) when ``REDIS_URL`` is set, else to the database
(``rep_fence_states``). The batch is written at a fix when it is due, by a background ticker when fixes stop,
and for the rep at once on disconnect. A process killed with ``kill -9`` loses at most those seconds, and a rep
reconnecting to a restarted or another process carries on with no second card (docs/security.md). A saved
state never replaces a newer one, and a state dated in the future (a clock gone wrong) is ignored and
overwritten: nothing saved can poison a rep's later fixes.
"""

import json
import logging
import threading
import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db, socketio
from app.models import Place, RepFenceState, Zone, ZoneType, utcnow
from app.services import versions
from content_packs.engine import ZoneFacts
from geo import FenceSettings, FenceTracker, GeoIndex, PlaceSpec, ZoneSpec

GEO = "geo"
TS_MAX_MS = 2**63 - 1
log = logging.getLogger(__name__)

_SAVE_IF_NEWER = """
local cur = tonumber(redis.call('HGET', KEYS[1], 'ts'))
if (not cur) or cur <= tonumber(ARGV[1]) or cur > tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'ts', ARGV[1], 'state', ARGV[2])
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""
"""Write a rep's state unless Redis holds a newer one (one dated in the future does not count as newer)."""


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


# ── the clock ────────────────────────────────────────────────────────────────────────────────

def now_ms() -> int:
    return int(time.time() * 1000)


def clock_drop_reason(ts_ms: int, *, received_ms: int, config) -> str | None:
    """Why a fix dated ``ts_ms`` cannot be used when the server receives it at ``received_ms``:
    ``future_timestamp`` more than ``FIX_MAX_AHEAD_S`` ahead, ``stale`` more than ``FIX_MAX_BEHIND_S`` behind;
    None when it can."""
    ahead, behind = config.get("FIX_MAX_AHEAD_S"), config.get("FIX_MAX_BEHIND_S")
    if ahead is not None and ts_ms - received_ms > ahead * 1000:
        return "future_timestamp"
    if behind is not None and received_ms - ts_ms > behind * 1000:
        return "stale"
    return None


def _poisoned(ts: int | None, *, received_ms: int, config) -> bool:
    """A last fix time that would drop every later fix: not storable, or beyond ``FIX_MAX_AHEAD_S`` ahead."""
    if ts is None:
        return False
    ahead = config.get("FIX_MAX_AHEAD_S")
    return not 0 <= ts <= TS_MAX_MS or (ahead is not None and ts - received_ms > ahead * 1000)


def heal_rep_state(rep_id: int, *, received_ms: int | None = None) -> bool:
    """Forget the rep's fence state when its last fix is dated in the future of the server clock (a state
    restored from a broken save, or a clock that jumped back): every later fix would otherwise be dropped as
    ``out_of_order``. Returns True when it healed something."""
    received_ms = now_ms() if received_ms is None else received_ms
    if _poisoned(tracker().last_ts(rep_id), received_ms=received_ms, config=current_app.config):
        log.warning("rep %s: fence state dated in the future; starting afresh", rep_id)
        tracker().forget(rep_id)
        return True
    return False


# ── durable fence state ──────────────────────────────────────────────────────────────────────

class _Dirty:
    """Reps whose fence state changed since the last flush, in this process; thread-safe."""

    def __init__(self) -> None:
        self.reps: set[int] = set()
        self.lock = threading.Lock()
        self.flushed = time.monotonic()
        self.ticking = False

    def take(self) -> set[int]:
        with self.lock:
            reps, self.reps = self.reps, set()
            self.flushed = time.monotonic()
            return reps


def _dirty() -> _Dirty:
    return current_app.extensions["battlemap_fence_dirty"]


def _redis():
    ext = current_app.extensions
    if "battlemap_fence_redis" not in ext:
        import redis

        ext["battlemap_fence_redis"] = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2,
                                                            socket_connect_timeout=2)
    return ext["battlemap_fence_redis"]


def _redis_key(rep_id: int) -> str:
    return f"{current_app.config['FENCE_STATE_KEY']}{rep_id}"


def mark_changed(rep_id: int) -> None:
    """The rep's fence state changed (a fix was taken): save it with the next batch."""
    dirty = _dirty()
    with dirty.lock:
        dirty.reps.add(rep_id)
        start = not dirty.ticking
        dirty.ticking = True
    if start:
        socketio.start_background_task(_tick, current_app._get_current_object())


def flush_if_due() -> int:
    """Write the dirty reps' states when the last batch is ``FENCE_STATE_FLUSH_S`` old; returns how many."""
    dirty = _dirty()
    if time.monotonic() - dirty.flushed < current_app.config["FENCE_STATE_FLUSH_S"]:
        return 0
    return flush_states()


def flush_states() -> int:
    """Write every dirty rep's state now (one batch); returns how many were written."""
    reps = _dirty().take()
    if not reps:
        return 0
    try:
        return _save(sorted(reps))
    except Exception:  # the store is down: keep them dirty for the next batch, never fail a fix
        log.warning("fence state: could not save %d reps; retrying with the next batch", len(reps), exc_info=True)
        db.session.rollback()
        with _dirty().lock:
            _dirty().reps.update(reps)
        return 0


def _tick(app) -> None:
    """Flush every ``FENCE_STATE_FLUSH_S`` while something is dirty; stop when a flush finds nothing (the next
    changed rep starts it again), so an idle process keeps no thread."""
    dirty = app.extensions["battlemap_fence_dirty"]
    while True:
        socketio.sleep(app.config["FENCE_STATE_FLUSH_S"])
        with app.app_context():
            with dirty.lock:
                if not dirty.reps:
                    dirty.ticking = False
                    return
            try:
                flush_states()
            finally:
                db.session.remove()


def _states(rep_ids) -> list[tuple[int, int, dict]]:
    """(rep id, last fix ts, state) of the given reps that have a state worth saving."""
    found = []
    for rep_id in rep_ids:
        state = tracker().export_state(rep_id)
        last = state.get("last")
        if last is None:
            continue
        if not 0 <= last["ts"] <= TS_MAX_MS:  # cannot be stored (and is poison): forget it instead
            tracker().forget(rep_id)
            continue
        found.append((rep_id, last["ts"], state))
    return found


def _save(rep_ids) -> int:
    states = _states(rep_ids)
    if not states:
        return 0
    config = current_app.config
    future = now_ms() + config["FIX_MAX_AHEAD_S"] * 1000 if config.get("FIX_MAX_AHEAD_S") is not None else TS_MAX_MS
    if config.get("REDIS_URL"):
        ttl = int(max(config["FENCE_SESSION_GAP_S"], config["FENCE_COOLDOWN_S"]) + 3600)
        pipe = _redis().pipeline(transaction=False)
        for rep_id, ts, state in states:
            pipe.eval(_SAVE_IF_NEWER, 1, _redis_key(rep_id), ts, json.dumps(state), future, ttl)
        pipe.execute()
        return len(states)
    _save_rows(states, future)
    return len(states)


def _save_rows(states: list[tuple[int, int, dict]], future: int) -> None:
    """One batch into ``rep_fence_states``: updates where the stored state is older (or dated in the future),
    inserts for reps without a row."""
    now = utcnow()
    ids = [rep_id for rep_id, _, _ in states]
    for _attempt in range(2):
        try:
            existing = set(db.session.scalars(select(RepFenceState.rep_id).where(RepFenceState.rep_id.in_(ids))))
            updates = [{"rid": r, "ts": t, "st": s, "now": now, "future": future}
                       for r, t, s in states if r in existing]
            inserts = [{"rep_id": r, "last_fix_ts": t, "state": s, "updated_at": now}
                       for r, t, s in states if r not in existing]
            if updates:
                table = RepFenceState.__table__
                db.session.connection().execute(
                    update(table)
                    .where(table.c.rep_id == bindparam("rid"),
                           or_(table.c.last_fix_ts.is_(None), table.c.last_fix_ts <= bindparam("ts"),
                               table.c.last_fix_ts > bindparam("future")))
                    .values(last_fix_ts=bindparam("ts"), state=bindparam("st"), updated_at=bindparam("now")),
                    updates)
            if inserts:
                db.session.execute(insert(RepFenceState), inserts)
            db.session.commit()
            return
        except IntegrityError:  # another process inserted one of them first: update it on the second try
            db.session.rollback()


def save_rep_state(rep_id: int) -> None:
    """Store the rep's fence state now (on disconnect), so any process can carry on from it."""
    with _dirty().lock:
        _dirty().reps.discard(rep_id)
    try:
        _save([rep_id])
    except Exception:
        db.session.rollback()
        log.warning("rep %s: fence state not saved", rep_id, exc_info=True)


def _load(rep_id: int) -> tuple[int | None, dict] | None:
    if current_app.config.get("REDIS_URL"):
        try:
            raw = _redis().hmget(_redis_key(rep_id), "ts", "state")
        except Exception:
            log.warning("rep %s: fence state not read from Redis", rep_id, exc_info=True)
            return None
        if raw[1] is None:
            return None
        return int(raw[0]), json.loads(raw[1])
    row = db.session.get(RepFenceState, rep_id)
    return None if row is None else (row.last_fix_ts, row.state)


def restore_rep_state(rep_id: int) -> None:
    """Carry on from the saved fence state (on connect) when it is newer than what this process holds.

    A rep who reconnects to another process behind the proxy, or to a process restarted after a crash, then gets
    no second card for the place they are standing in; the state is by fix time, so an older saved state never
    replaces a newer one, and one dated in the future of the server clock is ignored.
    """
    saved = _load(rep_id)
    if saved is None:
        return
    saved_ts, state = saved
    if _poisoned(saved_ts, received_ms=now_ms(), config=current_app.config):
        log.warning("rep %s: saved fence state dated in the future; ignored", rep_id)
        return
    held = tracker().last_ts(rep_id)
    if held is None or held < (saved_ts or 0):
        try:
            tracker().import_state(rep_id, state)
        except ValueError:
            log.warning("rep %s: saved fence state unreadable; starting afresh", rep_id)
    heal_rep_state(rep_id)


def reset_rep_state(rep_id: int) -> None:
    """Forget the rep's fence track here and in the store: the next fix starts a new session (the laptop
    simulation's explicit jump; nothing else should need it)."""
    tracker().forget(rep_id)
    with _dirty().lock:
        _dirty().reps.discard(rep_id)
    if current_app.config.get("REDIS_URL"):
        try:
            _redis().delete(_redis_key(rep_id))
        except Exception:
            log.warning("rep %s: fence state not deleted from Redis", rep_id, exc_info=True)
    db.session.execute(delete(RepFenceState).where(RepFenceState.rep_id == rep_id))
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
    app.extensions["battlemap_fence_dirty"] = _Dirty()
