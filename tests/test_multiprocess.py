"""Several processes: a push started in one process reaches a rep connected to another (Redis queue)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import socketio as sio_client

from tests.conftest import need_service

ROOT = Path(__file__).resolve().parents[1]


def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as err:
        need_service("Redis", f"{url}: {err}")
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read()}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


@pytest.fixture
def server(demo_template, tmp_path):
    """A real Battlemap server process on the demo database with Redis as its message queue."""
    url = redis_url()
    db_path = tmp_path / "shared.db"
    db_path.write_bytes(demo_template.read_bytes())
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "REDIS_URL": url, "PORT": str(port),
           "SECRET_KEY": "multiprocess-test", "BATTLEMAP_CONFIG": "development"}
    proc = subprocess.Popen([sys.executable, "wsgi.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_up(port, proc)
        yield {"port": port, "env": env}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


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
