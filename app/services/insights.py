"""The manager's dashboard numbers: card use over time, the card funnel, and visits, cards used and wins per
district and per grid with coordinates for a heat map (docs/learning.md).

**The funnel is shown → feedback → used → outcome**, not "shown → opened → …": the PWA says when a card was
shown (a pushed popup, or ``card_shown_offline``) and what the rep thought of it (``card_feedback``), but
nothing says a card was *opened*; the answer says so (``opened_observed: false``) rather than inventing it.
A card reaches ``outcome`` when, after it was used, the same rep recorded an ``advanced`` or ``won`` outcome
naming the card, or at that place within ``OUTCOME_WINDOW_DAYS`` of the card.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Event, Grid, Place, Popup, User, utcnow
from app.services.health import local_tz, manager_scope
from learning import health as hl

OUTCOME_WINDOW_DAYS = 14
SUCCESS = ("advanced", "won")
_DISTRICT = re.compile(r"(?:省|市)([^省市区县]{1,8}?(?:区|县))")


def district_of(address: str | None) -> str | None:
    """The district (区/县) of a Chinese address: ``上海市浦东新区浦建路160号`` → ``浦东新区``; None if none."""
    found = _DISTRICT.search(address or "")
    return found[1] if found else None


def cards_shown(rep_ids: list[int], since: datetime, now: datetime) -> dict[str, tuple[int, int, datetime]]:
    """popup id → (rep, place, shown at) for cards shown from ``since`` to ``now``: pushed popups and cards shown
    offline, each card once."""
    cards: dict[str, tuple[int, int, datetime]] = {}
    for pid, rep, place, at in db.session.execute(select(Popup.id, Popup.rep_id, Popup.place_id, Popup.created_at)
                                                  .where(Popup.rep_id.in_(rep_ids), Popup.created_at >= since,
                                                         Popup.created_at <= now)):
        cards[pid] = (rep, place, at)
    for pid, rep, place, at in db.session.execute(select(Event.popup_id, Event.user_id, Event.place_id, Event.at)
                                                  .where(Event.user_id.in_(rep_ids), Event.type == "card_shown_offline",
                                                         Event.at >= since, Event.at <= now)):
        if pid and pid not in cards:
            cards[pid] = (rep, place, at)
    return cards


def insights(*, user: User, region_key: str | None = None, days: int = 28, now: datetime | None = None) -> dict:
    """Card use per day, the funnel, and activity per district and grid, for the managers of the region(s)."""
    now = now or utcnow()
    regions, _ = manager_scope(user, region_key)
    since = now - timedelta(days=days)
    tz = local_tz()
    query = select(User.id).where(User.role == "rep")
    if regions is not None:
        query = query.where(User.region_id.in_(regions))
    rep_ids = list(db.session.scalars(query))
    cards = cards_shown(rep_ids, since, now) if rep_ids else {}
    events = list(db.session.execute(
        select(Event.id, Event.user_id, Event.type, Event.at, Event.place_id, Event.popup_id, Event.data)
        .where(Event.user_id.in_(rep_ids), Event.at >= since, Event.at <= now,
               Event.type.in_(("card_feedback", "outcome", "check_in", "visit"))))) if rep_ids else []

    rated: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e.type == "card_feedback" and e.popup_id in cards:
            rated[e.popup_id].add(e.data.get("rating"))
    used = {pid for pid, ratings in rated.items() if ratings & hl.USED_RATINGS}
    converted = _converted(cards, used, [e for e in events if e.type == "outcome"])

    per_day: dict[date, list[int]] = {}
    day, last = hl.local_day(since, tz), hl.local_day(now, tz)
    while day <= last:
        per_day[day] = [0, 0, 0]
        day += timedelta(days=1)
    for pid, (_, _, at) in cards.items():
        row = per_day.setdefault(hl.local_day(at, tz), [0, 0, 0])
        row[0] += 1
        row[1] += pid in rated
        row[2] += pid in used
    funnel = [("shown", len(cards)), ("feedback", len(rated)), ("used", len(used)), ("outcome", len(converted))]

    return {"days": days, "since": since, "at": now,
            "cards_over_time": [{"day": d, "shown": s, "feedback": f, "used": u} for d, (s, f, u) in
                                sorted(per_day.items())],
            "funnel": {"opened_observed": False, "window_days": OUTCOME_WINDOW_DAYS, "steps": [
                {"step": name, "count": count, "rate": (count / funnel[i - 1][1] if i and funnel[i - 1][1] else None)}
                for i, (name, count) in enumerate(funnel)]},
            **_places(regions, cards, used, events, tz)}


def _converted(cards: dict, used: set[str], outcomes: list) -> set[str]:
    """Used cards followed by a success: an outcome naming the card, or the rep's at its place in the window."""
    window = timedelta(days=OUTCOME_WINDOW_DAYS)
    by_rep_place: dict[tuple[int, int], list] = defaultdict(list)
    out = set()
    for o in outcomes:
        if o.data.get("result") not in SUCCESS:
            continue
        if o.popup_id in used and cards[o.popup_id][0] == o.user_id:
            out.add(o.popup_id)
        elif not o.popup_id:
            by_rep_place[(o.user_id, o.place_id)].append(o.at)
    for pid in used - out:
        rep, place, at = cards[pid]
        if any(at <= t <= at + window for t in by_rep_place.get((rep, place), ())):
            out.add(pid)
    return out


