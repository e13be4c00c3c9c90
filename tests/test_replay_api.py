"""The console's replay (issue 9): fixes stored as the rep sends them on /field, replayed through the same pure
engine, with suppressed re-entries, dropped fixes and the cards pushed; on-duty hours and retention."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import jobs
from app.extensions import db
from app.models import RepFix, User
from tests.conftest import place_by_category
from tests.test_auth import assert_error_shape

SHANGHAI = ZoneInfo("Asia/Shanghai")
MANAGER = "manager@demo.battlemap"


def today_at(hour: int, minute: int = 0) -> int:
    """Epoch ms of today's local (Shanghai) time ``hour:minute``."""
    now = datetime.now(SHANGHAI)
    return int(now.replace(hour=hour, minute=minute, second=0, microsecond=0).timestamp() * 1000)


def today() -> str:
    return datetime.now(SHANGHAI).date().isoformat()


def rep_id(app, email="rep@demo.battlemap") -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def send(sock, lat, lon, ts, accuracy=10):
    ack = sock.emit("location", {"lat": lat, "lon": lon, "accuracy_m": accuracy, "ts": ts}, namespace="/field",
                    callback=True)
    assert ack["ok"], ack
    return ack


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RepFix))


all_cards: list[str] = []


def hospital_cards(sock, hospital) -> list[dict]:
    """The cards pushed on this socket (all kept in ``all_cards``), those of the hospital returned."""
    popups = [m["args"][0] for m in sock.get_received("/field") if m["name"] == "popup"]
    all_cards[:] = [p["id"] for p in popups]
    return [p for p in popups if p["place"]["id"] == hospital.id]


@pytest.fixture
def hospital(app):
    return place_by_category(app, "tier3_hospital")


def walk_back_inside_the_cooldown(sock, hospital, *, reset_between=False):
    """In at 10:00, a vague fix, out at 10:06, back in at 10:12 (inside the 30-minute cooldown)."""
    far = hospital.lat + 0.03  # ~3.3 km north
    send(sock, far, hospital.lon, today_at(9, 55))
    send(sock, hospital.lat, hospital.lon, today_at(10, 0))
    assert send(sock, hospital.lat, hospital.lon, today_at(10, 2), accuracy=900)["dropped"] == "low_accuracy"
    send(sock, hospital.lat + 0.012, hospital.lon, today_at(10, 6))  # ~1.3 km: out beyond the margin
    if reset_between:
        assert sock.emit("track.reset", {}, namespace="/field", callback=True)["ok"]
    send(sock, hospital.lat, hospital.lon, today_at(10, 12))


def test_the_replay_shows_the_suppressed_return_the_drop_and_the_card(client, auth, app, field, hospital):
    """"Why no card at 10:12?" — back inside the cooldown: a suppressed event with its reason; the vague fix is
    dropped with its reason; the one card pushed is listed."""
    sock = field("rep@demo.battlemap")
    walk_back_inside_the_cooldown(sock, hospital)
    cards_pushed = hospital_cards(sock, hospital)
    assert len(cards_pushed) == 1

    response = client.get(f"/api/v1/replay?rep_id={rep_id(app)}&date={today()}", headers=auth.headers(MANAGER))
    assert response.status_code == 200, response.get_json()
    day = response.get_json()
    assert day["rep"]["id"] == rep_id(app) and day["rep"]["name"] == "李明" and day["date"] == today()
    assert [(f["ts"], f["status"], f.get("reason")) for f in day["fixes"]] == [
        (today_at(9, 55), "accepted", None), (today_at(10, 0), "accepted", None),
        (today_at(10, 2), "dropped", "low_accuracy"), (today_at(10, 6), "accepted", None),
        (today_at(10, 12), "accepted", None)]
    assert day["fixes"][1]["lat"] == hospital.lat and day["fixes"][1]["accuracy_m"] == 10
    at_hospital = [(e["type"], e["ts"], e.get("reason")) for e in day["events"] if e["place"]["id"] == hospital.id]
    assert at_hospital == [("enter", today_at(10, 0), None), ("exit", today_at(10, 6), None),
                           ("suppressed", today_at(10, 12), "cooldown")]
    assert all(e["place"]["name"] for e in day["events"])
    [card] = [c for c in day["cards"] if c["place"]["id"] == hospital.id]
    assert card["popup_id"] == cards_pushed[0]["id"]
    assert {c["popup_id"] for c in day["cards"]} == set(all_cards), "every card pushed that day, no other"
    assert card["place"] == {"id": hospital.id, "name": hospital.name} and card["event"] == "enter_place"
    assert card["at"].endswith("Z")


