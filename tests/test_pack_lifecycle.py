"""Content pack lifecycle: transitions, scheduled publishing and expiry (jobs called directly), rollback,
expired compliance notes, and ``pack.updated`` reaching exactly the reps in scope (issue 4)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app import jobs
from app.extensions import db
from app.models import PackVersion
from app.services.pack_queries import live_compliance_notes, published_packs
from tests.test_auth import assert_error_shape
from tests.test_packs_api import PACK, add_user, iso, reviewed_manager, small_pack, utcnow

REPS = ["rep", "rep2", "rep3", "rep4", "rep5", "guide"]  # skill: intermediate, junior, senior, junior, senior


@pytest.fixture
def manager(app, client, auth):
    """The shanghai manager; shanghai's second review is on and manager2 approves (as in the demo)."""
    return reviewed_manager(app, client, auth)


def statuses(app, key: str = PACK) -> dict[int, str]:
    from app.services.pack_queries import find_pack

    with app.app_context():
        pack = find_pack(key)
        rows = db.session.scalars(select(PackVersion).where(PackVersion.pack_id == pack.id))
        return {v.number: v.status for v in rows}


def live(app, key: str = PACK):
    with app.app_context():
        return next(((p.version, p.body) for p in published_packs() if p.key == key), None)


def pack_updates(sock) -> list[dict]:
    return [m["args"][0] for m in sock.get_received("/field") if m["name"] == "pack.updated"]


@pytest.fixture
def sockets(field):
    """One open /field socket per demo rep and guide, keyed by the email's local part."""
    return {name: field(f"{name}@demo.battlemap") for name in REPS}


def received(socks: dict) -> dict[str, list[dict]]:
    return {name: pack_updates(sock) for name, sock in socks.items()}


def edit(manager, **changes) -> int:
    return manager.new_version({**manager.body(), **changes})


def test_draft_review_publish_supersedes_the_live_version(app, manager):
    """Does draft → in_review → published make v2 live and v1 superseded, and do popups use v2?"""
    number = edit(manager, name="集采主导型·三甲医院作战包 2027")
    assert statuses(app) == {1: "published", 2: "draft"}
    submitted = manager.step(number, "submit", json={"note": "ready"}).get_json()
    assert submitted["status"] == "in_review" and submitted["submitted_at"]
    manager.approve(number)
    published = manager.step(number, "publish").get_json()
    assert published["status"] == "published" and published["live"] and published["published_at"]
    assert statuses(app) == {1: "superseded", 2: "published"}
    version, body = live(app)
    assert version == 2 and body["name"] == "集采主导型·三甲医院作战包 2027"
    pack = manager.get(f"/packs/{PACK}").get_json()
    assert (pack["live_version"], pack["name"]) == (2, "集采主导型·三甲医院作战包 2027")


def test_publishing_a_draft_that_was_never_submitted_is_409(app, manager):
    """Can an unreviewed draft go live? (No: 409 invalid_transition, and nothing changes.)"""
    number = edit(manager, name="改名")
    error = assert_error_shape(manager.step(number, "publish"), 409, "invalid_transition")
    assert "submit" in error["message"]
    assert statuses(app) == {1: "published", 2: "draft"}


@pytest.mark.parametrize(("setup", "action", "status"), [
    ([], "reject", "draft"),
    (["submit"], "submit", "in_review"),
    (["submit", "publish"], "publish", "published"),
    (["submit", "publish"], "submit", "published"),
    (["submit", "reject"], "publish", "rejected"),
    (["submit", "reject"], "submit", "rejected"),
])
def test_illegal_transitions_are_409(app, manager, setup, action, status):
    number = edit(manager, name="改名")
    for step in setup:
        if step == "publish":
            manager.approve(number)
        assert manager.step(number, step).status_code == 200
    error = assert_error_shape(manager.step(number, action), 409, "invalid_transition")
    assert error["fields"] == {"status": [status]}
    assert statuses(app)[number] == status


def test_a_rejected_version_is_edited_in_a_new_draft(app, manager):
    """After a rejection, does the manager continue in a new draft based on the rejected one?"""
    number = edit(manager, name="改名")
    manager.step(number, "submit")
    rejected = manager.step(number, "reject", json={"reason": "开场白太长"}).get_json()
    assert rejected["status"] == "rejected"
    body = manager.body(PACK, number)
    fixed = manager.new_version({**body, "description": "更短的开场。"}, based_on=number)
    assert manager.get(f"/packs/{PACK}/versions/{fixed}").get_json()["based_on"] == number
    manager.release(fixed)
    assert statuses(app) == {1: "superseded", 2: "rejected", 3: "published"}
    audit = manager.get("/audit", pack=PACK).get_json()["items"]
    assert any(e["action"] == "version.rejected" and e["detail"] == {"reason": "开场白太长"} for e in audit)


