"""Talk-track experiments: exposures joined to the outcomes that followed them, the verdict, the promotion of a
winner into a draft under review and the onboarding collection, and who may see what (docs/experiments.md)."""

import random
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ContentPack, Experiment, OnboardingItem, PackVersion, Popup, Region, User, UserRegion
from app.services import events, experiments
from app.services.auth import hash_password
from content_packs.engine import pick_variant
from tests.conftest import DEMO_PASSWORD

PACK = "procurement-led-hospitals"
TRACK = "pl-tt-proposal-vbp"
NOW = datetime(2026, 11, 30, 12, 0)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


@pytest.fixture
def setup(app):
    with app.app_context():
        experiments.judge_all(now=NOW)
        exp = db.session.scalar(select(Experiment).where(Experiment.talk_track_id == TRACK))
        pack = db.session.scalar(select(ContentPack).where(ContentPack.key == PACK))
        live = next(v for v in pack.versions if v.status == "published")
        rep = db.session.scalar(select(User).where(User.email == "rep@demo.battlemap"))
        place_id = db.session.execute(select(Popup.place_id)).scalar() or 1
        yield {"exp_id": exp.id, "version_id": live.id, "rep": rep, "place_id": place_id}


def _popup(setup, variant: str, at: datetime, *, rep: User | None = None, place_id: int | None = None) -> str:
    pid = str(uuid.uuid4())
    db.session.add(Popup(id=pid, rep_id=(rep or setup["rep"]).id, place_id=place_id or setup["place_id"],
                         pack_version_id=setup["version_id"], shown={}, variants={TRACK: variant}, why=[],
                         created_at=at))
    db.session.commit()
    return pid


def _outcome(user: User, at: datetime, place_id: int, result="won", popup_id=None):
    results = events.record_events(user=user, raw_events=[{
        "id": str(uuid.uuid4()), "type": "outcome", "at": _iso(at), "place_id": place_id, "popup_id": popup_id,
        "data": {"result": result}}])
    assert results[0]["status"] == "accepted", results


def _counts(setup, now=NOW):
    exp = db.session.get(Experiment, setup["exp_id"])
    return {c.variant: c for c in experiments.counts(exp, now=now)}


def test_every_published_talk_track_with_variants_is_an_experiment_once(app, setup):
    with app.app_context():
        tracks = set(db.session.scalars(select(Experiment.talk_track_id)))
        published = db.session.scalars(select(PackVersion).where(PackVersion.status == "published")).all()
        expected = {t["id"] for v in published for t in v.body.get("talk_tracks", [])
                    if len(t.get("variants") or []) > 1}
        assert tracks == expected and TRACK in tracks
        assert experiments.sync(now=NOW) == []


def test_an_outcome_three_days_after_the_card_counts_and_twenty_days_after_does_not(app, setup):
    with app.app_context():
        rep = db.session.merge(setup["rep"])
        early = _popup(setup, "A", NOW - timedelta(days=30))
        _outcome(rep, NOW - timedelta(days=27), setup["place_id"], popup_id=early)
        late = _popup(setup, "B", NOW - timedelta(days=40))
        _outcome(rep, NOW - timedelta(days=20), setup["place_id"], popup_id=late)
        counts = _counts(setup)
        assert (counts["A"].exposures, counts["A"].successes) == (1, 1)
        assert (counts["B"].exposures, counts["B"].successes) == (1, 0)


def test_an_outcome_naming_only_the_place_joins_the_card_that_preceded_it(app, setup):
    with app.app_context():
        rep = db.session.merge(setup["rep"])
        _popup(setup, "A", NOW - timedelta(days=30))
        _popup(setup, "B", NOW - timedelta(days=25))  # the later card at the same place is the one before
        _outcome(rep, NOW - timedelta(days=24), setup["place_id"])
        counts = _counts(setup)
        assert (counts["A"].successes, counts["B"].successes) == (0, 1)
        other = db.session.scalar(select(User).where(User.email == "rep2@demo.battlemap"))
        _outcome(other, NOW - timedelta(days=29), setup["place_id"])  # someone else's deal: not this card's
        assert _counts(setup)["A"].successes == 0


def test_lost_deals_and_exposures_still_inside_their_window_count_as_they_should(app, setup):
    with app.app_context():
        rep = db.session.merge(setup["rep"])
        lost = _popup(setup, "A", NOW - timedelta(days=30))
        _outcome(rep, NOW - timedelta(days=28), setup["place_id"], result="lost", popup_id=lost)
        _popup(setup, "A", NOW - timedelta(days=3))  # window open, nothing yet: not counted either way
        won_early = _popup(setup, "B", NOW - timedelta(days=2))
        _outcome(rep, NOW - timedelta(days=1), setup["place_id"], result="advanced", popup_id=won_early)
        counts = _counts(setup)
        assert (counts["A"].exposures, counts["A"].successes, counts["A"].shown) == (1, 0, 2)
        assert (counts["B"].exposures, counts["B"].successes) == (1, 1)


