"""Who is online, across processes (issue 9): a rep connected to one server process counts as online in the
audience another process answers — real sockets, real Redis."""

import time
import uuid

import pytest
import requests
import socketio as sio_client

from tests.servers import running_server
from tests.test_multiprocess import redis_url

PACK = "procurement-led-hospitals"


@pytest.fixture
def two_servers(demo_template, tmp_path):
    """Two Battlemap processes over one database and one Redis, with a presence key of this test's own."""
    import redis

    url = redis_url()
    key = f"battlemap:presence:test:{uuid.uuid4().hex}"
    db_path = tmp_path / "shared.db"
    db_path.write_bytes(demo_template.read_bytes())
    try:
        with running_server(db_path, REDIS_URL=url, PRESENCE_KEY=key) as a, \
                running_server(db_path, REDIS_URL=url, PRESENCE_KEY=key) as b:
            yield a, b, redis.Redis.from_url(url), key
    finally:
        redis.Redis.from_url(url).delete(key)


def token(base: str, email: str) -> str:
    response = requests.post(f"{base}/api/v1/auth/login", json={"email": email, "password": "demo-password"},
                             timeout=5)
    response.raise_for_status()
    return response.json()["token"]


def connect(base: str, email: str) -> sio_client.Client:
    client = sio_client.Client()
    client.connect(base, namespaces=["/field"], auth={"token": token(base, email)}, transports=["websocket"],
                   wait_timeout=10)
    return client


def audience_until(base: str, headers: dict, online: int) -> dict:
    """Ask the audience until ``online`` reps are counted (the connect handler runs after the socket opens)."""
    deadline = time.monotonic() + 10
    while True:
        answer = requests.get(f"{base}/api/v1/packs/{PACK}/versions/1/audience", headers=headers, timeout=5).json()
        if answer.get("online") == online or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


def test_reps_online_on_one_process_are_counted_by_another(two_servers):
    """rep on A, rep2 on A, rep again on B (a second tab): B's audience says 2 online; as they leave, 1, then 0."""
    a, b, redis, key = two_servers
    manager = {"Authorization": f"Bearer {token(b['base'], 'manager@demo.battlemap')}"}
    before = audience_until(b["base"], manager, 0)
    assert before["online"] == 0 and before["reps"] >= 5
    rep_on_a = connect(a["base"], "rep@demo.battlemap")
    rep2_on_a = connect(a["base"], "rep2@demo.battlemap")
    rep_on_b = connect(b["base"], "rep@demo.battlemap")
    guide = connect(a["base"], "guide@demo.battlemap")  # online, but not in the pack's audience
    try:
        assert audience_until(b["base"], manager, 2) == {"reps": before["reps"], "online": 2}
        assert len(redis.hgetall(key)) == 3, "rep (two sockets), rep2 and the guide"
        rep_on_a.disconnect()
        time.sleep(0.5)
        assert audience_until(a["base"], manager, 2)["online"] == 2, "rep still has a socket open on B"
        rep2_on_a.disconnect()
        assert audience_until(a["base"], manager, 1)["online"] == 1
        rep_on_b.disconnect()
        assert audience_until(b["base"], manager, 0)["online"] == 0
    finally:
        for client in (rep_on_a, rep2_on_a, rep_on_b, guide):
            if client.connected:
                client.disconnect()
    deadline = time.monotonic() + 5
    while redis.hgetall(key) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert redis.hgetall(key) == {}, "nobody counted once everyone left"
