"""Process health on the real database: indicators from the outbox's events, the three-in-a-row coaching rule
(an alert, a card pushed over /field, never twice for one streak), the settings, regional warnings, scoping."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from sqlalchemy import func, select

from app import jobs
from app.extensions import db
from app.models import CoachingAlert, Event, Place, User

ROOT = Path(__file__).resolve().parent.parent
LINK = "procurement-led-hospitals/talk_tracks/pl-tt-discovery-clinical"
HZ_LINK = "hangzhou-medical-hub/talk_tracks/hzm-tt-discovery-clinical-data"
DAY = timedelta(days=1)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def ev(type_: str, at: datetime, place_id: int | None, popup_id: str | None = None, **data) -> dict:
    return {"id": str(uuid.uuid4()), "type": type_, "at": iso(at), "place_id": place_id, "popup_id": popup_id,
            "data": data}


def visit_events(at: datetime, place_id: int, note: str | None = "和设备科确认了论证时间", *,
                 outcome: bool = True) -> list[dict]:
    """A check-in, the note half an hour later (unless ``note`` is None) and, an hour later, the outcome (which
    is also the visit's follow-up), so that only what a test leaves out is missing."""
    out = [ev("check_in", at, place_id, method="tap")]
    if note is not None:
        out.append(ev("visit", at + timedelta(minutes=30), place_id, note=note, next_step="下周送参数表"))
    if outcome:
        out.append(ev("outcome", at + timedelta(hours=1), place_id, result="advanced"))
    return out


class Api:
    """The HTTP API as one user (logged in through conftest's ``AuthActions``)."""

    def __init__(self, client, email: str):
        from tests.conftest import AuthActions

        self.client = client
        self.headers = AuthActions(client).headers(email)

    def get(self, path, **kw):
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kw)

    def post(self, path, body=None):
        return self.client.post(f"/api/v1{path}", headers=self.headers, json=body)

    def put(self, path, body):
        return self.client.put(f"/api/v1{path}", headers=self.headers, json=body)

    def send(self, events: list[dict]) -> None:
        response = self.post("/events", {"events": events})
        assert response.status_code == 200, response.get_json()
        assert {r["status"] for r in response.get_json()["results"]} == {"accepted"}, response.get_json()


def shanghai_places(app, n: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Place.id).where(Place.region_id == 1).order_by(Place.id).limit(n)))


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def coach(app, now=None) -> list[int]:
    with app.app_context():
        return [a.id for a in jobs.coach_reps(now=now)]


def coaching_cards(sock) -> list[dict]:
    return [m["args"][0] for m in sock.get_received("/field") if m["name"] == "coaching.card"]


@pytest.fixture
def rep(client):
    return Api(client, "rep@demo.battlemap")


@pytest.fixture
def manager(client):
    return Api(client, "manager@demo.battlemap")


