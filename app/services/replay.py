""""Why didn't I get the popup at 10:05?": a rep's day replayed from the stored fixes (docs/replay.md).

The fixes the rep's phone sent that day (``rep_fixes``, in the order the server received them) run through
``geo.replay_fixes`` — the pure engine the live tracker uses, with the fence settings of this server — which
says for every fix whether it was accepted or dropped (and why), every enter, dwell and exit, and every enter it
held back (``suppressed``, with the reason: a return inside the cooldown, an unconfirmed jump, …). The cards
are the popups actually pushed that day. A day starts afresh (the first fix is a new session), and the places
are today's: a place moved or removed since shows where it is now.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.errors import NotFound
from app.extensions import db
from app.models import Place, Popup, RepFix, User
from app.services import locations, permissions
from app.services.geo_state import fence_settings, snapshot
from geo import Fix, replay_fixes

PLACE_EVENTS = ("enter", "dwell", "exit", "suppressed")


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day as aware datetimes [start, end)."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def replay_day(*, user: User, rep_id: int, day: date) -> dict:
    """The rep's fixes, fence events and cards of ``day`` (local date), for a manager of the rep's region.

    ``{"rep": {"id", "name"}, "date", "fixes": [{"ts", "lat", "lon", "accuracy_m", "status", "reason"?}],
    "events": [{"type", "place": {"id", "name"}, "ts", "reason"?}], "cards": [{"popup_id", "place", "at",
    "event"}]}``; ``ts`` are the phone's fix times (epoch ms), ``at`` UTC ISO times.
    """
    permissions.require_manager(user)
    rep = db.session.get(User, rep_id)
    if rep is None:
        raise NotFound(f"No user with id {rep_id}.", code="user_not_found")
    permissions.require_manager_of(user, rep.region_id)
    locations.flush_fixes()  # this process's fixes still waiting in the buffer
    start, end = _day_bounds(day)
    rows = list(db.session.scalars(
        select(RepFix).where(RepFix.rep_id == rep.id, RepFix.ts >= _ms(start), RepFix.ts < _ms(end))
        .order_by(RepFix.received_at, RepFix.id)))
    track = [(rep.id, None if r.crs == locations.RESET else
              Fix(lat=r.lat, lon=r.lon, accuracy_m=r.accuracy_m, ts_ms=r.ts)) for r in rows]
    fixes, events, place_ids = [], [], set()
    for _, fix, fence_events in replay_fixes(track, snapshot().index, fence_settings(current_app.config)):
        if fix is None:
            continue
        drop = next((e for e in fence_events if e.event == "drop"), None)
        fixes.append({"ts": fix.ts_ms, "lat": fix.lat, "lon": fix.lon, "accuracy_m": fix.accuracy_m,
                      "status": "dropped" if drop else "accepted", **({"reason": drop.reason} if drop else {})})
        for e in fence_events:
            if e.place_id is None or e.event not in PLACE_EVENTS:
                continue
            place_ids.add(e.place_id)
            events.append({"type": e.event, "place_id": e.place_id, "ts": e.ts_ms,
                           **({"reason": e.reason} if e.reason else {})})
    popups = list(db.session.scalars(
        select(Popup).where(Popup.rep_id == rep.id, Popup.created_at >= start.astimezone(UTC).replace(tzinfo=None),
                            Popup.created_at < end.astimezone(UTC).replace(tzinfo=None))
        .order_by(Popup.created_at)))
    place_ids |= {p.place_id for p in popups}
    names = dict(db.session.execute(select(Place.id, Place.name).where(Place.id.in_(place_ids))).all())

    def place(pid: int) -> dict:
        return {"id": pid, "name": names.get(pid)}

    return {
        "rep": {"id": rep.id, "name": rep.name},
        "date": day.isoformat(),
        "fixes": fixes,
        "events": [{"type": e["type"], "place": place(e["place_id"]), "ts": e["ts"],
                    **({"reason": e["reason"]} if "reason" in e else {})} for e in events],
        "cards": [{"popup_id": p.id, "place": place(p.place_id), "at": p.created_at.isoformat(timespec="seconds") + "Z",
                   "event": p.event} for p in popups],
    }
