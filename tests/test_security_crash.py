"""Fence state survives a crash: saved as it changes (batched every FENCE_STATE_FLUSH_S, in Redis when REDIS_URL
is set, else the database), so after kill -9 a rep reconnecting to the restarted server gets no second card at
the place they were already inside (issue 11: they did)."""

import json
import shutil
import sqlite3
import time

import requests
import socketio as sio_client

from tests.conftest import DEMO_PASSWORD
from tests.servers import restartable_server
from tests.test_multiprocess import redis_url


def now_ms() -> int:
    return int(time.time() * 1000)


def connect(base: str, token: str) -> tuple[sio_client.Client, list]:
    client = sio_client.Client(reconnection=False)
    received = []
    client.on("popup", lambda data: received.append(data), namespace="/field")
    client.connect(base, namespaces=["/field"], auth={"token": token}, transports=["websocket"], wait_timeout=10)
    return client, received


def fix(lat, lon) -> dict:
    return {"lat": lat, "lon": lon, "accuracy_m": 10, "ts": now_ms()}


def wait_for(saved, ts: int, timeout_s: float = 10) -> None:
    """Until the store holds the rep's state of the fix at ``ts`` — the server is still running, nobody
    disconnected: only the batch can have written it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if saved() == ts:
            return
        time.sleep(0.1)
    raise AssertionError(f"fence state of the fix at {ts} not saved within {timeout_s} s (saw {saved()})")


def kill_restart_and_come_back(db_path, saved, **env):
    with sqlite3.connect(db_path) as conn:
        _, lat, lon = conn.execute("SELECT id, lat, lon FROM places WHERE category = 'tier3_hospital' "
                                   "ORDER BY id").fetchone()
    with restartable_server(db_path, **env) as server:
        login = requests.post(f"{server.base}/api/v1/auth/login", timeout=10,
                              json={"email": "rep@demo.battlemap", "password": DEMO_PASSWORD}).json()
        client, received = connect(server.base, login["token"])
        first = fix(lat, lon)
        assert client.call("location", first, namespace="/field", timeout=10) == {"ok": True, "popups": 1}
        wait_for(lambda: saved(login["user"]["id"]), first["ts"])
        server.kill()  # SIGKILL: no disconnect handler, no flush
        client.disconnect()

        server.start()  # same database (and Redis)
        client, received = connect(server.base, login["token"])
        try:
            again = client.call("location", fix(lat + 0.0002, lon), namespace="/field", timeout=10)
            assert again == {"ok": True, "popups": 0}, "still inside: no second card"
            time.sleep(0.3)
            assert received == []
        finally:
            client.disconnect()


def test_sigkill_then_restart_gives_no_repeated_card_with_the_database(demo_template, tmp_path):
    db_path = tmp_path / "crash.db"
    shutil.copy(demo_template, db_path)

    def saved(rep_id):
        with sqlite3.connect(db_path) as conn:
            row = conn.execute("SELECT last_fix_ts FROM rep_fence_states WHERE rep_id = ?", (rep_id,)).fetchone()
        return row[0] if row else None

    kill_restart_and_come_back(db_path, saved)


def test_sigkill_then_restart_gives_no_repeated_card_with_redis(demo_template, tmp_path):
    import redis

    url = redis_url()
    key = f"battlemap-test:{tmp_path.name}:fence:"
    store = redis.Redis.from_url(url)
    db_path = tmp_path / "crash.db"
    shutil.copy(demo_template, db_path)

    def saved(rep_id):
        ts = store.hget(f"{key}{rep_id}", "ts")
        return int(ts) if ts is not None else None

    try:
        kill_restart_and_come_back(db_path, saved, REDIS_URL=url, FENCE_STATE_KEY=key)
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("SELECT count(*) FROM rep_fence_states").fetchone() == (0,), "Redis, not the database"
        [stored] = store.keys(f"{key}*")
        assert store.ttl(stored) > 0, "a saved state expires"
        assert json.loads(store.hget(stored, "state"))["version"] == 1
    finally:
        for stored in store.keys(f"{key}*"):
            store.delete(stored)