def test_a_rep_keeps_the_same_variant_with_the_same_client_and_uses_both_across_clients():
    track = {"id": TRACK, "variants": [{"id": "A", "lines": ["a"]}, {"id": "B", "lines": ["b"]}]}
    for rep in range(30):
        assert all(pick_variant(rep, track, place_id=p)["id"] == pick_variant(rep, track, place_id=p)["id"]
                   for p in range(20))
    seen = {pick_variant(7, track, place_id=p)["id"] for p in range(40)}
    assert seen == {"A", "B"}


def _decide_b(app, setup, n=160):
    """n matured exposures per variant: B succeeds far more often than A."""
    rng = random.Random(3)
    rep = db.session.merge(setup["rep"])
    batch = []
    for i in range(n):
        for variant, rate in (("A", 0.2), ("B", 0.6)):
            at = NOW - timedelta(days=60, minutes=i * 7 + (variant == "B"))
            pid = _popup(setup, variant, at)
            if rng.random() < rate:
                batch.append({"id": str(uuid.uuid4()), "type": "outcome", "at": _iso(at + timedelta(days=2)),
                              "place_id": setup["place_id"], "popup_id": pid, "data": {"result": "won"}})
    for i in range(0, len(batch), 400):
        events.record_events(user=rep, raw_events=batch[i:i + 400])


def test_a_winner_becomes_exactly_one_draft_in_review_never_published_and_joins_onboarding(app, setup):
    with app.app_context():
        _decide_b(app, setup)
        decided = experiments.judge_all(now=NOW)
        exp = db.session.get(Experiment, setup["exp_id"])
        assert exp in decided and (exp.status, exp.winner) == ("winner", "B")
        pack = db.session.scalar(select(ContentPack).where(ContentPack.key == PACK))
        promoted = db.session.get(PackVersion, exp.promoted_version_id)
        assert promoted.status == "in_review" and promoted.published_at is None
        assert pack.published_version.id != promoted.id
        track = next(t for t in promoted.body["talk_tracks"] if t["id"] == TRACK)
        assert "variants" not in track
        base = pack.published_version.body
        winner = next(v for t in base["talk_tracks"] if t["id"] == TRACK for v in t["variants"] if v["id"] == "B")
        assert track["lines"] == winner["lines"]
        assert f"experiment #{exp.id}" in promoted.note and "winner B" in promoted.note
        experiments.judge_all(now=NOW + timedelta(days=7))
        experiments.judge_all(now=NOW + timedelta(days=14))
        drafts = db.session.scalar(select(func.count()).select_from(PackVersion).where(
            PackVersion.pack_id == pack.id, PackVersion.note.contains(f"experiment #{exp.id}")))
        assert drafts == 1
        item = db.session.scalar(select(OnboardingItem).where(OnboardingItem.component_id == TRACK))
        assert item.variant == "B" and item.source["experiment"] == exp.id


def test_managers_see_the_experiments_of_their_regions_only(app, client, setup):
    with app.app_context():
        other = Region(key="hz-test", name="杭州测试")
        db.session.add(other)
        db.session.flush()
        stranger = User(email="m.hz.test@demo.battlemap", name="外区经理", role="manager", region_id=other.id,
                        password_hash=hash_password(DEMO_PASSWORD))
        db.session.add(stranger)
        db.session.flush()
        db.session.add(UserRegion(user_id=stranger.id, region_id=other.id))
        db.session.commit()

    def token(email):
        r = client.post("/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD})
        return {"Authorization": f"Bearer {r.get_json()['token']}"}

    mine = client.get("/api/v1/experiments?region=shanghai", headers=token("manager@demo.battlemap"))
    assert mine.status_code == 200
    body = next(e for e in mine.get_json()["items"] if e["talk_track_id"] == TRACK)
    assert body["pack"]["id"] == PACK and body["status"] == "running" and body["window_days"] == 14
    assert [v["variant"] for v in body["variants"]] == ["A", "B"]
    assert {"variant", "exposures", "successes", "rate", "interval"} <= set(body["variants"][0])
    theirs = client.get("/api/v1/experiments", headers=token("m.hz.test@demo.battlemap"))
    assert theirs.status_code == 200 and theirs.get_json()["items"] == []
    one = client.get(f"/api/v1/experiments/{setup['exp_id']}", headers=token("m.hz.test@demo.battlemap"))
    assert one.status_code == 403
    rep = client.get("/api/v1/experiments", headers=token("rep@demo.battlemap"))
    assert rep.status_code == 403


def test_a_manager_sets_the_window_and_metric_of_a_running_experiment(app, client, setup):
    r = client.post("/api/v1/auth/login", json={"email": "manager@demo.battlemap", "password": DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {r.get_json()['token']}"}
    ok = client.patch(f"/api/v1/experiments/{setup['exp_id']}", headers=headers,
                      json={"window_days": 7, "metric": "won"})
    assert ok.status_code == 200 and ok.get_json()["window_days"] == 7 and ok.get_json()["metric"] == "won"
    bad = client.patch(f"/api/v1/experiments/{setup['exp_id']}", headers=headers, json={"window_days": 0})
    assert bad.status_code == 422 and "window_days" in bad.get_json()["error"]["fields"]