def test_bodies_never_change_after_creation(manager):
    """Is a version's body the same after submit, publish, supersede and rollback?"""
    number = edit(manager, name="改名")
    before = manager.body(PACK, number)
    manager.release(number)
    manager.post(f"/packs/{PACK}/rollback", {"version": 1})
    assert manager.body(PACK, number) == before


def test_rollback_republishes_an_earlier_version(app, manager, sockets):
    """Does rollback make v1 live again (the same version, not a copy) and tell the reps it is v1?"""
    manager.release(edit(manager, name="改名"))
    received(sockets)  # drop the publish notifications
    response = manager.post(f"/packs/{PACK}/rollback", {"version": 1})
    assert response.status_code == 200
    assert (response.get_json()["number"], response.get_json()["status"]) == (1, "published")
    assert statuses(app) == {1: "published", 2: "superseded"}
    assert live(app)[0] == 1
    got = received(sockets)
    assert all(got[name] == [{"pack_id": PACK, "version": 1}] for name in ["rep", "rep2", "rep3", "rep4", "rep5"])
    assert got["guide"] == [], "the pack's audience is reps only"
    entry = manager.get("/audit", pack=PACK).get_json()["items"][0]
    assert (entry["action"], entry["from_version"], entry["to_version"]) == ("version.rolled_back", 2, 1)


def test_rollback_to_a_version_that_never_went_live_is_409(app, manager):
    draft = edit(manager, name="改名")
    assert_error_shape(manager.post(f"/packs/{PACK}/rollback", {"version": draft}), 409, "invalid_transition")
    assert_error_shape(manager.post(f"/packs/{PACK}/rollback", {"version": 1}), 409, "invalid_transition")
    assert_error_shape(manager.post(f"/packs/{PACK}/rollback", {"version": 9}), 404)
    assert_error_shape(manager.post(f"/packs/{PACK}/rollback", {"version": "1"}), 400)
    assert statuses(app) == {1: "published", 2: "draft"}


def test_scheduled_publishing_runs_when_its_time_comes(app, manager, sockets):
    """Does the job publish an in-review version only once publish_at has passed, and push pack.updated?"""
    number = edit(manager, name="改名")
    manager.step(number, "submit")
    manager.approve(number)
    publish_at = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    assert manager.step(number, "schedule", json={"publish_at": iso(publish_at)}).status_code == 200
    with app.app_context():
        assert jobs.publish_due_versions(now=publish_at - timedelta(minutes=1)) == []
    assert statuses(app) == {1: "published", 2: "in_review"}
    assert received(sockets)["rep"] == []
    with app.app_context():
        [change] = jobs.publish_due_versions(now=publish_at + timedelta(seconds=30))
        assert jobs.publish_due_versions(now=publish_at + timedelta(minutes=2)) == [], "runs once"
    assert (change.pack_key, change.version) == (PACK, 2)
    assert statuses(app) == {1: "superseded", 2: "published"}
    got = received(sockets)
    assert got["rep3"] == [{"pack_id": PACK, "version": 2}]
    assert got["guide"] == []
    entry = manager.get("/audit", pack=PACK).get_json()["items"][0]
    assert (entry["action"], entry["actor"], entry["from_version"], entry["to_version"]) == \
        ("version.published", None, 1, 2)
    assert entry["detail"]["by"] == "scheduler"


def test_a_rejected_version_is_not_published_by_its_schedule(app, manager):
    number = edit(manager, name="改名")
    manager.step(number, "submit")
    manager.approve(number)
    publish_at = utcnow() + timedelta(hours=1)
    assert manager.step(number, "schedule", json={"publish_at": iso(publish_at)}).status_code == 200
    manager.step(number, "reject")
    with app.app_context():
        assert jobs.publish_due_versions(now=publish_at + timedelta(hours=1)) == []
    assert statuses(app) == {1: "published", 2: "rejected"}


def test_expiry_leaves_the_pack_without_a_live_version(app, manager, sockets):
    """When expires_at passes, is the version expired, the pack dark, and are its reps told version null?"""
    expires_at = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    response = manager.step(1, "schedule", json={"expires_at": iso(expires_at)})
    assert response.status_code == 200 and response.get_json()["expires_at"] == iso(expires_at)
    with app.app_context():
        assert jobs.expire_due_versions(now=expires_at - timedelta(seconds=1)) == []
        assert [p.key for p in published_packs(now=expires_at - timedelta(seconds=1))].count(PACK) == 1
        assert PACK not in [p.key for p in published_packs(now=expires_at)], "hidden even before the job runs"
    assert live(app) is not None
    with app.app_context():
        [change] = jobs.expire_due_versions(now=expires_at + timedelta(minutes=1))
    assert (change.pack_key, change.version) == (PACK, None)
    assert statuses(app) == {1: "expired"}
    assert live(app) is None
    assert manager.get(f"/packs/{PACK}").get_json()["live_version"] is None
    got = received(sockets)
    assert all(got[name] == [{"pack_id": PACK, "version": None}] for name in ["rep", "rep2", "rep3", "rep4", "rep5"])
    assert got["guide"] == []
    entry = manager.get("/audit", pack=PACK).get_json()["items"][0]
    assert (entry["action"], entry["from_version"], entry["to_version"], entry["actor"]) == \
        ("version.expired", 1, None, None)

    # Nothing is live until something is published again: a rollback to the expired version clears its
    # expiry once that has passed (the service is called with the same simulated clock as the job).
    from app.models import User
    from app.services import pack_lifecycle

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "manager@demo.battlemap"))
        version, change = pack_lifecycle.rollback(user=user, key=PACK, number=1,
                                                now=expires_at + timedelta(minutes=2))
        assert (version.status, version.expires_at, change.version) == ("published", None, 1)
    assert live(app)[0] == 1