@pytest.fixture
def linked(manager):
    """The Shanghai manager linked a discovery talk-track to visit notes (and, so that these tests see visit notes
    alone, set the proposal indicator's threshold to zero: the tests' visits come with no comparisons)."""
    response = manager.put("/regions/shanghai/health-settings", {
        "coaching_links": {"visit_notes": LINK},
        "thresholds": {"proposal_after_budget": {"threshold": 0.0, "green": 0.0}}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _good_then_silent(app, rep: Api, silent: int, *, start_days_ago: int = 12) -> list[str]:
    """Visits with notes, then ``silent`` visits without one (one a day); returns the silent check-in ids."""
    places = shanghai_places(app, 12)
    start = utcnow() - start_days_ago * DAY
    events, silent_ids = [], []
    for i in range(4):
        events += visit_events(start + i * DAY, places[i])
    for i in range(silent):
        check_in, outcome = visit_events(start + (4 + i) * DAY, places[4 + i], note=None)
        events += [check_in, outcome]
        silent_ids.append(check_in["id"])
    rep.send(events)
    return silent_ids


def test_three_visits_in_a_row_without_a_note_bring_an_alert_and_a_pushed_card_with_why(app, rep, manager, linked,
                                                                                          field):
    """Does the coaching rule fire on the third miss, push the linked component to the rep's phone over a real
    /field socket with why (indicator, the three values, the threshold) — and alert the manager?"""
    sock = field("rep@demo.battlemap")
    silent = _good_then_silent(app, rep, 2)
    assert coach(app) == [] and coaching_cards(sock) == []  # two misses are not yet a streak

    more = _good_then_silent(app, rep, 3, start_days_ago=6)
    [alert_id] = coach(app)
    [card] = coaching_cards(sock)
    assert card["id"] == alert_id and card["indicator"] == "visit_notes" and card["unit"] == "visit"
    assert card["values"] == [0.0, 0.0, 0.0] and card["threshold"] == 0.5
    assert card["why"][0] == {"rule": "coaching_visit_notes",
                              "facts": {"count": 3, "values_pct": [0, 0, 0], "threshold_pct": 50},
                              "detail": "拜访记录：最近3次拜访依次为 0、0、0（％），均低于门槛 50％"}
    assert card["why"][1]["rule"] == "coaching_component"
    assert card["component"]["ref"] == LINK and card["component"]["kind"] == "talk_tracks"
    assert card["component"]["item"]["title"] == "科室调研：把临床痛点变成可论证的需求"
    assert card["component"]["item"]["lines"] and card["component"]["pack"]["id"] == "procurement-led-hospitals"

    spec = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8"))
    schema = {**spec["components"]["schemas"]["CoachingCard"], "components": spec["components"]}
    assert not list(Draft7Validator(schema).iter_errors(card)), "the pushed card matches docs/asyncapi.yaml"

    with app.app_context():
        alert = db.session.get(CoachingAlert, alert_id)
        assert alert.rep_id == user_id(app, "rep@demo.battlemap") and alert.component == LINK
        assert [u["key"] for u in alert.evidence["units"]] == more  # the newest three misses, oldest first
        assert not set(silent) & set(alert.evidence["run"]), "the earlier misses were broken by noted visits"

    listed = manager.get("/coaching-alerts?region=shanghai").get_json()["items"]
    assert [a["id"] for a in listed] == [alert_id]
    assert listed[0]["rep"]["email"] == "rep@demo.battlemap" and listed[0]["values"] == [0.0, 0.0, 0.0]
    assert listed[0]["why"][0]["detail"].startswith("拜访记录")
    assert rep.get("/coaching").get_json()["items"][0]["id"] == alert_id


def test_the_same_streak_is_never_alerted_twice_but_a_new_one_is(app, rep, linked, field):
    sock = field("rep@demo.battlemap")
    _good_then_silent(app, rep, 3, start_days_ago=14)
    assert len(coach(app)) == 1
    assert coach(app) == [], "the job runs hourly: the same streak stays one alert"
    places = shanghai_places(app, 20)
    rep.send(visit_events(utcnow() - 6 * DAY, places[12], note=None))  # a fourth miss: the same streak
    assert coach(app) == []
    rep.send(visit_events(utcnow() - 5 * DAY, places[13]))  # a note breaks it ...
    rep.send([e for d in (4, 3, 2) for e in visit_events(utcnow() - d * DAY, places[10 + d], note=None)])
    assert len(coach(app)) == 1  # ... and three new misses are a new streak
    assert len(coaching_cards(sock)) == 2


def test_a_manager_reads_the_why_in_their_language_and_acknowledges(app, client, rep, manager, linked):
    _good_then_silent(app, rep, 3)
    [alert_id] = coach(app)
    assert manager.client.patch("/api/v1/auth/me", headers=manager.headers, json={"locale": "en"}).status_code == 200
    [item] = manager.get("/coaching-alerts?rep=1&acknowledged=false").get_json()["items"]
    assert item["why"][0]["detail"] == ("Visit notes on the last 3 visits: 0, 0, 0 percent, each below the "
                                        "threshold of 50 percent")
    done = manager.post(f"/coaching-alerts/{alert_id}/acknowledge")
    assert done.status_code == 200 and done.get_json()["acknowledged_at"]
    again = manager.post(f"/coaching-alerts/{alert_id}/acknowledge").get_json()
    assert again["acknowledged_at"] == done.get_json()["acknowledged_at"]
    assert manager.get("/coaching-alerts?acknowledged=false").get_json()["items"] == []
    assert rep.post(f"/coaching-alerts/{alert_id}/acknowledge").status_code == 403
    assert Api(client, "manager.hz@demo.battlemap").post(f"/coaching-alerts/{alert_id}/acknowledge").status_code == 403
    assert manager.post("/coaching-alerts/999/acknowledge").get_json()["error"]["code"] == "coaching_alert_not_found"


def test_reps_see_only_their_own_coaching_cards_and_nothing_of_the_managers(app, client, rep, linked):
    _good_then_silent(app, rep, 3)
    coach(app)
    other = Api(client, "rep2@demo.battlemap")
    assert other.get("/coaching").get_json()["items"] == []
    for path in ("/health", "/health/reps/1", "/coaching-alerts", "/warnings", "/regions/shanghai/health-settings"):
        response = rep.get(path)
        assert response.status_code == 403, path
        assert response.get_json()["error"]["code"] == "forbidden"


def test_indicators_per_rep_and_grid_with_rag_and_the_events_behind_them(app, rep, manager):
    places = shanghai_places(app, 6)
    day = utcnow() - 3 * DAY
    plan = ev("plan", day - timedelta(hours=1), None, date=(day + timedelta(hours=8)).date().isoformat(),
              stops=[{"place_id": p, "components": [], "order": i} for i, p in enumerate(places[:4])])
    visits = [e for p in places[:3] for e in visit_events(day + timedelta(hours=places.index(p)), p)]
    rep.send([plan, *visits])
    body = manager.get("/health?region=shanghai").get_json()
    mine = next(r for r in body["reps"] if r["rep"]["email"] == "rep@demo.battlemap")
    plan_row = next(i for i in mine["indicators"] if i["code"] == "plan_completion")
    assert (plan_row["numerator"], plan_row["denominator"], plan_row["value"]) == (3, 4, 0.75)
    assert plan_row["rag"] == "amber" and plan_row["threshold"] == 0.7 and plan_row["unit"] == "day"
    notes = next(i for i in mine["indicators"] if i["code"] == "visit_notes")
    assert (notes["numerator"], notes["denominator"], notes["rag"]) == (3, 3, "green")
    cards = next(i for i in mine["indicators"] if i["code"] == "card_use")
    assert cards["value"] is None and cards["rag"] == "none"
    xuhui = next(g for g in body["grids"] if g["grid"]["key"] == "sh-xuhui")
    assert next(i for i in xuhui["indicators"] if i["code"] == "plan_completion")["denominator"] == 4

    detail = manager.get("/health/reps/1?days=7").get_json()
    [unit] = next(i for i in detail["indicators"] if i["code"] == "plan_completion")["units"]
    assert plan["id"] in unit["event_ids"] and visits[0]["id"] in unit["event_ids"]
    assert manager.get("/health/reps/7").get_json()["error"]["code"] == "user_not_found"  # a manager, not a rep


def test_a_region_override_changes_the_colour(app, rep, manager):
    rep.send([e for p in shanghai_places(app, 2) for e in visit_events(utcnow() - 2 * DAY, p, note=None)])
    row = lambda: next(i for i in next(r for r in manager.get("/health").get_json()["reps"]  # noqa: E731
                                       if r["rep"]["id"] == 1)["indicators"] if i["code"] == "visit_notes")
    assert row()["rag"] == "red"
    settings = manager.put("/regions/shanghai/health-settings",
                           {"thresholds": {"visit_notes": {"threshold": 0.0, "green": 0.0}}}).get_json()
    assert settings["thresholds"]["visit_notes"] == {"threshold": 0.0, "green": 0.0}
    assert settings["defaults"]["thresholds"]["visit_notes"] == {"threshold": 0.5, "green": 0.8}
    assert row()["rag"] == "green"


def test_health_settings_are_validated(client, manager):
    def put(body):
        return manager.put("/regions/shanghai/health-settings", body)

    wrong_region = put({"coaching_links": {"visit_notes": HZ_LINK}})
    assert wrong_region.status_code == 422
    assert "coaching_links.visit_notes" in wrong_region.get_json()["error"]["fields"]
    assert put({"coaching_links": {"visit_notes": "procurement-led-hospitals/talk_tracks/nope"}}).status_code == 422
    assert put({"coaching_links": {"not_an_indicator": LINK}}).status_code == 422
    assert put({"thresholds": {"card_use": {"threshold": 0.6, "green": 0.4}}}).status_code == 422
    assert put({"warnings": {"min_deals": 1}}).status_code == 422
    assert put({"warnings": {"packs": {"proposal": ["hangzhou-medical-hub"]}}}).status_code == 422
    assert put({"color": "red"}).get_json()["error"]["code"] == "malformed_request"
    assert manager.put("/regions/nowhere/health-settings", {}).get_json()["error"]["code"] == "region_not_found"
    ok = put({"coaching_links": {"visit_notes": LINK}, "coaching": {"streak": 4}, "warnings": {"min_deals": 8}})
    assert ok.status_code == 200
    got = manager.get("/regions/shanghai/health-settings").get_json()
    assert got["coaching"]["streak"] == 4 and got["warnings"]["min_deals"] == 8 and got["coaching_links"] == {
        "visit_notes": LINK}
    hz = Api(client, "manager.hz@demo.battlemap")
    assert hz.get("/regions/shanghai/health-settings").status_code == 403
    assert hz.put("/regions/hangzhou/health-settings", {"coaching_links": {"card_use": HZ_LINK}}).status_code == 200


def test_managers_see_the_health_of_their_regions_only(app, client, rep, manager):
    hz = Api(client, "manager.hz@demo.battlemap")
    assert hz.get("/health?region=shanghai").status_code == 403
    assert {r["rep"]["region"] for r in hz.get("/health").get_json()["reps"]} == {"hangzhou"}
    assert hz.get("/health/reps/1").status_code == 403
    assert hz.get("/health?grid=sh-xuhui").status_code == 403
    assert manager.get("/health?region=atlantis").status_code == 422
    shanghai = {r["rep"]["email"] for r in manager.get("/health?grid=sh-xuhui").get_json()["reps"]}
    assert "rep@demo.battlemap" in shanghai and "rep4@demo.battlemap" not in shanghai
    admin = Api(client, "admin@demo.battlemap")
    assert {r["rep"]["region"] for r in admin.get("/health").get_json()["reps"]} == {"shanghai", "hangzhou"}


def test_a_comparison_for_a_place_is_recorded_and_counts_as_a_proposal(app, rep, manager):
    with app.app_context():
        place = db.session.scalars(select(Place).where(Place.region_id == 1, Place.budget_cny.is_not(None),
                                                       Place.category == "tier3_hospital")).first()
        place_id = place.id
    rep.send(visit_events(utcnow() - 2 * DAY, place_id))
    body = {"budget_min": 200000, "budget_max": 800000, "needs": ["超声"], "category": "tier3_hospital"}
    response = rep.post("/solutions/compare", {**body, "place_id": place_id})
    assert response.status_code == 200, response.get_json()
    assert rep.post("/solutions/compare", {**body, "place_id": 999_999}).get_json()["error"]["code"] == \
        "place_not_found"
    with app.app_context():
        [stored] = db.session.scalars(select(Event).where(Event.type == "comparison")).all()
        assert stored.place_id == place_id and stored.user_id == 1 and stored.data["options"]
    row = next(i for i in manager.get("/health/reps/1").get_json()["indicators"]
               if i["code"] == "proposal_after_budget")
    assert (row["numerator"], row["denominator"]) == (1, 1) and stored.id in row["units"][0]["event_ids"]
    assert rep.post("/solutions/compare", body).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event).where(Event.type == "comparison")) == 1


