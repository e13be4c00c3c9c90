"""A server killed with SIGKILL while the outbox replays loses nothing and doubles nothing."""

import shutil
import sqlite3
import threading
import uuid
from datetime import UTC, datetime

import requests

from tests.conftest import DEMO_PASSWORD
from tests.servers import restartable_server

OUTBOX_SIZE = 600
BATCH = 50


def make_outbox(place_ids: list[int]) -> list[dict]:
    at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    kinds = [("visit", {"note": "拜访设备科，确认论证时间", "next_step": "周二送参数表"}),
             ("check_in", {"method": "tap"}),
             ("outcome", {"result": "advanced"})]
    outbox = []
    for i in range(OUTBOX_SIZE):
        type_, data = kinds[i % len(kinds)]
        outbox.append({"id": str(uuid.uuid4()), "type": type_, "at": at, "place_id": place_ids[i % len(place_ids)],
                       "data": data})
    return outbox


def replay(base: str, token: str, outbox: list[dict], results: dict, progress: threading.Event | None = None,
           after_batches: int = 0) -> None:
    """Send the outbox in batches; stop at the first network error (the server died)."""
    session = requests.Session()
    for number, start in enumerate(range(0, len(outbox), BATCH), start=1):
        batch = outbox[start:start + BATCH]
        try:
            response = session.post(f"{base}/api/v1/events", json={"events": batch},
                                    headers={"Authorization": f"Bearer {token}"}, timeout=10)
        except requests.RequestException:
            return
        assert response.status_code == 200, response.text
        for result in response.json()["results"]:
            results[result["id"]] = result["status"]
        if progress is not None and number >= after_batches:
            progress.set()


def test_sigkill_mid_replay_then_replay_again_stores_each_event_once(demo_template, tmp_path):
    db_path = tmp_path / "crash.db"
    shutil.copy(demo_template, db_path)
    with sqlite3.connect(db_path) as conn:
        place_ids = [row[0] for row in conn.execute("SELECT id FROM places ORDER BY id")]
    outbox = make_outbox(place_ids)

    with restartable_server(db_path) as server:
        login = requests.post(f"{server.base}/api/v1/auth/login",
                              json={"email": "rep@demo.battlemap", "password": DEMO_PASSWORD}, timeout=10)
        token = login.json()["token"]

        first: dict[str, str] = {}
        progress = threading.Event()
        client = threading.Thread(target=replay, args=(server.base, token, outbox, first, progress, 3))
        client.start()
        assert progress.wait(30), "the client got through three batches"
        server.kill()  # SIGKILL while the client is sending batch four or later
        client.join(30)
        assert not client.is_alive()
        assert 3 * BATCH <= len(first) < OUTBOX_SIZE, "the crash came mid-replay"
        assert set(first.values()) == {"accepted"}

        server.start()  # same database file
        second: dict[str, str] = {}
        replay(server.base, token, outbox, second)

    assert len(second) == OUTBOX_SIZE
    assert set(second.values()) <= {"accepted", "duplicate"}
    assert all(second[event_id] == "duplicate" for event_id in first), "what was acknowledged stays stored"
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute("SELECT id, type FROM events").fetchall()
    assert len(rows) == OUTBOX_SIZE
    assert {row[0] for row in rows} == {e["id"] for e in outbox}, "every event stored exactly once"
    assert dict(rows) == {e["id"]: e["type"] for e in outbox}