def test_expired_compliance_notes_are_never_shown():
    """Is a compliance note shown up to and including its expires_on day, and never after?"""
    body = {"compliance_notes": [
        {"id": "a", "title": "t", "text": "x"},
        {"id": "b", "title": "t", "text": "x", "expires_on": "2027-06-30"},
        {"id": "c", "title": "t", "text": "x", "expires_on": "2027-06-29"},
    ]}
    assert [n["id"] for n in live_compliance_notes(body, date(2027, 6, 30))] == ["a", "b"]
    assert [n["id"] for n in live_compliance_notes(body, date(2027, 7, 1))] == ["a"]
    assert [n["id"] for n in live_compliance_notes(body, date(2027, 1, 1))] == ["a", "b", "c"]
    assert live_compliance_notes({}, date(2027, 1, 1)) == []


def test_shipped_pack_compliance_notes_expire(app):
    """The demo hospital pack has a note expiring 2027-06-30: gone the day after."""
    _, body = live(app)
    dated = [n for n in body["compliance_notes"] if n.get("expires_on") == "2027-06-30"]
    assert dated
    shown_after = {n["id"] for n in live_compliance_notes(body, date(2027, 7, 1))}
    assert not shown_after & {n["id"] for n in dated}
    assert len(live_compliance_notes(body, date(2026, 1, 1))) == len(body["compliance_notes"])


def test_pack_updated_reaches_exactly_the_reps_in_scope(app, manager, sockets, field):
    """A pack for junior reps of shanghai: do rep2 and rep4 get pack.updated — and nobody else, not even a
    junior rep of hangzhou or the managers?"""
    add_user(app, "hz-junior@demo.battlemap", role="rep", region="hangzhou", skill_level="junior")
    outsider = field("hz-junior@demo.battlemap")
    manager_sock = field("manager@demo.battlemap")
    key = "night-clinic-visits"
    assert manager.post("/packs", {"body": small_pack(key, skill_levels=["junior"])}).status_code == 201
    manager.step(1, "submit", key)
    manager.approve(1, key)
    assert received(sockets) == {name: [] for name in REPS}, "drafts, reviews and approvals push nothing"
    manager.step(1, "publish", key)
    got = received(sockets)
    assert got == {"rep": [], "rep2": [{"pack_id": key, "version": 1}], "rep3": [],
                   "rep4": [{"pack_id": key, "version": 1}], "rep5": [], "guide": []}
    assert pack_updates(outsider) == []
    assert pack_updates(manager_sock) == []


def test_narrowing_a_pack_tells_those_who_lose_it_too(app, manager, sockets):
    """v2 narrows the audience to seniors: every rep who saw v1 hears of v2 (to drop it); the guide never."""
    body = manager.body()
    manager.release(manager.new_version({**body, "audience": {"roles": ["rep"], "skill_levels": ["senior"]}}))
    got = received(sockets)
    assert all(got[name] == [{"pack_id": PACK, "version": 2}] for name in ["rep", "rep2", "rep3", "rep4", "rep5"])
    assert got["guide"] == []
    # From now on only the seniors are in scope: v3 (still seniors only) reaches rep3 and rep5 alone.
    manager.release(manager.new_version({**manager.body(PACK, 2), "description": "只给资深销售的打法。"}))
    got = received(sockets)
    assert {name for name, events in got.items() if events} == {"rep3", "rep5"}
    assert got["rep3"] == [{"pack_id": PACK, "version": 3}]


def test_a_guide_pack_reaches_guides(app, manager, sockets):
    key = "counter-talk"
    manager.post("/packs", {"body": small_pack(key, roles=["guide"], prefix="ct")})
    manager.release(1, key)
    got = received(sockets)
    assert got["guide"] == [{"pack_id": key, "version": 1}]
    assert all(got[name] == [] for name in ["rep", "rep2", "rep3", "rep4", "rep5"])
