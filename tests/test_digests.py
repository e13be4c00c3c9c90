"""The weekly digest: built once per region and week by the scheduler's job, stored, POSTed to a real local
webhook server, ``sent_at`` on 2xx and retried at the next run otherwise; listed for the region's managers."""

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app import jobs
from app.extensions import db
from app.models import Digest
from app.services import digests
from tests.test_health import Api, coach, ev, shanghai_places, utcnow, visit_events


class Webhook:
    """A real HTTP server on 127.0.0.1 that records what is POSTed and answers ``statuses`` in turn."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append({"path": self.path, "type": self.headers["Content-Type"],
                                      "body": json.loads(body.decode("utf-8"))})
                self.send_response(hook.statuses.pop(0) if hook.statuses else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/digest"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def config_overrides(request):
    if "webhook" in request.fixturenames:
        return {"DIGEST_WEBHOOK_URL": request.getfixturevalue("webhook").url, "DIGEST_WEBHOOK_TIMEOUT_S": 5}
    return {}


def _last_week(app):
    with app.app_context():
        return digests.last_complete_week(utcnow())


def _run(app, now=None):
    with app.app_context():
        return [(d.region_id, d.week_start, d.sent_at is not None) for d in jobs.weekly_digests(now=now)]


def _activity_last_week(app, client):
    """Cards, feedback, a win and a coaching alert in the last complete week, all through the services."""
    rep = Api(client, "rep@demo.battlemap")
    monday = _last_week(app)
    at = datetime.combine(monday, datetime.min.time()) + timedelta(days=1, hours=2)  # Tuesday 10:00 local
    places = shanghai_places(app, 8)
    events = []
    for i, place in enumerate(places[:3]):
        popup = f"00000000-0000-4000-8000-00000000000{i}"
        events += [ev("card_shown_offline", at + timedelta(hours=i), place, popup, distance_m=40.0),
                   ev("card_feedback", at + timedelta(hours=i, minutes=5), place, popup,
                      rating="used" if i < 2 else "not_helpful")]
    events.append(ev("outcome", at + timedelta(hours=5), places[0], result="won"))
    rep.send(events)
    rep.send([e for i in range(3) for e in visit_events(at + timedelta(days=i, hours=3), places[3 + i], note=None)])
    return coach(app, now=at + timedelta(days=4))


def test_the_weekly_job_builds_one_digest_per_region_posts_it_and_retries_until_2xx(app, client, webhook):
    [alert] = _activity_last_week(app, client)
    webhook.statuses = [500, 503]  # the first run's two POSTs fail
    first = _run(app)
    assert sorted(r for r, *_ in first) == [1, 2] and not any(sent for *_, sent in first)
    assert len(webhook.received) == 2
    posted = next(r["body"] for r in webhook.received if r["body"]["region"] == "shanghai")
    assert webhook.received[0]["path"] == "/hooks/digest" and webhook.received[0]["type"].startswith(
        "application/json")
    assert posted["type"] == "battlemap.digest" and posted["week_start"] == _last_week(app).isoformat()
    body = posted["digest"]
    assert body["used"]["cards_shown"] == 3 and body["used"]["used_or_helpful"] == 2
    assert body["outcomes"]["won"] == 1
    [coached] = body["coaching"]
    assert coached["rep"]["id"] == 1 and [a["id"] for a in coached["alerts"]] == [alert]
    assert coached["alerts"][0]["indicator"] == "visit_notes"

    second = _run(app)  # nothing new to build; both retried, the server now says 204
    assert sorted(second) == [(1, _last_week(app), True), (2, _last_week(app), True)]
    assert len(webhook.received) == 4
    assert _run(app) == [] and len(webhook.received) == 4, "sent digests are not sent again"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Digest)) == 2
        assert all(d.sent_at for d in db.session.scalars(select(Digest)))


def test_an_unreachable_webhook_leaves_the_digest_unsent(app, webhook):
    webhook.close()  # nobody listens on the port any more
    assert [sent for *_, sent in _run(app)] == [False, False]
    with app.app_context():
        assert all(d.sent_at is None for d in db.session.scalars(select(Digest)))


def test_without_a_webhook_the_digest_is_stored_and_shown_only(app, client):
    assert [sent for *_, sent in _run(app)] == [False, False]
    assert _run(app) == []
    manager = Api(client, "manager@demo.battlemap")
    items = manager.get("/digests?region=shanghai").get_json()["items"]
    assert [d["region"] for d in items] == ["shanghai"] and items[0]["sent_at"] is None
    one = manager.get(f"/digests/{items[0]['id']}").get_json()
    assert one["body"]["region"]["key"] == "shanghai" and one["week_start"] == _last_week(app).isoformat()


def test_digests_are_listed_newest_first_for_the_regions_managers_only(app, client):
    week = _last_week(app)
    for weeks_back in (2, 0, 1):
        _run(app, now=utcnow() - timedelta(weeks=weeks_back))
    manager = Api(client, "manager@demo.battlemap")
    starts = [d["week_start"] for d in manager.get("/digests?region=shanghai").get_json()["items"]]
    assert starts == [(week - timedelta(weeks=w)).isoformat() for w in (0, 1, 2)]
    hz = Api(client, "manager.hz@demo.battlemap")
    assert {d["region"] for d in hz.get("/digests").get_json()["items"]} == {"hangzhou"}
    shanghai_id = manager.get("/digests?region=shanghai").get_json()["items"][0]["id"]
    assert hz.get(f"/digests/{shanghai_id}").status_code == 403
    assert Api(client, "rep@demo.battlemap").get("/digests").status_code == 403
    assert manager.get("/digests/99999").get_json()["error"]["code"] == "digest_not_found"


def test_the_learning_jobs_are_declared_for_the_scheduler():
    assert {"learning.coach_reps", "learning.region_warnings", "learning.weekly_digests"} <= set(jobs.JOBS_BY_ID)
    assert jobs.JOBS_BY_ID["learning.weekly_digests"].every_s <= 3600  # weekly digests, retried hourly
