"""A rep's location fix → fence events → popups for the places entered; every fix kept for the replay.

Stored fixes (``rep_fixes``, docs/replay.md): every fix a rep sends on duty — accepted or dropped, the replay
recomputes which and why — goes into a per-process buffer that one multi-row INSERT writes every
``FIX_FLUSH_S`` seconds or ``FIX_BUFFER_MAX`` fixes, after the fix's popups were delivered, so the popup path
never waits for a write of its own. "On duty" is ``FIX_STORE_HOURS`` (local hours, ``TIMEZONE``; None keeps
every fix). A process killed between two flushes loses at most those seconds of replay data, never a card.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import insert

from app.extensions import db
from app.models import RepFix, utcnow
from app.services import events as event_service
from app.services import geo_state
from app.services.scenarios import compose_popup
from content_packs.engine import RepFacts
from geo import FenceEvent, Fix

RESET = "reset"
"""``rep_fixes.crs`` of a marker row: the rep's track was reset here (``track.reset``); not a position."""

log = logging.getLogger(__name__)

# Fence events that may push a popup → the trigger-rule event they are. Entering always pushes the card;
# dwelling pushes one only when a manager's rule asks for it (e.g. closing scripts after 5 minutes inside).
_POPUP_EVENTS = {"enter": "enter_place", "dwell": "dwell"}


@dataclass
class LocationOutcome:
    events: list[FenceEvent] = field(default_factory=list)
    popups: list[dict] = field(default_factory=list)

    @property
    def dropped(self) -> str | None:
        return next((e.reason for e in self.events if e.event == "drop"), None)


def record_location(*, rep: RepFacts, lat: float, lon: float, accuracy_m: float | None, ts_ms: int,
                    deliver: Callable[[dict], None] = lambda popup: None,
                    offline_cards: event_service.OfflineCards | None = None) -> LocationOutcome:
    """Run the fix through this process's fence tracker; compose the popups its events call for.

    Each popup is handed to ``deliver`` (the socket layer pushes it) as soon as it is composed, and recorded
    in the database after: the rep waits for the card, not for the commit.

    No double card after offline: an ``enter`` whose card the PWA already showed offline (a
    ``card_shown_offline`` event for that place within ``FENCE_COOLDOWN_S`` before the fix) pushes nothing.
    ``offline_cards`` is the connection's view of those events (read once); without one, a fresh view.
    """
    offline_cards = offline_cards or event_service.OfflineCards(rep.id, current_app.config["FENCE_COOLDOWN_S"])
    snap = geo_state.snapshot()
    events = geo_state.tracker().update(rep.id, Fix(lat=lat, lon=lon, accuracy_m=accuracy_m, ts_ms=ts_ms), snap.index)
    outcome = LocationOutcome(events=events)
    for event in events:
        if event.event == "drop":
            log.info("rep %s: fix at %s dropped (%s)", rep.id, event.ts_ms, event.reason)
    for event in events:
        if event.event not in _POPUP_EVENTS or event.place_id is None:
            continue
        if event.event == "enter" and offline_cards.shown(event.place_id, _utc(event.ts_ms)):
            log.info("rep %s: card of place %s already shown offline; not pushed", rep.id, event.place_id)
            continue
        popup = compose_popup(
            rep=rep, place_id=event.place_id, distance_m=event.distance_m if event.distance_m is not None else 0.0,
            event=_POPUP_EVENTS[event.event], only_if_rules=event.event == "dwell",
        )
        if popup is not None:
            deliver(popup)
            outcome.popups.append(popup)
    flush = _keep(rep.id, lat, lon, accuracy_m, ts_ms)
    if flush:
        _write(flush)
    if outcome.popups or flush:
        db.session.commit()
    return outcome


def _utc(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).replace(tzinfo=None)


# ---------------------------------------------------------------------------------------------------------
# Stored fixes


class FixBuffer:
    """Fixes received by this process and not yet written; thread-safe (socket handlers run in threads)."""

    def __init__(self) -> None:
        self._rows: list[dict] = []
        self._lock = threading.Lock()
        self._flushed = time.monotonic()

    def add(self, row: dict, *, max_rows: int, max_age_s: float) -> list[dict]:
        """Keep ``row``; returns every waiting row (to write now) once there are ``max_rows`` or the last
        flush is ``max_age_s`` old, else []."""
        with self._lock:
            self._rows.append(row)
            if len(self._rows) < max_rows and time.monotonic() - self._flushed < max_age_s:
                return []
            return self._take()

    def take(self) -> list[dict]:
        """Every waiting row (the buffer is emptied)."""
        with self._lock:
            return self._take()

    def _take(self) -> list[dict]:
        rows, self._rows = self._rows, []
        self._flushed = time.monotonic()
        return rows


def _buffer() -> FixBuffer:
    return current_app.extensions.setdefault("battlemap_fix_buffer", FixBuffer())


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def on_duty(ts_ms: int, config) -> bool:
    """Is a fix taken at ``ts_ms`` (epoch ms) within ``FIX_STORE_HOURS`` (local ``[start, end)`` hours)?"""
    hours = config.get("FIX_STORE_HOURS")
    if hours is None:
        return True
    try:
        hour = datetime.fromtimestamp(ts_ms / 1000, _zone(config["TIMEZONE"])).hour
    except (OverflowError, OSError, ValueError):
        return False
    start, end = hours
    return start <= hour < end if start <= end else (hour >= start or hour < end)


def _keep(rep_id: int, lat: float, lon: float, accuracy_m: float | None, ts_ms: int) -> list[dict]:
    config = current_app.config
    if not on_duty(ts_ms, config):
        return []
    row = {"rep_id": rep_id, "ts": ts_ms, "lat": lat, "lon": lon, "accuracy_m": accuracy_m, "crs": "wgs84",
           "received_at": utcnow()}
    return _buffer().add(row, max_rows=config.get("FIX_BUFFER_MAX", 200), max_age_s=config.get("FIX_FLUSH_S", 2.0))


def _write(rows: list[dict]) -> None:
    db.session.execute(insert(RepFix), rows)


def note_track_reset(rep_id: int) -> None:
    """Keep a marker where the rep's track was reset (the laptop simulation's jump), so the replay starts a new
    session there as the live tracker did."""
    marker = {"rep_id": rep_id, "ts": int(time.time() * 1000), "lat": 0.0, "lon": 0.0, "accuracy_m": None,
              "crs": RESET, "received_at": utcnow()}
    _write(_buffer().add(marker, max_rows=1, max_age_s=0))  # every waiting row, the marker last
    db.session.commit()


def flush_fixes() -> int:
    """Write this process's waiting fixes now (a disconnect, a replay about to read them); returns how many."""
    rows = _buffer().take()
    if rows:
        _write(rows)
        db.session.commit()
    return len(rows)


def purge_fixes(*, now: datetime | None = None) -> int:
    """Reduce stored fixes received more than ``FIX_RETENTION_DAYS`` ago to visit records and delete them
    (``privacy.reduce_old_fixes``); returns how many raw rows went."""
    from app.services import privacy

    return privacy.reduce_old_fixes(now=now)
