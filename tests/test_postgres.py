"""The core loop on PostgreSQL: migrations, demo load, login, places, compare and a popup."""

import time

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db, socketio


def test_migrations_match_models_on_postgres(pg_app):
    with pg_app.app_context(), db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []


def test_core_loop_on_postgres(pg_app):
    """Login, nearby places, place context, compare and a popup all work on PostgreSQL."""
    client = pg_app.test_client()
    login = client.post("/api/v1/auth/login", json={"email": "rep@demo.battlemap", "password": "demo-password"})
    assert login.status_code == 200
    token = login.get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}

    items = client.get("/api/v1/places?lat=31.2304&lon=121.4737&radius_m=50000", headers=headers).get_json()["items"]
    assert len(items) >= 40
    assert [i["distance_m"] for i in items] == sorted(i["distance_m"] for i in items)
    hospital = next(i for i in items if i["category"] == "tier3_hospital")
    detail = client.get(f"/api/v1/places/{hospital['id']}", headers=headers).get_json()
    assert len(detail["context"]["procurement_notices"]) >= 3

    compare = client.post("/api/v1/solutions/compare", headers=headers,
                          json={"budget_min": 10000, "budget_max": 500000, "needs": ["超声", "便携"]})
    assert len(compare.get_json()["options"]) == 3

    sock = socketio.test_client(pg_app, namespace="/field", auth={"token": token})
    ack = sock.emit("location", {"lat": hospital["lat"], "lon": hospital["lon"], "accuracy_m": 10,
                                 "ts": int(time.time() * 1000)}, namespace="/field", callback=True)
    assert ack["ok"] is True
    popups = [m["args"][0] for m in sock.get_received("/field") if m["name"] == "popup"]
    assert [p["place"]["id"] for p in popups] == [hospital["id"]]
    assert popups[0]["talk_tracks"] and popups[0]["why"]
    sock.disconnect("/field")
