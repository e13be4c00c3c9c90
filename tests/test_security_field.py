"""/field against bad clocks and bad clients: fix timestamps judged against the server clock, no fix that can
poison a rep's state, a poisoned state that heals, and oversized or unreadable events answered with an error ack
on a connection that stays up — with the test client and with a real socket client (docs/security.md)."""

import contextlib
import shutil
import sqlite3
import time

import pytest
import requests
import socketio as sio_client

from app.extensions import db
from app.models import RepFenceState, User
from app.services import geo_state
from tests.conftest import DEMO_PASSWORD
from tests.servers import running_server
from tests.test_field import fix, outside, popups, send

MIN = 60_000


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def config_overrides():
    """The clock rules of every real server (TestConfig switches them off for synthetic timelines)."""
    return {"FIX_MAX_AHEAD_S": 300, "FIX_MAX_BEHIND_S": 24 * 3600}


@pytest.fixture
def hospital(app):
    from tests.conftest import place_by_category

    return place_by_category(app, "tier3_hospital")


def rep_id(app, email="rep@demo.battlemap") -> int:
    with app.app_context():
        return db.session.query(User.id).filter_by(email=email).scalar()


@pytest.mark.parametrize("ts", [-1, 10**30, 2**63, 1e300, 4_200_000_000_000, "0001-01-01T00:00:00+14:00",
                                "9999-12-31T23:59:59-14:00", "1969-12-31T23:59:59Z"])
def test_timestamps_out_of_bounds_are_refused_and_poison_nothing(field, hospital, ts):
    """`ts: -1` and `ts: 10**30` were accepted; after one, every later fix was dropped as stale (issue 11)."""
    sock = field()
    ack = send(sock, fix(hospital.lat, hospital.lon, ts))
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_values" and "ts" in ack["error"]["fields"]
    assert send(sock, fix(hospital.lat, hospital.lon, now_ms())) == {"ok": True, "popups": 1}
    assert [p["place"]["id"] for p in popups(sock)] == [hospital.id]


def test_fixes_too_far_ahead_or_behind_the_server_clock_are_dropped_with_a_reason(field, hospital, app):
    sock = field()
    assert send(sock, fix(hospital.lat, hospital.lon, now_ms() + 10 * MIN)) == \
        {"ok": True, "popups": 0, "dropped": "future_timestamp"}
    assert send(sock, fix(hospital.lat, hospital.lon, now_ms() - 25 * 60 * MIN)) == \
        {"ok": True, "popups": 0, "dropped": "stale"}
    assert popups(sock) == []
    assert send(sock, fix(hospital.lat, hospital.lon, now_ms() + 4 * MIN))["popups"] == 1, "within 5 minutes ahead"
    with app.app_context():
        assert geo_state.tracker().last_ts(rep_id(app)) is not None


def test_after_a_bad_fix_every_later_fix_still_works_also_after_reconnecting(field, hospital, app):
    """A phone with its clock a day ahead sends one fix; the rep's next fixes, on this and a new connection,
    must still bring the card."""
    sock = field()
    assert send(sock, fix(hospital.lat, hospital.lon, now_ms() + 24 * 60 * MIN))["dropped"] == "future_timestamp"
    away = outside(app, hospital)
    assert send(sock, fix(*away, now_ms() - 10 * MIN))["ok"]
    sock.disconnect("/field")
    again = field()
    assert send(again, fix(hospital.lat, hospital.lon, now_ms()))["popups"] == 1


def test_a_saved_state_dated_in_the_future_is_ignored_and_overwritten(field, hospital, app):
    """A state saved before this fix existed (a clock gone wrong) must not drop the rep's fixes for ever."""
    rid = rep_id(app)
    future = now_ms() + 365 * 24 * 60 * MIN
    state = {"version": 1, "last": {"ts": future, "lat": hospital.lat, "lon": hospital.lon, "acc": 10.0},
             "places": {str(hospital.id): {"since": future, "dwelled": False}}, "cooldown": {str(hospital.id): future},
             "zones": [], "jump": None, "pending": [], "filter": None}
    with app.app_context():
        db.session.merge(RepFenceState(rep_id=rid, last_fix_ts=future, state=state))
        db.session.commit()
    sock = field()
    assert send(sock, fix(hospital.lat, hospital.lon, now_ms())) == {"ok": True, "popups": 1}
    sock.disconnect("/field")
    with app.app_context():
        saved = db.session.get(RepFenceState, rid)
        assert saved.last_fix_ts < future, "the poisoned row was replaced by the real state"


