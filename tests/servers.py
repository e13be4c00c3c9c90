"""Real server processes for tests that cross a process boundary (Redis pushes, the PWA in Chromium)."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
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


@contextmanager
def running_server(db_path: Path, **env_overrides: str):
    """``python wsgi.py`` on a free port over the SQLite file ``db_path``; yields ``{"port", "base", "env"}``."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "PORT": str(port),
           "SECRET_KEY": "server-test", "BATTLEMAP_CONFIG": "development", **env_overrides}
    proc = subprocess.Popen([sys.executable, "wsgi.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        _wait_until_up(port, proc)
        yield {"port": port, "base": f"http://127.0.0.1:{port}", "env": env}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
