"""Field events from the PWA's outbox, stored exactly once, and what the fence loop asks of them.

Exactly once is the database's job, not Python's: ``events.id`` is the client's UUID and the primary key,
and a batch is written with one ``INSERT … ON CONFLICT (id) DO NOTHING RETURNING id`` (SQLite ≥ 3.35 and
PostgreSQL). An id that comes back was stored now (``accepted``); one that does not was already there —
the caller's (``duplicate``) or someone else's (``rejected``, ``id_conflict``). The whole batch is one
transaction committed before the answer, so a crash mid-request stores all of it or none of it, and the
client, which got no answer, replays it: stored events come back ``duplicate``, the rest ``accepted``.
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.errors import AppError, NotFound
from app.extensions import db
from app.models import Event, Place, User, utcnow
from app.schemas.events import load_event

# An offline card and the fix that the phone sends on reconnect carry the phone's own clock; the event may
# be stamped a moment after the fix that triggered it, so a little of the future still counts.
OFFLINE_CARD_SLACK_S = 60


def _insert():
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(Event)
    if dialect == "sqlite":
        return sqlite.insert(Event)
    raise RuntimeError(f"events need INSERT … ON CONFLICT; dialect {dialect!r} is not supported")


def _rejected(event_id, err: AppError) -> dict:
    return {"id": event_id, "status": "rejected",
            "error": {"code": err.code, "message": err.message, "fields": err.fields}}


def record_events(*, user: User, raw_events: list[dict], now: datetime | None = None) -> list[dict]:
    """Validate and store a batch of outbox events for ``user``; one result per event, in order.

    Each result is ``{"id", "status": "accepted" | "duplicate" | "rejected", "error"?}``. Events are
    validated one by one (a bad one is rejected with the error shape's ``code``/``message``/``fields``);
    an unknown ``place_id`` is rejected with ``place_not_found``. Commits.
    """
    now = now or utcnow()
    results: list[dict | None] = [None] * len(raw_events)
    # Results echo the id as sent (the client's outbox key); rows hold its canonical lower-case form.
    sent_ids = [raw.get("id") if isinstance(raw.get("id"), str) else None for raw in raw_events]
    loaded: dict[int, dict] = {}
    for position, raw in enumerate(raw_events):
        try:
            loaded[position] = load_event(raw)
        except AppError as err:
            results[position] = _rejected(sent_ids[position], err)

    place_ids = {e["place_id"] for e in loaded.values() if e.get("place_id") is not None}
    place_ids |= {s["place_id"] for e in loaded.values() if e["type"] == "plan" for s in e["data"]["stops"]}
    known = set(db.session.scalars(select(Place.id).where(Place.id.in_(place_ids)))) if place_ids else set()

    rows, first_of = [], {}
    for position, event in loaded.items():
        missing = _unknown_places(event, known)
        if missing:
            results[position] = _rejected(sent_ids[position], NotFound(
                f"No place with id {missing[0]}.", code="place_not_found", fields=missing[1]))
            continue
        if event["id"] in first_of:
            continue  # the same id twice in one batch: one row; the later copy gets the first one's fate
        first_of[event["id"]] = position
        rows.append({"id": event["id"], "user_id": user.id, "type": event["type"], "at": event["at"],
                     "place_id": event.get("place_id"), "popup_id": event.get("popup_id"),
                     "data": event["data"], "received_at": now})

    stored: set[str] = set()
    owners: dict[str, int] = {}
    if rows:
        statement = _insert().values(rows).on_conflict_do_nothing(index_elements=["id"]).returning(Event.id)
        stored = set(db.session.scalars(statement))
        others = [r["id"] for r in rows if r["id"] not in stored]
        if others:
            owner_rows = db.session.execute(select(Event.id, Event.user_id).where(Event.id.in_(others)))
            owners = dict(owner_rows.tuples().all())
    db.session.commit()

    for position, event in loaded.items():
        if results[position] is not None:
            continue
        event_id = event["id"]
        if event_id in stored and first_of[event_id] == position:
            results[position] = {"id": sent_ids[position], "status": "accepted"}
        elif owners.get(event_id, user.id) == user.id:
            results[position] = {"id": sent_ids[position], "status": "duplicate"}
        else:
            results[position] = _rejected(sent_ids[position], AppError(
                "Another user already sent an event with this id; make a new UUID.", code="id_conflict",
                fields={"id": ["This id is taken."]}))
    return results


def _unknown_places(event: dict, known: set[int]) -> tuple[int, dict] | None:
    place_id = event.get("place_id")
    if place_id is not None and place_id not in known:
        return place_id, {"place_id": ["No such place."]}
    if event["type"] == "plan":
        bad = {str(i): {"place_id": ["No such place."]} for i, stop in enumerate(event["data"]["stops"])
               if stop["place_id"] not in known}
        if bad:
            first = event["data"]["stops"][int(next(iter(bad)))]["place_id"]
            return first, {"data": {"stops": bad}}
    return None


def list_events(*, user: User, type: str | None = None, since: datetime | None = None,
                limit: int = 200) -> list[Event]:
    """The user's stored events, newest received first; ``since`` keeps those received after it (UTC)."""
    query = select(Event).where(Event.user_id == user.id)
    if type is not None:
        query = query.where(Event.type == type)
    if since is not None:
        query = query.where(Event.received_at > since)
    return list(db.session.scalars(query.order_by(Event.received_at.desc(), Event.at.desc(), Event.id)
                                   .limit(limit)))


class OfflineCards:
    """The cards a rep's PWA showed offline lately, read at most once per socket connection.

    The PWA sends its outbox before any fix on a new connection, so the first ``enter`` of a connection can
    read every ``card_shown_offline`` of the last cooldown in one query and later enters ask memory: the popup
    path stays free of database reads (a read per enter, with 1,000 reps connected, queued socket threads for
    pooled connections and tripled the popup p99 in bench_load).
    """

    def __init__(self, rep_id: int, within_s: float):
        self.rep_id = rep_id
        self.within = timedelta(seconds=within_s)
        self._seen: dict[int, list[datetime]] | None = None

    def _load(self, around: datetime) -> dict[int, list[datetime]]:
        rows = db.session.execute(select(Event.place_id, Event.at).where(
            Event.user_id == self.rep_id, Event.type == "card_shown_offline",
            Event.at >= min(around, utcnow()) - self.within))
        seen: dict[int, list[datetime]] = {}
        for place_id, at in rows:
            seen.setdefault(place_id, []).append(at)
        return seen

    def shown(self, place_id: int, at: datetime) -> bool:
        """Was the card of ``place_id`` shown offline within the cooldown before ``at`` (a fix time, UTC)?"""
        if self._seen is None:
            self._seen = self._load(at)
        slack = timedelta(seconds=OFFLINE_CARD_SLACK_S)
        return any(at - self.within <= t <= at + slack for t in self._seen.get(place_id, ()))
