"""Field events from the outbox: stored once per client id (by the database), validated one by one, listed,
and a card shown offline is not pushed again. The storage tests run on SQLite and on PostgreSQL
(``TEST_POSTGRES_URL``; skipped without it, a failure in CI)."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Event, User
from tests.conftest import DEMO_PASSWORD, place_by_category
from tests.test_auth import assert_error_shape, names_field
from tests.test_field import MIN, T0, fix, outside, popups, send

URL = "/api/v1/events"


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds") + "Z"


def event(type_: str, place_id: int | None = 1, **fields) -> dict:
    """A valid event of ``type_`` unless ``fields`` say otherwise."""
    data = {
        "card_feedback": {"rating": "helpful", "component": "procurement-led-hospitals/talk_tracks/x"},
        "check_in": {"method": "tap", "lat": 31.2, "lon": 121.4, "accuracy_m": 12},
        "visit": {"note": "和设备科主任确认了论证时间", "next_step": "下周二送参数表"},
        "outcome": {"result": "advanced"},
        "plan": {"date": "2026-11-25", "stops": [{"place_id": place_id or 1, "components": [], "order": 1}]},
        "card_shown_offline": {"distance_m": 120.5, "event": "enter_place"},
    }[type_]
    out = {"id": str(uuid.uuid4()), "type": type_, "at": iso(datetime.now(UTC).replace(tzinfo=None)),
           "place_id": place_id, "data": data}
    if type_ in ("card_feedback", "card_shown_offline"):
        out["popup_id"] = str(uuid.uuid4())
    out.update(fields)
    return out


class Outbox:
    """The events API as one user."""

    def __init__(self, client, email: str = "rep@demo.battlemap"):
        self.client = client
        login = client.post("/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD})
        assert login.status_code == 200, login.get_json()
        self.headers = {"Authorization": f"Bearer {login.get_json()['token']}"}

    def send(self, events) -> list[dict]:
        response = self.client.post(URL, headers=self.headers, json={"events": events})
        assert response.status_code == 200, response.get_json()
        results = response.get_json()["results"]
        assert [r["id"] for r in results] == [e.get("id") for e in events], "results come in request order"
        return results

    def list(self, **query):
        return self.client.get(URL, headers=self.headers, query_string={"mine": "true", **query})


def statuses(results) -> list[str]:
    return [r["status"] for r in results]


def stored(app, ids) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event).where(Event.id.in_(list(ids))))


# --- one app per database: the demo on SQLite (per test) and on PostgreSQL (per module) -----------------

@pytest.fixture(params=["sqlite", "postgresql"])
def store(request):
    """(app, client) on each database."""
    app = request.getfixturevalue("app") if request.param == "sqlite" else request.getfixturevalue("pg_app")
    return app, app.test_client()


def test_each_event_gets_its_own_status(store):
    """Does one bad event get rejected with fields while the good ones in the batch go in?"""
    app, client = store
    outbox = Outbox(client)
    good = [event(t) for t in ("card_feedback", "check_in", "visit", "outcome", "plan", "card_shown_offline")]
    bad = event("card_feedback", data={"rating": "great"})
    batch = [*good[:3], bad, *good[3:]]
    results = outbox.send(batch)
    assert statuses(results) == ["accepted"] * 3 + ["rejected"] + ["accepted"] * 3
    error = results[3]["error"]
    assert error["code"] == "invalid_values" and "data.rating" in error["fields"]
    assert stored(app, [e["id"] for e in good]) == 6 and stored(app, [bad["id"]]) == 0


def test_replaying_a_batch_changes_nothing(store):
    """The outbox replays after a lost answer: every stored id is a duplicate and no row is added."""
    app, client = store
    outbox = Outbox(client)
    batch = [event("visit") for _ in range(20)]
    assert statuses(outbox.send(batch[:12])) == ["accepted"] * 12
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Event))
    assert statuses(outbox.send(batch)) == ["duplicate"] * 12 + ["accepted"] * 8
    assert statuses(outbox.send(batch)) == ["duplicate"] * 20
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == before + 8
    assert stored(app, [e["id"] for e in batch]) == 20


def test_the_same_id_twice_in_one_batch_is_stored_once(store):
    app, client = store
    first = event("outcome")
    results = Outbox(client).send([first, {**first, "data": {"result": "won"}}])
    assert statuses(results) == ["accepted", "duplicate"]
    with app.app_context():
        assert db.session.get(Event, first["id"]).data["result"] == "advanced"


def test_another_users_id_is_a_conflict(store):
    """Can rep2 overwrite or claim rep's event by reusing its id? (No: rejected, id_conflict.)"""
    app, client = store
    mine = event("visit")
    assert statuses(Outbox(client).send([mine])) == ["accepted"]
    [result] = Outbox(client, "rep2@demo.battlemap").send([{**mine, "data": {"note": "不是我的"}}])
    assert result["status"] == "rejected" and result["error"]["code"] == "id_conflict"
    assert set(result["error"]) == {"code", "message", "fields"}
    with app.app_context():
        row = db.session.get(Event, mine["id"])
        owner = db.session.scalar(select(User.email).where(User.id == row.user_id))
    assert owner == "rep@demo.battlemap" and row.data["note"] == mine["data"]["note"]


