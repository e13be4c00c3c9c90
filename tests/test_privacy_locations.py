"""Raw fixes kept FIX_RETENTION_DAYS, then reduced to visit records; a rep sees and exports their own history
(docs/privacy.md)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app import jobs
from app.extensions import db
from app.models import RepFix, User, VisitRecord, utcnow
from tests.conftest import place_by_category

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_ms(*args) -> int:
    return int(datetime(*args, tzinfo=SHANGHAI).timestamp() * 1000)


def add_fixes(app, email, rows, received_at):
    with app.app_context():
        rep_id = db.session.scalar(select(User.id).where(User.email == email))
        for ts, lat, lon in rows:
            db.session.add(RepFix(rep_id=rep_id, ts=ts, lat=lat, lon=lon, accuracy_m=10.0, received_at=received_at))
        db.session.commit()
        return rep_id


def test_old_fixes_become_visit_records_and_the_raw_rows_go(app):
    hospital = place_by_category(app, "tier3_hospital")
    old = utcnow() - timedelta(days=40)
    day = [(local_ms(2026, 10, 21, 9, 5), hospital.lat, hospital.lon),
           (local_ms(2026, 10, 21, 9, 40), hospital.lat + 0.0005, hospital.lon),
           (local_ms(2026, 10, 21, 10, 15), hospital.lat, hospital.lon),
           (local_ms(2026, 10, 21, 12, 0), hospital.lat + 0.5, hospital.lon)]  # in no fence: leaves nothing
    rep_id = add_fixes(app, "rep@demo.battlemap", day, old)
    add_fixes(app, "rep@demo.battlemap", [(local_ms(2026, 11, 28, 9, 0), hospital.lat, hospital.lon)],
              utcnow() - timedelta(days=3))
    with app.app_context():
        assert len(jobs.purge_old_fixes()) == 4
        assert jobs.purge_old_fixes() == range(0)
        assert db.session.scalar(select(func.count()).select_from(RepFix).where(RepFix.rep_id == rep_id)) == 1
        visits = db.session.scalars(select(VisitRecord).where(VisitRecord.rep_id == rep_id)).all()
    mine = [v for v in visits if v.place_id == hospital.id]
    assert len(mine) == 1
    visit = mine[0]
    assert visit.day.isoformat() == "2026-10-21" and visit.fixes == 3
    assert visit.first_enter_at == datetime(2026, 10, 21, 1, 5) and visit.last_exit_at == datetime(2026, 10, 21, 2, 15)


def test_a_rep_sees_and_exports_only_their_own_history(app, client, auth):
    hospital = place_by_category(app, "tier3_hospital")
    mine = local_ms(2026, 11, 30, 10, 0)
    add_fixes(app, "rep@demo.battlemap", [(mine, hospital.lat, hospital.lon)], utcnow())
    add_fixes(app, "rep2@demo.battlemap", [(mine + 1000, hospital.lat, hospital.lon)], utcnow())
    headers = auth.headers()
    day = client.get("/api/v1/me/locations?date=2026-11-30", headers=headers)
    assert day.status_code == 200 and day.headers["Cache-Control"] == "no-store"
    body = day.get_json()
    assert [f["ts"] for f in body["fixes"]] == [mine] and body["retention_days"] == 30
    assert client.get("/api/v1/me/locations?date=2026-11-29", headers=headers).get_json()["fixes"] == []
    export = client.get("/api/v1/me/locations/export", headers=headers)
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    assert [f["ts"] for f in export.get_json()["fixes"]] == [mine]
    assert export.get_json()["duty"]["location_on"] is True
    assert client.get("/api/v1/me/locations?date=someday", headers=headers).status_code in (400, 422)
    assert client.get("/api/v1/me/locations?date=2026-11-30").status_code == 401
