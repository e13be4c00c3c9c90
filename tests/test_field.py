"""The /field socket: location in, popup out (the core-loop contract)."""

import time

import pytest

from app import create_app
from app.extensions import db, socketio
from app.models import ContentPack, Popup, RepFenceState, User
from app.services import geo_state
from app.services.geo_state import snapshot
from app.services.locations import record_location
from app.services.scenarios import rep_facts
from tests.conftest import make_config, place_by_category

POPUP_FIELDS = {"id", "place", "zone", "distance_m", "context", "talk_tracks", "counters", "why", "pack",
                "created_at"}
T0 = int(time.time() * 1000) - 3_600_000
MIN = 60_000


def fix(lat, lon, ts, accuracy=15.0):
    return {"lat": lat, "lon": lon, "accuracy_m": accuracy, "ts": ts}


def popups(sock):
    return [m["args"][0] for m in sock.get_received("/field") if m["name"] == "popup"]


def send(sock, payload):
    return sock.emit("location", payload, namespace="/field", callback=True)


def outside(app, place, km: float = 3.0):
    """A point north of ``place`` that lies in no fence."""
    with app.app_context():
        index = snapshot().index
        lat = place.lat + km / 111.0
        while index.fences_at(lat, place.lon, extra_m=200):
            lat += 0.005
    return lat, place.lon


@pytest.fixture
def hospital(app):
    return place_by_category(app, "tier3_hospital")


def test_connect_without_token_is_refused(app):
    """Is a socket without a token refused?"""
    sock = socketio.test_client(app, namespace="/field")
    assert not sock.is_connected("/field")


def test_connect_with_bad_token_is_refused(app):
    sock = socketio.test_client(app, namespace="/field", auth={"token": "forged"})
    assert not sock.is_connected("/field")


def test_entering_a_fence_pushes_an_explained_popup(field, hospital):
    """Does a rep at the hospital door get its card — context, talk-tracks, counters and why?"""
    sock = field()
    ack = send(sock, fix(hospital.lat + 0.001, hospital.lon, T0))
    assert ack == {"ok": True, "popups": 1}
    [popup] = popups(sock)
    assert POPUP_FIELDS <= set(popup)
    assert popup["place"]["id"] == hospital.id
    assert {"id", "name", "category", "lat", "lon"} <= set(popup["place"])
    assert 100 < popup["distance_m"] < 130
    assert popup["zone"] and {"id", "type", "name"} <= set(popup["zone"])
    assert len(popup["context"]["procurement_notices"]) >= 3
    assert popup["context"]["contacts"]
    assert popup["talk_tracks"], "the hospital's zone type has a pack"
    for track in popup["talk_tracks"]:
        assert {"id", "title", "stage", "lines", "objections", "variant"} <= set(track)
        assert len(track["objections"]) >= 3
        assert all({"objection", "response"} == set(o) for o in track["objections"])
    assert popup["counters"]
    assert popup["pack"]["id"] and popup["pack"]["version"] >= 1
    rules = {w["rule"] for w in popup["why"]}
    assert {"fence_entered", "zone_type", "skill_level"} <= rules
    assert all(isinstance(w["facts"], dict) and w["detail"] for w in popup["why"])
    fence = popup["why"][0]
    assert fence["facts"] == {"place": hospital.name, "distance_m": round(popup["distance_m"]),
                              "radius_m": round(hospital.radius_m)}
    assert fence["detail"] == (f"进入「{hospital.name}」电子围栏（距离 {round(popup['distance_m'])} 米，"
                               f"半径 {round(hospital.radius_m)} 米）")
    zone = next(w for w in popup["why"] if w["rule"] == "zone_type")
    assert zone["facts"] == {"zone": popup["zone"]["name"], "zone_type": popup["zone"]["type"],
                             "pack": popup["pack"]["name"]}


def english_why(popup):
    return {w["rule"]: w["detail"] for w in popup["why"]}


def test_the_socket_speaks_the_locale_the_phone_asks_for(app, client, auth, hospital):
    """Does auth {"locale": "en"} get English reasons, and does the stored locale apply without it?"""
    sock = socketio.test_client(app, namespace="/field", auth={"token": auth.token(), "locale": "en"})
    send(sock, fix(hospital.lat, hospital.lon, T0))
    [popup] = popups(sock)
    details = english_why(popup)
    assert details["fence_entered"].startswith(f"Entered the geofence of “{hospital.name}”")
    assert details["skill_level"].startswith("Your level is intermediate")
    sock.disconnect("/field")

    token = auth.token("rep2@demo.battlemap")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.patch("/api/v1/auth/me", json={"locale": "en"}, headers=headers).status_code == 200
    for extra in ({}, {"locale": "klingon"}):  # absent or unsupported: the user's stored locale
        sock = socketio.test_client(app, namespace="/field", auth={"token": token, **extra})
        assert sock.is_connected("/field")
        send(sock, fix(hospital.lat, hospital.lon, T0 + (0 if not extra else 40 * MIN)))
        send(sock, fix(hospital.lat + 0.05, hospital.lon, T0 + (20 if not extra else 60) * MIN))
        [popup] = popups(sock)
        assert english_why(popup)["fence_entered"].startswith("Entered the geofence")
        sock.disconnect("/field")


