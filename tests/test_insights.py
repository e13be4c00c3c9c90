"""The manager's dashboard numbers: card use per day, the funnel shown → feedback → used → outcome (the PWA
reports no "opened"), and visits, cards used and wins per district and grid with coordinates."""

import time
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Place, Popup
from app.services.insights import district_of
from tests.conftest import place_by_category
from tests.test_health import Api, ev, utcnow, visit_events


def test_a_district_is_read_from_the_address():
    assert district_of("上海市浦东新区浦建路160号") == "浦东新区"
    assert district_of("浙江省杭州市滨江区江虹路") == "滨江区"
    assert district_of("上海市徐汇区枫林路180号") == "徐汇区"
    assert district_of("") is None and district_of(None) is None


def test_cards_over_time_the_funnel_and_the_districts_from_real_activity(app, client, field):
    hospital = place_by_category(app, "tier3_hospital")
    sock = field("rep@demo.battlemap")
    ack = sock.emit("location", {"lat": hospital.lat, "lon": hospital.lon, "accuracy_m": 10,
                                 "ts": int(time.time() * 1000) - 60_000}, namespace="/field", callback=True)
    assert ack["ok"] and ack["popups"] == 1
    with app.app_context():
        pushed = db.session.scalars(select(Popup.id).where(Popup.rep_id == 1)).one()
        others = list(db.session.scalars(select(Place).where(Place.region_id == 1, Place.id != hospital.id)
                                         .order_by(Place.id).limit(3)))
        other_ids, districts = [p.id for p in others], {p.id: district_of(p.address) for p in others}
    rep = Api(client, "rep@demo.battlemap")
    day = utcnow() - timedelta(days=2)
    offline = [f"00000000-0000-4000-8000-0000000000a{i}" for i in range(3)]
    rep.send([
        ev("card_feedback", utcnow(), hospital.id, pushed, rating="helpful"),
        ev("outcome", utcnow(), hospital.id, pushed, result="advanced"),  # names the card: it converted
        *[ev("card_shown_offline", day, p, pid, distance_m=30.0) for p, pid in zip(other_ids, offline, strict=True)],
        ev("card_feedback", day, other_ids[0], offline[0], rating="used"),
        ev("card_feedback", day, other_ids[1], offline[1], rating="dismissed", reason="客户不在"),
        ev("outcome", day + timedelta(days=1), other_ids[0], result="won"),  # no card named: joins the used one
        ev("outcome", day + timedelta(days=1), other_ids[1], result="won"),  # its card was not used
        *visit_events(day, other_ids[0]), *visit_events(day + timedelta(days=1), other_ids[0]),
    ])
    manager = Api(client, "manager@demo.battlemap")
    body = manager.get("/insights?region=shanghai&days=7").get_json()

    per_day = {d["day"]: d for d in body["cards_over_time"]}
    assert len(per_day) == 8  # seven days back and today
    assert sum(d["shown"] for d in per_day.values()) == 4
    assert sum(d["feedback"] for d in per_day.values()) == 3 and sum(d["used"] for d in per_day.values()) == 2

    funnel = body["funnel"]
    assert funnel["opened_observed"] is False
    assert [(s["step"], s["count"]) for s in funnel["steps"]] == [("shown", 4), ("feedback", 3), ("used", 2),
                                                                  ("outcome", 2)]
    assert funnel["steps"][1]["rate"] == 0.75 and funnel["steps"][0]["rate"] is None

    by_district = {d["district"]: d for d in body["districts"]}
    first = by_district[districts[other_ids[0]]]
    assert first["visits"] >= 2 and first["cards_used"] >= 1 and first["wins"] >= 1
    assert 30 < first["lat"] < 32 and 120 < first["lon"] < 123
    assert sum(d["wins"] for d in body["districts"]) == 2
    assert sum(d["cards_used"] for d in body["districts"]) == 2
    point = next(p for p in body["points"] if p["place_id"] == other_ids[0])
    assert point["visits"] == 2 and point["wins"] == 1
    assert {g["key"] for g in body["grids"]} <= {"sh-xuhui", "sh-pudong"}


def test_insights_are_for_the_regions_managers(client):
    assert Api(client, "rep@demo.battlemap").get("/insights").status_code == 403
    hz = Api(client, "manager.hz@demo.battlemap")
    assert hz.get("/insights?region=shanghai").status_code == 403
    assert hz.get("/insights").status_code == 200
    manager = Api(client, "manager@demo.battlemap")
    assert manager.get("/insights?region=atlantis").status_code == 422
    assert manager.get("/insights?days=0").status_code == 422
    empty = manager.get("/insights?region=shanghai").get_json()
    assert [s["count"] for s in empty["funnel"]["steps"]] == [0, 0, 0, 0] and len(empty["cards_over_time"]) == 29