def test_ids_are_stored_in_canonical_form(store):
    """An upper-case UUID and its lower-case form are the same event; the answer echoes the id as sent."""
    app, client = store
    upper = event("visit")
    upper["id"] = upper["id"].upper()
    outbox = Outbox(client)
    [first] = outbox.send([upper])
    assert first == {"id": upper["id"], "status": "accepted"}
    [again] = outbox.send([{**upper, "id": upper["id"].lower()}])
    assert again["status"] == "duplicate"
    with app.app_context():
        assert db.session.get(Event, upper["id"].lower()) is not None


def test_times_are_stored_in_utc(store):
    app, client = store
    shanghai = event("visit", at="2026-11-24T09:30:00+08:00")
    naive = event("visit", at="2026-11-24T01:30:00")
    Outbox(client).send([shanghai, naive])
    with app.app_context():
        assert db.session.get(Event, shanghai["id"]).at == datetime(2026, 11, 24, 1, 30)
        assert db.session.get(Event, naive["id"]).at == datetime(2026, 11, 24, 1, 30)


@pytest.mark.parametrize(("changes", "code", "path"), [
    ({"id": "not-a-uuid"}, "invalid_values", ["id"]),
    ({"id": None}, "malformed_request", ["id"]),
    ({"type": "teleport"}, "invalid_values", ["type"]),
    ({"at": "yesterday"}, "malformed_request", ["at"]),  # not readable as a date-time (docs/api.md)
    ({"at": None}, "malformed_request", ["at"]),
    ({"place_id": "one"}, "malformed_request", ["place_id"]),
    ({"surprise": 1}, "malformed_request", ["surprise"]),
    ({"type": "card_feedback", "data": {"rating": "dismissed"}}, "invalid_values", ["data", "reason"]),
    ({"type": "card_feedback", "data": {"rating": "dismissed", "reason": "x" * 501}}, "invalid_values",
     ["data", "reason"]),
    ({"type": "card_feedback", "data": {}}, "malformed_request", ["data", "rating"]),
    ({"type": "card_feedback", "popup_id": None}, "malformed_request", ["popup_id"]),
    ({"type": "card_feedback", "place_id": None}, "malformed_request", ["place_id"]),
    ({"type": "check_in", "data": {"method": "teleport"}}, "invalid_values", ["data", "method"]),
    ({"type": "check_in", "data": {"method": "tap", "lat": 91}}, "invalid_values", ["data", "lat"]),
    ({"type": "visit", "data": {"note": "x" * 4001}}, "invalid_values", ["data", "note"]),
    ({"type": "visit", "data": {"note": "ok", "next_step": "x" * 501}}, "invalid_values", ["data", "next_step"]),
    ({"type": "visit", "place_id": None}, "malformed_request", ["place_id"]),
    ({"type": "outcome", "data": {"result": "maybe"}}, "invalid_values", ["data", "result"]),
    ({"type": "plan", "data": {"date": "25/11/2026", "stops": []}}, "malformed_request", ["data", "date"]),
    ({"type": "plan", "data": {"date": "2026-11-25", "stops": [{"place_id": 1}] * 51}}, "invalid_values",
     ["data", "stops"]),
    ({"type": "plan", "data": {"date": "2026-11-25", "stops": [{"components": []}]}}, "malformed_request",
     ["data", "stops"]),
    ({"type": "card_shown_offline", "data": {"event": "exit"}}, "invalid_values", ["data", "event"]),
    ({"type": "card_shown_offline", "data": {"distance_m": "near"}}, "malformed_request", ["data", "distance_m"]),
])
def test_per_type_validation_names_the_field(client, changes, code, path):
    """Is each bad event rejected alone, with the code and the field it broke, while its neighbour goes in?"""
    kind = changes.get("type", "visit")
    if kind == "teleport":
        kind = "visit"
    bad = {**event(kind), **changes}
    good = event("visit")
    bad_result, good_result = Outbox(client).send([bad, good])
    assert good_result["status"] == "accepted"
    assert bad_result["status"] == "rejected"
    assert bad_result["error"]["code"] == code, bad_result
    assert bad_result["error"]["message"]
    assert names_field(bad_result["error"], ".".join(path)), bad_result