def test_popup_is_composed_from_the_zone_types_pack(field, hospital, app):
    """Is the pack the one published for the place's zone type?"""
    sock = field()
    send(sock, fix(hospital.lat, hospital.lon, T0))
    [popup] = popups(sock)
    with app.app_context():
        pack = db.session.query(ContentPack).filter_by(key=popup["pack"]["id"]).one()
        body = pack.published_version.body
    assert popup["zone"]["type"] in body["zone_types"]
    assert {t["id"] for t in popup["talk_tracks"]} <= {t["id"] for t in body["talk_tracks"]}


def test_staying_inside_does_not_repeat(field, hospital):
    sock = field()
    send(sock, fix(hospital.lat, hospital.lon, T0))
    assert len(popups(sock)) == 1
    for i in range(1, 5):
        assert send(sock, fix(hospital.lat + 0.0002 * i, hospital.lon, T0 + i * MIN))["ok"]
    assert popups(sock) == []


def test_return_after_cooldown_repeats_but_not_before(field, hospital, app):
    """Leaving and coming back repeats the popup only once the cooldown has passed."""
    far = outside(app, hospital)
    sock = field()
    send(sock, fix(hospital.lat, hospital.lon, T0))
    assert len(popups(sock)) == 1
    send(sock, fix(*far, T0 + 10 * MIN))
    send(sock, fix(hospital.lat, hospital.lon, T0 + 20 * MIN))
    assert popups(sock) == [], "back within the 30-minute cooldown"
    send(sock, fix(*far, T0 + 30 * MIN))
    send(sock, fix(hospital.lat, hospital.lon, T0 + 40 * MIN))
    assert [p["place"]["id"] for p in popups(sock)] == [hospital.id]


def test_popup_goes_to_that_rep_only(field, hospital):
    mine, other = field("rep@demo.battlemap"), field("rep2@demo.battlemap")
    send(mine, fix(hospital.lat, hospital.lon, T0))
    assert len(popups(mine)) == 1
    assert popups(other) == []


def test_state_survives_a_reconnect(field, hospital):
    """A rep whose connection blips while inside does not get the same card again."""
    first = field()
    send(first, fix(hospital.lat, hospital.lon, T0))
    assert len(popups(first)) == 1
    first.disconnect("/field")
    second = field()
    send(second, fix(hospital.lat, hospital.lon, T0 + MIN))
    assert popups(second) == []


def test_iso_timestamp_is_accepted(field, hospital):
    from datetime import UTC, datetime

    sock = field()
    ts = datetime.fromtimestamp(T0 / 1000, UTC).isoformat().replace("+00:00", "Z")
    assert send(sock, fix(hospital.lat, hospital.lon, ts))["ok"]
    assert len(popups(sock)) == 1