def test_an_outcome_may_say_the_deals_stage_and_steps(rep):
    place = 1
    rep.send([ev("outcome", utcnow(), place, result="advanced", stage="proposal", steps=["poc", "security_audit"])])
    bad = rep.post("/events", {"events": [ev("outcome", utcnow(), place, result="advanced", stage="poc"),
                                          ev("outcome", utcnow(), place, result="advanced", steps=["Security Audit"])]})
    assert [r["status"] for r in bad.get_json()["results"]] == ["rejected", "rejected"]
    assert [sorted(r["error"]["fields"]) for r in bad.get_json()["results"]] == [["data.stage"], ["data.steps[0]"]]


# -- regional early warning --------------------------------------------------------------------------------

def _deal_reports(place: int, entered: datetime, days: float, *, still_in: bool, steps=()) -> list[dict]:
    out = [ev("outcome", entered - 2 * DAY, place, result="advanced", stage="discovery"),
           ev("outcome", entered, place, result="advanced", stage="proposal", steps=list(steps))]
    last = entered + timedelta(days=days)
    out.append(ev("outcome", last, place, result="no_decision" if still_in else "advanced",
                  stage="proposal" if still_in else "negotiation", steps=list(steps) if still_in else []))
    return out


def _warn(app, now=None) -> list[dict]:
    with app.app_context():
        return [{"kind": w.kind, "evidence": w.evidence} for w in jobs.detect_region_warnings(now=now)]


