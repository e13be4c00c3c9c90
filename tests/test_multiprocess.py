"""Several processes: a push started in one process reaches a rep connected to another (Redis queue)."""

import os
import subprocess
import sys
import time

import pytest
import socketio as sio_client

from tests.conftest import need_service
from tests.servers import ROOT, running_server


def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as err:
        need_service("Redis", f"{url}: {err}")
    return url


@pytest.fixture
def server(demo_template, tmp_path):
    """A real Battlemap server process on the demo database with Redis as its message queue."""
    url = redis_url()
    db_path = tmp_path / "shared.db"
    db_path.write_bytes(demo_template.read_bytes())
    with running_server(db_path, REDIS_URL=url) as srv:
        yield srv


def test_push_from_another_process_reaches_the_rep(server):
    import requests

    base = f"http://127.0.0.1:{server['port']}"
    login = requests.post(f"{base}/api/v1/auth/login",
                          json={"email": "rep@demo.battlemap", "password": "demo-password"}, timeout=5).json()
    received = []
    client = sio_client.Client()
    client.on("popup", lambda data: received.append(data), namespace="/field")
    client.connect(base, namespaces=["/field"], auth={"token": login["token"]}, transports=["websocket"],
                   wait_timeout=10)
    try:
        # Another process — same database, same Redis, its own app — starts the push.
        script = (
            "import os, sys; from app import create_app; from app import notifier; from config import Config\n"
            "app = create_app(Config)\n"
            "with app.app_context():\n"
            "    notifier.push_popup(int(sys.argv[1]), {'id': 'cross-process', 'why': []})\n"
            "    notifier.push_popup(int(sys.argv[1]) + 1000, {'id': 'someone-else', 'why': []})\n"
        )
        subprocess.run([sys.executable, "-c", script, str(login["user"]["id"])], cwd=ROOT, env=server["env"],
                       check=True, timeout=60)
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        assert [p["id"] for p in received] == ["cross-process"]
    finally:
        client.disconnect()
