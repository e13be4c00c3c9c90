"""A rep's location fix → fence events → popups for the places entered."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app

from app.extensions import db
from app.services import events as event_service
from app.services import geo_state
from app.services.scenarios import compose_popup
from content_packs.engine import RepFacts
from geo import FenceEvent, Fix

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
    if outcome.popups:
        db.session.commit()
    return outcome


def _utc(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).replace(tzinfo=None)