def _places(regions: set[int] | None, cards: dict, used: set[str], events: list, tz) -> dict:
    query = select(Place.id, Place.lat, Place.lon, Place.address, Place.grid_id)
    if regions is not None:
        query = query.where(Place.region_id.in_(regions))
    places = {pid: (lat, lon, district_of(address), grid) for pid, lat, lon, address, grid in db.session.execute(query)}
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # visits, cards used, wins
    by_rep: dict[int, list[hl.Record]] = defaultdict(list)
    for e in events:
        if e.type in ("check_in", "visit"):
            by_rep[e.user_id].append(hl.Record(e.id, e.type, e.at, e.place_id, e.popup_id, e.data or {}))
        elif e.type == "outcome" and e.data.get("result") == "won" and e.place_id in places:
            counts[e.place_id][2] += 1
    for records in by_rep.values():
        for v in hl.visits(records, tz):
            if v.place_id in places:
                counts[v.place_id][0] += 1
    for pid in used:
        place = cards[pid][1]
        if place in places:
            counts[place][1] += 1

    def group(key_of) -> dict:
        out: dict = {}
        for pid, (lat, lon, district, grid) in places.items():
            key = key_of(district, grid)
            if key is None:
                continue
            row = out.setdefault(key, {"lats": [], "lons": [], "places": 0, "visits": 0, "cards_used": 0, "wins": 0})
            row["lats"].append(lat)
            row["lons"].append(lon)
            row["places"] += 1
            for name, n in zip(("visits", "cards_used", "wins"), counts.get(pid, (0, 0, 0)), strict=True):
                row[name] += n
        return {k: {"lat": sum(r["lats"]) / len(r["lats"]), "lon": sum(r["lons"]) / len(r["lons"]),
                    **{n: r[n] for n in ("places", "visits", "cards_used", "wins")}} for k, r in out.items()}

    grids = {g.id: g for g in db.session.scalars(select(Grid).where(Grid.id.in_(
        {grid for *_, grid in places.values() if grid})))}
    return {
        "districts": [{"district": k, **v} for k, v in sorted(group(lambda d, g: d).items())],
        "grids": [{"key": grids[k].key, "name": grids[k].name, **v}
                  for k, v in sorted(group(lambda d, g: g).items(), key=lambda kv: grids[kv[0]].key)],
        "points": [{"place_id": pid, "lat": places[pid][0], "lon": places[pid][1], "district": places[pid][2],
                    "visits": c[0], "cards_used": c[1], "wins": c[2]} for pid, c in sorted(counts.items())
                   if pid in places],
    }
