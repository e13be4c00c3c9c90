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


class ServerProcess:
    """``python wsgi.py`` over one SQLite file that a test can kill -9 and start again on the same file.

    ``start()`` picks a free port each time (a killed process's port may linger); ``base`` is the current URL.
    """

    def __init__(self, db_path: Path, **env_overrides: str):
        self.db_path = db_path
        self.env_overrides = env_overrides
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ServerProcess":
        self.port = free_port()
        self.env = env = {**os.environ, "DATABASE_URL": f"sqlite:///{self.db_path}", "PORT": str(self.port),
               "SECRET_KEY": "server-test", "BATTLEMAP_CONFIG": "development", **self.env_overrides}
        # The log goes to a file, not a pipe nobody reads (a full pipe would block the server).
        self.log_path = self.db_path.with_suffix(".server.log")
        with self.log_path.open("a", encoding="utf-8") as log:
            self.proc = subprocess.Popen([sys.executable, "wsgi.py"], cwd=ROOT, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text(encoding='utf-8')[-2000:]}")
            try:
                if requests.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flush — a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        self._reap()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
        self._reap()

    def _reap(self) -> None:
        if self.proc is not None:
            self.proc.wait(timeout=10)
            self.proc = None


@contextmanager
def restartable_server(db_path: Path, **env_overrides: str):
    """A started ``ServerProcess``; stopped at the end whatever state the test left it in."""
    server = ServerProcess(db_path, **env_overrides).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def running_server(db_path: Path, **env_overrides: str):
    """``python wsgi.py`` on a free port over the SQLite file ``db_path``; yields ``{"port", "base", "env",
    "server"}`` (``server`` is the ``ServerProcess``, for tests that kill or restart it)."""
    with restartable_server(db_path, **env_overrides) as server:
        yield {"port": server.port, "base": server.base, "env": server.env, "server": server}