@pytest.mark.parametrize(
    ("payload", "status_code", "field_name"),
    [
        ({"lon": 121.4, "ts": T0}, "malformed_request", "lat"),
        ({"lat": "north", "lon": 121.4, "ts": T0}, "malformed_request", "lat"),
        ({"lat": 31.2, "lon": 121.4, "ts": "yesterday"}, "malformed_request", "ts"),
        ({"lat": 123.0, "lon": 121.4, "ts": T0}, "invalid_values", "lat"),
        ({"lat": 31.2, "lon": 121.4, "accuracy_m": -3, "ts": T0}, "invalid_values", "accuracy_m"),
    ],
)
def test_bad_location_gets_error_ack_and_keeps_connection(field, hospital, payload, status_code, field_name):
    """A bad event is answered in the error shape; the connection stays and the next good fix works."""
    sock = field()
    ack = send(sock, payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == status_code
    assert field_name in ack["error"]["fields"]
    assert sock.is_connected("/field")
    assert send(sock, fix(hospital.lat, hospital.lon, T0))["ok"]
    assert len(popups(sock)) == 1


@pytest.mark.parametrize("payload", [None, "31.2,121.4", [31.2, 121.4], 42])
def test_non_object_location_is_malformed(field, payload):
    sock = field()
    ack = send(sock, payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "malformed_request"
    assert sock.is_connected("/field")


def test_out_of_order_fix_is_dropped_and_said(field, hospital, app):
    far = outside(app, hospital)
    sock = field()
    send(sock, fix(*far, T0 + 10 * MIN))
    ack = send(sock, fix(hospital.lat, hospital.lon, T0))
    assert ack["ok"] is True
    assert ack.get("dropped")
    assert popups(sock) == []


def test_junior_never_sees_senior_only_tracks(field, hospital, app):
    """Are talk-tracks chosen by the rep's skill level?"""
    junior, senior = field("rep2@demo.battlemap"), field("rep3@demo.battlemap")
    send(junior, fix(hospital.lat, hospital.lon, T0))
    send(senior, fix(hospital.lat, hospital.lon, T0))
    [jp], [sp] = popups(junior), popups(senior)
    with app.app_context():
        body = db.session.query(ContentPack).filter_by(key=jp["pack"]["id"]).one().published_version.body
    levels = {t["id"]: t.get("skill_levels") for t in body["talk_tracks"]}
    assert all(not levels[t["id"]] or "junior" in levels[t["id"]] for t in jp["talk_tracks"])
    assert all(not levels[t["id"]] or "senior" in levels[t["id"]] for t in sp["talk_tracks"])
    assert {t["id"] for t in jp["talk_tracks"]} != {t["id"] for t in sp["talk_tracks"]}


def test_popups_are_recorded(field, hospital, app):
    sock = field()
    send(sock, fix(hospital.lat, hospital.lon, T0))
    [popup] = popups(sock)
    with app.app_context():
        stored = db.session.get(Popup, popup["id"])
        assert stored is not None
        assert stored.place_id == hospital.id
        assert stored.why == [{k: v for k, v in w.items() if k != "detail"} for w in popup["why"]], \
            "the record keeps codes and facts, not sentences"
        assert all("detail" not in w for w in stored.why)
        assert stored.shown["talk_tracks"] == [t["id"] for t in popup["talk_tracks"]]
        assert stored.shown["counters"] == [c["id"] for c in popup["counters"]]
        assert stored.distance_m == popup["distance_m"]


def test_fence_state_is_saved_on_disconnect_and_carried_to_another_process(field, hospital, app, tmp_path):
    """A rep whose reconnect lands on another process gets no second card for the place they stand in."""
    sock = field()
    send(sock, fix(hospital.lat, hospital.lon, T0))
    assert len(popups(sock)) == 1
    sock.disconnect("/field")
    with app.app_context():
        rep = db.session.query(User).filter_by(email="rep@demo.battlemap").one()
        saved = db.session.get(RepFenceState, rep.id)
        assert saved is not None and saved.last_fix_ts == T0
        rep_id = rep.id

    other = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"]))
    with other.app_context():
        rep = db.session.get(User, rep_id)
        geo_state.restore_rep_state(rep_id)
        outcome = record_location(rep=rep_facts(rep), lat=hospital.lat, lon=hospital.lon, accuracy_m=10, ts_ms=T0 + MIN)
        assert outcome.popups == []
        fresh = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"]))
    with fresh.app_context():
        rep = db.session.get(User, rep_id)
        outcome = record_location(rep=rep_facts(rep), lat=hospital.lat, lon=hospital.lon, accuracy_m=10, ts_ms=T0 + MIN)
        assert len(outcome.popups) == 1, "without the saved state a new process would repeat the card"
    for each in (other, fresh):
        with each.app_context():
            db.engine.dispose()


def test_track_reset_lets_the_simulation_jump_to_a_client_and_get_its_card(field, hospital, app):
    """Does the laptop demo's jump to a client always bring the card, where a bare jump is dropped?"""
    far = outside(app, hospital, km=20)
    sock = field()
    send(sock, fix(*far, T0))
    jumped = send(sock, fix(hospital.lat, hospital.lon, T0 + 5_000))
    assert jumped["dropped"] == "impossible_speed" and popups(sock) == []
    assert sock.emit("track.reset", {}, namespace="/field", callback=True) == {"ok": True}
    assert send(sock, fix(hospital.lat, hospital.lon, T0 + 6_000))["popups"] == 1
    assert [p["place"]["id"] for p in popups(sock)] == [hospital.id]
    sock.disconnect("/field")
    with app.app_context():
        assert db.session.get(RepFenceState, 1) is not None
        assert len(geo_state.tracker()) == 1


def test_track_reset_takes_no_fields(field):
    ack = field().emit("track.reset", {"rep_id": 2}, namespace="/field", callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "malformed_request"


# ── team changes reach open connections (issue 9, docs/team.md) ─────────────────────────────

def why_of(popup, rule):
    return [w for w in popup["why"] if w["rule"] == rule]


def two_hospitals(app):
    from sqlalchemy import select

    from app.models import Place

    with app.app_context():
        places = db.session.scalars(select(Place).where(Place.category == "tier3_hospital",
                                                        Place.key.startswith("sh-")).order_by(Place.id)).all()
        first = places[0]
        second = next(p for p in places if abs(p.lat - first.lat) + abs(p.lon - first.lon) > 0.03)
        for place in (first, second):
            db.session.expunge(place)
    return first, second


def test_a_change_of_skill_level_and_tags_applies_at_the_next_fix_without_reconnecting(app, client, auth, field):
    """A manager makes the connected rep senior and tags them 院感专家: is the very next card (same connection)
    chosen for a senior with that tag — a rule on the tag fires, the why says senior?"""
    first, second = two_hospitals(app)
    manager = auth.headers("manager@demo.battlemap")
    rule = {"name": "院感专家进三甲：先讲院感合规", "region": "shanghai", "event": "enter_place", "priority": 5,
            "conditions": {"place": {"categories": ["tier3_hospital"]},
                           "rep": {"tags_any": ["院感专家"], "skill_levels": ["senior"]}},
            "show": [{"pack": "procurement-led-hospitals", "kind": "compliance_notes", "ids": ["pl-cn-two-invoice"]}]}
    assert client.post("/api/v1/rules", json=rule, headers=manager).status_code == 201
    sock = field()
    send(sock, fix(first.lat, first.lon, T0))
    [before] = popups(sock)
    assert why_of(before, "skill_level")[0]["facts"]["skill_level"] == "intermediate"
    assert not why_of(before, "trigger_rule")

    with app.app_context():
        rep_id = db.session.query(User).filter_by(email="rep@demo.battlemap").one().id
    patched = client.patch(f"/api/v1/users/{rep_id}", json={"skill_level": "senior", "tags": ["院感专家"]},
                           headers=manager)
    assert patched.status_code == 200, patched.get_json()
    sock.emit("track.reset", {}, namespace="/field", callback=True)
    assert send(sock, fix(second.lat, second.lon, T0 + 60 * MIN))["popups"] == 1
    [after] = popups(sock)
    [fired] = why_of(after, "trigger_rule")
    assert {"code": "skill_level", "skill_level": "senior"} in fired["facts"]["conditions"]
    assert {"code": "rep_tags", "tags": ["院感专家"]} in fired["facts"]["conditions"]
    assert after["compliance_notes"][0]["id"] == "pl-cn-two-invoice"


def test_a_change_made_by_another_process_applies_at_the_next_fix(app, field):
    """Another process changes the rep and bumps the shared ``users`` counter, straight in the database (this
    process's caches are not told): does this process's open connection see it at the next fix?"""
    import sqlite3

    first, second = two_hospitals(app)
    sock = field("rep2@demo.battlemap")  # junior
    send(sock, fix(first.lat, first.lon, T0))
    assert why_of(popups(sock)[0], "skill_level")[0]["facts"]["skill_level"] == "junior"
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as other_process:
        other_process.execute("UPDATE users SET skill_level = 'senior' WHERE email = 'rep2@demo.battlemap'")
        other_process.execute("INSERT INTO state_versions (name, version) VALUES ('users', 1) "
                              "ON CONFLICT (name) DO UPDATE SET version = version + 1")
    sock.emit("track.reset", {}, namespace="/field", callback=True)
    ack = send(sock, fix(second.lat, second.lon, T0 + 60 * MIN))
    assert ack["popups"] == 1, ack
    [after] = popups(sock)
    assert why_of(after, "skill_level")[0]["facts"]["skill_level"] == "senior"


def test_fixes_read_no_user_while_nothing_changed(app, field, hospital):
    """Is the rep's row read at connect only, not at every fix, while the ``users`` counter stands still?"""
    from sqlalchemy import event

    sock = field()
    statements = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        for i in range(3):
            send(sock, fix(hospital.lat + 0.02 * (i + 1), hospital.lon, T0 + i * MIN))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert not [s for s in statements if "FROM users" in s], statements


def test_a_deactivated_rep_is_disconnected_at_the_next_fix_and_refused_at_connect(app, client, auth, field, hospital):
    """Deactivated while connected: does the next fix answer user_inactive and close the socket, and is a new
    connection with the old token refused?"""
    token = auth.token()
    sock = field(token=token)
    assert send(sock, fix(hospital.lat + 0.05, hospital.lon, T0))["ok"] is True
    with app.app_context():
        rep_id = db.session.query(User).filter_by(email="rep@demo.battlemap").one().id
    client.patch(f"/api/v1/users/{rep_id}", json={"active": False}, headers=auth.headers("manager@demo.battlemap"))
    ack = send(sock, fix(hospital.lat, hospital.lon, T0 + MIN))
    assert ack["ok"] is False and ack["error"]["code"] == "user_inactive"
    assert not sock.is_connected("/field")
    again = socketio.test_client(app, namespace="/field", auth={"token": token})
    assert not again.is_connected("/field")