@pytest.mark.parametrize(("recent_deals", "warned"), [(4, False), (6, True)])
def test_a_lengthening_stage_warns_the_region_but_never_from_a_handful_of_deals(app, rep, recent_deals, warned):
    places = shanghai_places(app, 20)
    now = utcnow()
    events = [e for i, p in enumerate(places[:6]) for e in _deal_reports(p, now - (70 - 5 * i) * DAY, 4,
                                                                          still_in=False)]
    events += [e for p in places[6:6 + recent_deals] for e in _deal_reports(p, now - 12 * DAY, 11, still_in=True)]
    rep.send(events)
    raised = [w for w in _warn(app) if w["kind"] == "stage_longer"]
    assert bool(raised) == warned
    if warned:
        [w] = raised
        e = w["evidence"]
        assert e["stage"] == "proposal" and e["recent"]["deals"] == 6 and e["history"]["deals"] == 6
        assert e["history"]["median_days"] == 4.0 and e["increase_days"] == 7.0 and e["p_value"] < 0.05
        assert {d["place_id"] for d in e["deals"]} == set(places[6:12]) and all(d["open"] for d in e["deals"])
        assert e["why"][0]["rule"] == "warning_stage_longer" and e["test"] == "log_rank"
        assert _warn(app) == [], "one warning per stage while the shift lasts"