def test_a_track_reset_is_replayed_as_the_live_tracker_saw_it(client, auth, app, field, hospital):
    """The laptop simulation's jump (track.reset) forgets the cooldown live — so the replay does too."""
    sock = field("rep@demo.battlemap")
    walk_back_inside_the_cooldown(sock, hospital, reset_between=True)
    assert len(hospital_cards(sock, hospital)) == 2
    day = client.get(f"/api/v1/replay?rep_id={rep_id(app)}&date={today()}", headers=auth.headers(MANAGER)).get_json()
    types = [e["type"] for e in day["events"] if e["place"]["id"] == hospital.id]
    assert types == ["enter", "exit", "enter"]
    assert len([c for c in day["cards"] if c["place"]["id"] == hospital.id]) == 2
    assert len(day["fixes"]) == 5, "the reset marker is not a fix"


def test_only_on_duty_fixes_are_stored(app, field, hospital):
    """A fix at 03:00 local is used live but not kept (FIX_STORE_HOURS = 7–21 by default)."""
    sock = field("rep2@demo.battlemap")
    before = stored(app)
    send(sock, hospital.lat + 0.03, hospital.lon, today_at(3, 0))
    send(sock, hospital.lat + 0.03, hospital.lon, today_at(22, 30))
    send(sock, hospital.lat + 0.03, hospital.lon, today_at(23, 0))
    send(sock, hospital.lat + 0.03, hospital.lon, today_at(20, 59) + 10 * 3600_000 * 24)  # another day, on duty
    sock.disconnect("/field")  # a disconnect writes what this process still holds
    assert stored(app) == before + 1


def test_fixes_are_written_in_batches_not_per_fix(app, field, hospital):
    """The popup path does not write a row per fix: rows wait in the buffer until FIX_BUFFER_MAX or FIX_FLUSH_S."""
    app.config.update(FIX_BUFFER_MAX=3, FIX_FLUSH_S=3600)
    sock = field("rep3@demo.battlemap")
    before = stored(app)
    for minute in range(5):
        send(sock, hospital.lat + 0.03 + minute * 0.0001, hospital.lon, today_at(11, minute))
    assert stored(app) == before + 3, "one INSERT of three rows; two still waiting"
    sock.disconnect("/field")
    assert stored(app) == before + 5


def test_old_fixes_are_purged_by_the_job_and_the_command(app, runner):
    from app.models import utcnow

    rid = rep_id(app)
    with app.app_context():
        old = utcnow() - timedelta(days=31)
        db.session.add_all([RepFix(rep_id=rid, ts=1, lat=31.2, lon=121.4, accuracy_m=10, received_at=old),
                            RepFix(rep_id=rid, ts=2, lat=31.2, lon=121.4, accuracy_m=10, received_at=old),
                            RepFix(rep_id=rid, ts=3, lat=31.2, lon=121.4, accuracy_m=10,
                                   received_at=utcnow() - timedelta(days=29))])
        db.session.commit()
        assert len(jobs.purge_old_fixes()) == 2
        assert jobs.purge_old_fixes() == range(0)
        db.session.add(RepFix(rep_id=rid, ts=4, lat=31.2, lon=121.4, accuracy_m=10, received_at=old))
        db.session.commit()
    result = runner.invoke(args=["geo", "purge-fixes"])
    assert result.exit_code == 0 and "1 stored fixes older than 30 days deleted." in result.output
    assert stored(app) == 1


def test_replay_is_for_managers_of_the_reps_region(client, auth, app):
    from tests.test_packs_api import add_user

    add_user(app, "hz-replay@demo.battlemap", role="manager", region="hangzhou", manages=("hangzhou",))
    url = f"/api/v1/replay?rep_id={rep_id(app)}&date={today()}"
    assert_error_shape(client.get(url, headers=auth.headers("hz-replay@demo.battlemap")), 403, "forbidden")
    assert_error_shape(client.get(url, headers=auth.headers("rep@demo.battlemap")), 403, "forbidden")
    assert_error_shape(client.get(f"/api/v1/replay?rep_id=999999&date={today()}", headers=auth.headers(MANAGER)),
                       404, "user_not_found")
    assert_error_shape(client.get(f"/api/v1/replay?rep_id={rep_id(app)}&date=23/11/2026",
                                  headers=auth.headers(MANAGER)), 400)
    empty = client.get(f"/api/v1/replay?rep_id={rep_id(app)}&date=2020-01-01", headers=auth.headers(MANAGER))
    assert empty.get_json()["fixes"] == [] and empty.get_json()["cards"] == []