def test_a_poisoned_state_in_memory_heals_at_the_next_fix(field, hospital, app):
    sock = field()
    rid = rep_id(app)
    with app.app_context():
        geo_state.tracker().import_state(rid, {"version": 1, "last": {"ts": 10**15, "lat": 31.0, "lon": 121.0,
                                                                      "acc": 5.0}})
    assert send(sock, fix(hospital.lat, hospital.lon, now_ms()))["popups"] == 1


def test_saving_an_impossible_state_never_raises(app):
    """Saving a state whose last fix is 10**30 raised OverflowError; now the state is forgotten instead."""
    rid = rep_id(app)
    with app.app_context():
        geo_state.tracker().import_state(rid, {"version": 1, "last": {"ts": 10**30, "lat": 31.0, "lon": 121.0,
                                                                      "acc": 5.0}})
        geo_state.save_rep_state(rid)
        geo_state.mark_changed(rid)
        geo_state.flush_states()
        assert geo_state.tracker().last_ts(rid) is None
        assert db.session.get(RepFenceState, rid) is None


def test_fence_state_is_saved_while_connected_not_only_at_disconnect(field, hospital, app):
    """The batch is written within FENCE_STATE_FLUSH_S of a change, with the connection still open."""
    sock = field()
    ts = now_ms()
    assert send(sock, fix(hospital.lat, hospital.lon, ts))["popups"] == 1
    rid = rep_id(app)
    deadline = time.monotonic() + 10
    saved = None
    while time.monotonic() < deadline:
        with app.app_context():
            saved = db.session.get(RepFenceState, rid)
            if saved is not None and saved.last_fix_ts == ts:
                break
        time.sleep(0.2)
    assert saved is not None and saved.last_fix_ts == ts
    assert str(hospital.id) in saved.state["places"]
    assert sock.is_connected("/field")


def test_an_oversized_event_gets_an_error_ack_on_the_test_client(field, hospital):
    sock = field()
    ack = sock.emit("location", {"lat": 31.2, "lon": 121.4, "pad": "x" * 1_100_000}, namespace="/field", callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "event_too_large"
    assert sock.is_connected("/field")
    assert send(sock, fix(hospital.lat, hospital.lon, now_ms()))["popups"] == 1


@pytest.fixture
def server(demo_template, tmp_path):
    db_path = tmp_path / "field.db"
    shutil.copy(demo_template, db_path)
    with sqlite3.connect(db_path) as conn:
        place = conn.execute("SELECT id, lat, lon FROM places WHERE category = 'tier3_hospital' ORDER BY id").fetchone()
    with running_server(db_path) as srv:
        srv["place"] = place
        yield srv


def real_client(server, token=None, **auth):
    if token is None:
        token = requests.post(f"{server['base']}/api/v1/auth/login", timeout=10,
                              json={"email": "rep@demo.battlemap", "password": DEMO_PASSWORD}).json()["token"]
    client = sio_client.Client(reconnection=False)
    refused = []
    client.on("connect_error", lambda data: refused.append(data), namespace="/field")
    client.on("popup", lambda data: None, namespace="/field")
    client.refused = refused
    with contextlib.suppress(sio_client.exceptions.ConnectionError):  # refused: ``refused`` says why
        client.connect(server["base"], namespaces=["/field"], auth={"token": token, **auth},
                       transports=["websocket"], wait_timeout=10)
    return client


def test_an_event_over_1_mb_is_answered_without_dropping_a_real_connection(server):
    """An event over 1 MB dropped the connection (issue 11): now an error ack, and the next fix works."""
    _, lat, lon = server["place"]
    client = real_client(server)
    try:
        assert client.connected
        ack = client.call("location", {"lat": lat, "lon": lon, "note": "定" * 400_000}, namespace="/field", timeout=20)
        assert ack["ok"] is False and ack["error"]["code"] == "event_too_large"
        assert {"code", "message", "fields"} <= set(ack["error"])
        deep = client.call("location", [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
                           namespace="/field", timeout=20)
        assert deep["ok"] is False and deep["error"]["code"] == "malformed_request"
        assert client.connected
        ok = client.call("location", {"lat": lat, "lon": lon, "accuracy_m": 10, "ts": now_ms()}, namespace="/field",
                         timeout=20)
        assert ok == {"ok": True, "popups": 1}
    finally:
        client.disconnect()


def test_a_refused_real_connection_gets_the_error_shape(server):
    """A refused connect's data was a Python repr string; now the error shape, for a bad and a mistyped token."""
    for token, code in (("forged", "token_invalid"), (5, "token_invalid")):
        client = real_client(server, token=token)
        try:
            assert not client.connected
            [data] = client.refused
            error = data["error"] if "error" in data else data["data"]["error"]
            assert error["code"] == code
            assert {"code", "message", "fields"} <= set(error)
        finally:
            client.disconnect()