def test_warnings_name_the_deals_and_the_packs_that_may_help_for_their_managers_only(app, client, rep, manager):
    places = shanghai_places(app, 20)
    now = utcnow()
    events = [e for i, p in enumerate(places[:8]) for e in _deal_reports(p, now - (60 - 5 * i) * DAY, 4,
                                                                          still_in=False, steps=["poc"])]
    events += [e for p in places[8:16] for e in _deal_reports(p, now - 12 * DAY, 11, still_in=True,
                                                               steps=["poc", "security_audit"])]
    rep.send(events)
    assert {w["kind"] for w in _warn(app)} == {"stage_longer", "step_more_often"}
    items = manager.get("/warnings?region=shanghai").get_json()["items"]
    step = next(w for w in items if w["kind"] == "step_more_often" and w["subject"] == "security_audit")
    assert step["evidence"]["recent"]["with_step"] == 8 and step["evidence"]["history"]["with_step"] == 0
    assert step["why"][0]["detail"].startswith("近14天，8个商机中有8个经历了「security_audit」（100％，以往为 0％）")
    stage = next(w for w in items if w["kind"] == "stage_longer")
    assert "方案提报" in stage["why"][0]["detail"]
    assert all(p["components"] for p in stage["evidence"]["packs"])
    hz = Api(client, "manager.hz@demo.battlemap")
    assert hz.get("/warnings?region=shanghai").status_code == 403
    assert hz.get("/warnings").get_json()["items"] == []


# -- the demo ----------------------------------------------------------------------------------------------

def test_the_simulated_month_gives_indicators_a_coaching_alert_and_warnings(app, runner, manager):
    result = runner.invoke(args=["demo", "simulate", "--days", "28"])
    assert result.exit_code == 0, result.output
    body = manager.get("/health?region=shanghai").get_json()
    assert len(body["reps"]) == 5 and body["grids"]
    for row in body["reps"]:
        assert all(i["denominator"] > 0 for i in row["indicators"]), row["rep"]["email"]
    alerts = manager.get("/coaching-alerts?region=shanghai").get_json()["items"]
    assert any(a["rep"]["email"] == "rep2@demo.battlemap" and a["indicator"] == "visit_notes" for a in alerts)
    kinds = {(w["kind"], w["subject"]) for w in manager.get("/warnings?region=shanghai").get_json()["items"]}
    assert {("stage_longer", "proposal"), ("step_more_often", "security_audit")} <= kinds
    assert manager.get("/digests?region=shanghai").get_json()["items"]