def test_unknown_place_is_rejected(client):
    results = Outbox(client).send([event("visit", place_id=999_999), event("plan", place_id=None, data={
        "date": "2026-11-25", "stops": [{"place_id": 1}, {"place_id": 999_998}]})])
    assert statuses(results) == ["rejected", "rejected"]
    assert {r["error"]["code"] for r in results} == {"place_not_found"}
    assert results[1]["error"]["fields"]["data.stops[1].place_id"]


@pytest.mark.parametrize(("body", "status"), [
    (None, 400),
    ({"events": "all of them"}, 400),
    ({"events": ["not an object"]}, 400),
    ({"evnts": []}, 400),
    ({"events": [event("visit") for _ in range(501)]}, 422),
])
def test_a_body_that_is_not_a_batch_is_an_error(client, body, status):
    headers = Outbox(client).headers
    response = client.post(URL, headers=headers, json=body) if body is not None else \
        client.post(URL, headers=headers, data="{", content_type="application/json")
    assert_error_shape(response, status)


def test_events_need_a_token(client):
    assert_error_shape(client.post(URL, json={"events": [event("visit")]}), 401)
    assert_error_shape(client.get(URL, query_string={"mine": "true"}), 401)


def test_listing_filters_by_type_and_since(app, client):
    """The caller's events, newest received first; type and since (by received_at) narrow it; limit caps it."""
    outbox = Outbox(client)
    visits = [event("visit") for _ in range(3)]
    outbox.send(visits)
    Outbox(client, "rep2@demo.battlemap").send([event("visit")])
    time.sleep(0.01)
    later = datetime.now(UTC).replace(tzinfo=None)
    time.sleep(0.01)
    outcome = event("outcome")
    outbox.send([outcome])

    items = outbox.list().get_json()["items"]
    assert items[0]["id"] == outcome["id"]
    assert {i["id"] for i in items} == {outcome["id"], *(v["id"] for v in visits)}, "only mine"
    first = items[0]
    assert set(first) == {"id", "type", "at", "place_id", "popup_id", "data", "received_at"}
    assert first["type"] == "outcome" and first["data"] == {"result": "advanced"} and first["place_id"] == 1
    assert first["received_at"].endswith("Z")
    assert {i["id"] for i in outbox.list(type="visit").get_json()["items"]} == {v["id"] for v in visits}
    assert [i["id"] for i in outbox.list(since=iso(later)).get_json()["items"]] == [outcome["id"]]
    assert outbox.list(since=iso(later), type="visit").get_json()["items"] == []
    assert len(outbox.list(limit=2).get_json()["items"]) == 2


@pytest.mark.parametrize(("query", "status"), [
    ({"mine": "false"}, 422),
    ({"type": "teleport"}, 422),
    ({"limit": 1001}, 422),
    ({"limit": 0}, 422),
    ({"since": "last week"}, 400),
])
def test_bad_listing_query(client, query, status):
    outbox = Outbox(client)
    assert_error_shape(client.get(URL, headers=outbox.headers, query_string={"mine": "true", **query}), status)


# --- no double card after offline ----------------------------------------------------------------------

def shown_offline(place_id: int, ts_ms: int) -> dict:
    at = datetime.fromtimestamp(ts_ms / 1000, UTC).replace(tzinfo=None)
    return event("card_shown_offline", place_id=place_id, at=iso(at))


