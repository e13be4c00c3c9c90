"""Location only while on duty (docs/privacy.md): the switch, the schedules, the /field ack's reason."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import RepFix, User
from app.services import locations
from tests.conftest import place_by_category

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS_9_TO_18 = {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}


def local_ms(*args) -> int:
    return int(datetime(*args, tzinfo=SHANGHAI).timestamp() * 1000)


WED_10 = local_ms(2026, 12, 2, 10, 0)  # a Wednesday, on duty
WED_20 = local_ms(2026, 12, 2, 20, 0)  # same day, after hours (still inside FIX_STORE_HOURS 7–21)
SAT_10 = local_ms(2026, 12, 5, 10, 0)


def send(sock, lat, lon, ts):
    return sock.emit("location", {"lat": lat, "lon": lon, "accuracy_m": 15.0, "ts": ts}, namespace="/field",
                     callback=True)


def popups(sock):
    return [m for m in sock.get_received("/field") if m["name"] == "popup"]


def stored_fixes(app, email="rep@demo.battlemap") -> int:
    with app.app_context():
        locations.flush_fixes()
        rep_id = db.session.scalar(select(User.id).where(User.email == email))
        return db.session.scalar(select(func.count()).select_from(RepFix).where(RepFix.rep_id == rep_id))


@pytest.fixture
def hospital(app):
    return place_by_category(app, "tier3_hospital")


def test_region_schedule_refuses_fixes_after_hours_and_on_weekends(app, client, auth, field, hospital):
    put = client.put("/api/v1/regions/shanghai/duty", json={"schedule": WEEKDAYS_9_TO_18},
                     headers=auth.headers("manager@demo.battlemap"))
    assert put.status_code == 200 and put.get_json() == {"region": "shanghai", "schedule": WEEKDAYS_9_TO_18}
    sock = field()
    for ts in (WED_20, SAT_10):
        assert send(sock, hospital.lat, hospital.lon, ts) == {"ok": True, "popups": 0, "dropped": "off_duty"}
    assert popups(sock) == [] and stored_fixes(app) == 0
    ack = send(sock, hospital.lat, hospital.lon, WED_10 + 60_000 * 60 * 24 * 7)  # next Wednesday 10:00
    assert ack["ok"] and ack.get("dropped") is None and ack["popups"] == 1
    assert stored_fixes(app) == 1


def test_the_reps_switch_off_refuses_every_fix_and_on_again_accepts(app, client, auth, field, hospital):
    headers = auth.headers()
    assert client.get("/api/v1/auth/me/duty", headers=headers).get_json() == {
        "location_on": True, "schedule": None, "source": "default", "on_duty": True, "reason": None,
        "timezone": "Asia/Shanghai"}
    sock = field()
    off = client.put("/api/v1/auth/me/duty", json={"location_on": False}, headers=headers).get_json()
    assert off["location_on"] is False and off["on_duty"] is False and off["reason"] == "location_off"
    assert send(sock, hospital.lat, hospital.lon, WED_10) == {"ok": True, "popups": 0, "dropped": "location_off"}
    assert popups(sock) == [] and stored_fixes(app) == 0
    client.put("/api/v1/auth/me/duty", json={"location_on": True}, headers=headers)
    assert send(sock, hospital.lat, hospital.lon, WED_10 + 60_000)["popups"] == 1


def test_a_reps_own_schedule_overrides_the_region(app, client, auth, field, hospital):
    manager = auth.headers("manager@demo.battlemap")
    client.put("/api/v1/regions/shanghai/duty", json={"schedule": WEEKDAYS_9_TO_18}, headers=manager)
    with app.app_context():
        rep_id = db.session.scalar(select(User.id).where(User.email == "rep@demo.battlemap"))
    evenings = {"days": [3], "start": "19:00", "end": "22:00"}
    put = client.put(f"/api/v1/users/{rep_id}/duty", json={"schedule": evenings}, headers=manager)
    assert put.status_code == 200 and put.get_json()["schedule"] == evenings
    assert client.get("/api/v1/auth/me/duty", headers=auth.headers()).get_json()["source"] == "rep"
    sock = field()
    assert send(sock, hospital.lat, hospital.lon, WED_10)["dropped"] == "off_duty"
    assert send(sock, hospital.lat, hospital.lon, WED_20).get("dropped") is None


@pytest.mark.parametrize("schedule", [
    {"days": [1], "start": "18:00", "end": "09:00"},
    {"days": [0], "start": "09:00", "end": "18:00"},
    {"days": [], "start": "09:00", "end": "18:00"},
    {"days": [1, 1], "start": "09:00", "end": "18:00"},
    {"days": [1], "start": "9:00", "end": "24:00"},
])
def test_broken_schedules_are_422(client, auth, schedule):
    response = client.put("/api/v1/regions/shanghai/duty", json={"schedule": schedule},
                          headers=auth.headers("manager@demo.battlemap"))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_values"


def test_only_the_regions_managers_set_schedules(client, auth):
    body = {"schedule": WEEKDAYS_9_TO_18}
    assert client.put("/api/v1/regions/shanghai/duty", json=body, headers=auth.headers()).status_code == 403
    assert client.put("/api/v1/regions/shanghai/duty", json=body,
                      headers=auth.headers("manager.hz@demo.battlemap")).status_code == 403
    assert client.put("/api/v1/regions/nowhere/duty", json=body,
                      headers=auth.headers("manager@demo.battlemap")).status_code == 404