def test_a_card_shown_offline_is_not_pushed_again(app, client, field):
    """The PWA showed the hospital's card offline; back online, entering the fence pushes no second card."""
    hospital = place_by_category(app, "tier3_hospital")
    other = place_by_category(app, "community_grocery")
    Outbox(client).send([shown_offline(hospital.id, T0 - 5 * MIN)])
    sock = field()
    assert send(sock, fix(hospital.lat, hospital.lon, T0)) == {"ok": True, "popups": 0}
    assert popups(sock) == []
    send(sock, fix(*outside(app, hospital), T0 + MIN))
    send(sock, fix(other.lat, other.lon, T0 + 30 * MIN))
    assert [p["place"]["id"] for p in popups(sock)] == [other.id], "other places still push"


def test_without_an_offline_card_the_popup_comes(app, client, field):
    hospital = place_by_category(app, "tier3_hospital")
    Outbox(client).send([event("visit", place_id=hospital.id)])  # another event type does not count
    Outbox(client, "rep2@demo.battlemap").send([shown_offline(hospital.id, T0 - MIN)])  # another rep's card
    sock = field()
    send(sock, fix(hospital.lat, hospital.lon, T0))
    assert [p["place"]["id"] for p in popups(sock)] == [hospital.id]


def test_an_offline_card_older_than_the_cooldown_does_not_hold_back_the_popup(app, client, field):
    hospital = place_by_category(app, "tier3_hospital")
    cooldown_ms = app.config["FENCE_COOLDOWN_S"] * 1000
    Outbox(client).send([shown_offline(hospital.id, T0 - cooldown_ms - MIN)])
    sock = field()
    send(sock, fix(hospital.lat, hospital.lon, T0))
    assert [p["place"]["id"] for p in popups(sock)] == [hospital.id]


def _rep_with_an_offline_card(place_id: int) -> tuple[User, datetime]:
    """The demo rep, with one card of ``place_id`` shown offline at 09:00 on 24 Nov 2026 (stored directly)."""
    rep = db.session.scalar(select(User).where(User.email == "rep@demo.battlemap"))
    at = datetime(2026, 11, 24, 9, 0)
    db.session.add(Event(id=str(uuid.uuid4()), user_id=rep.id, type="card_shown_offline", at=at, place_id=place_id,
                         popup_id="p", data={}))
    db.session.commit()
    return rep, at


def test_a_connection_reads_its_offline_cards_once(app):
    """Do the enters of one connection ask the database once, however many places the rep walks into?"""
    from sqlalchemy import event as sa_event

    from app.services.events import OfflineCards

    with app.app_context():
        rep, at = _rep_with_an_offline_card(place_id=1)
        statements = []
        listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
        sa_event.listen(db.engine, "before_cursor_execute", listener)
        try:
            cards = OfflineCards(rep.id, 1800)
            answers = [cards.shown(place, at + timedelta(minutes=1)) for place in (1, 2, 3, 1)]
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", listener)
        assert answers == [True, False, False, True]
        assert len([s for s in statements if "FROM events" in s]) == 1


def test_offline_card_window_edges(app):
    """Inside the cooldown before the fix (and a minute after, for clock jitter) counts; outside does not."""
    from app.services.events import OFFLINE_CARD_SLACK_S, OfflineCards

    with app.app_context():
        rep, at = _rep_with_an_offline_card(place_id=1)
        window = 1800

        def card_shown_offline(*, rep_id, place_id, at, within_s):
            return OfflineCards(rep_id, within_s).shown(place_id, at)  # a fresh connection's view each time

        assert card_shown_offline(rep_id=rep.id, place_id=1, at=at, within_s=window)
        assert card_shown_offline(rep_id=rep.id, place_id=1, at=at + timedelta(seconds=window), within_s=window)
        assert not card_shown_offline(rep_id=rep.id, place_id=1, at=at + timedelta(seconds=window + 1),
                                      within_s=window)
        assert card_shown_offline(rep_id=rep.id, place_id=1, at=at - timedelta(seconds=OFFLINE_CARD_SLACK_S),
                                  within_s=window)
        assert not card_shown_offline(rep_id=rep.id, place_id=1, at=at - timedelta(seconds=OFFLINE_CARD_SLACK_S + 1),
                                      within_s=window)
        assert not card_shown_offline(rep_id=rep.id, place_id=2, at=at, within_s=window)
