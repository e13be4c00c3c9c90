"""The offline bundle: the rep's territory, cards equal to the server's popups, versions, delta, ETag, gzip."""

import gzip
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import BundleManifest, Place, Region, User, Zone
from app.services import sync as sync_service
from app.services.geo_state import bump_version
from app.services.scenarios import compose_popup, rep_facts
from content_packs.engine import SHOWABLE_KINDS
from tests.test_auth import assert_error_shape
from tests.test_packs_api import PACK, reviewed_manager

URL = "/api/v1/sync/bundle"
SECTIONS = ("places", "zones", "packs", "components", "cards")
# A weekday afternoon inside the demo's 16:30–20:30 rule window, held still so two requests see the same cards.
NOW = datetime(2026, 11, 24, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(sync_service, "clock", lambda: NOW)


@pytest.fixture
def rep_headers(auth):
    return auth.headers()


def fetch(client, headers, **query):
    response = client.get(URL, headers={**headers, "Accept-Encoding": "gzip"}, query_string=query)
    assert response.status_code == 200, response.get_data()
    assert response.headers["Content-Encoding"] == "gzip"
    return json.loads(gzip.decompress(response.data)), response


def test_bundle_holds_the_reps_territory(app, client, rep_headers):
    """Does the full bundle carry exactly the places and zones of the rep's region, with names and settings?"""
    with app.app_context():
        hangzhou = db.session.scalar(select(Region).where(Region.key == "hangzhou"))
        db.session.add(Place(key="hz-far-away", name="杭州某医院", category="tier3_hospital", lat=30.25, lon=120.16,
                             radius_m=500, region_id=hangzhou.id))
        bump_version()
        db.session.commit()
        rep = db.session.scalar(select(User).where(User.email == "rep@demo.battlemap"))
        place_ids = set(db.session.scalars(select(Place.id).where(Place.region_id == rep.region_id)))
        zone_ids = set(db.session.scalars(select(Zone.id).where(Zone.region_id == rep.region_id)))
    body, _ = fetch(client, rep_headers)
    assert body["full"] is True and body["since"] is None
    assert body["version"].startswith("b") and len(body["version"]) == 17
    assert body["rep"]["id"] == rep.id and body["rep"]["region"]["key"] == "shanghai"
    assert body["rep"]["skill_level"] == "intermediate"
    assert body["settings"]["fence"]["cooldown_s"] == app.config["FENCE_COOLDOWN_S"]
    assert body["settings"]["notice_days"] == app.config["POPUP_NOTICE_DAYS"]
    assert body["names"]["categories"]["tier3_hospital"]["zh"] == "三甲医院"
    assert body["names"]["zone_types"]["procurement_led"]["en"]
    upserts = body["upserts"]
    assert set(upserts) == set(SECTIONS)
    assert {int(k) for k in upserts["places"]} == place_ids and len(place_ids) >= 40
    assert {int(k) for k in upserts["zones"]} == zone_ids
    assert set(upserts["cards"]) == set(upserts["places"])
    assert body["removed"] == {section: [] for section in SECTIONS}
    hospital = next(p for p in upserts["places"].values() if p["category"] == "tier3_hospital")
    assert {"id", "key", "name", "category", "lat", "lon", "radius_m", "address", "tags", "zone", "context"} \
        <= set(hospital)
    assert hospital["zone"]["type"] and hospital["context"]["procurement_notices"]
    assert all(c["background"] is None for c in hospital["context"]["contacts"] if not c["consent"])
    zone = next(iter(upserts["zones"].values()))
    assert {"id", "key", "name", "type", "shell", "holes"} <= set(zone) and len(zone["shell"]) >= 4


def test_every_card_is_the_popup_the_server_would_push(app, client, rep_headers):
    """Resolving a card's refs gives the very components (ids and texts) and why that compose_popup gives."""
    body, _ = fetch(client, rep_headers)
    upserts = body["upserts"]
    with app.app_context():
        rep = rep_facts(db.session.scalar(select(User).where(User.email == "rep@demo.battlemap")))
        cards_with_tracks = 0
        for key, card in upserts["cards"].items():
            popup = compose_popup(rep=rep, place_id=int(key), distance_m=None, now=NOW, record=False)
            assert card["place_id"] == int(key) and card["event"] == "enter_place"
            assert card["pack"] == (popup["pack"]["id"] if popup["pack"] else None)
            assert card["zone"] == popup["zone"]
            for kind in SHOWABLE_KINDS:
                resolved = [upserts["components"][ref] for ref in card["components"][kind]]
                assert resolved == popup[kind], (key, kind)
                for ref in card["components"][kind]:
                    pack_key, ref_kind, _ = ref.split("/")
                    assert ref_kind == kind and pack_key in upserts["packs"]
            assert card["why"] == [w for w in popup["why"] if w.get("rule") != "fence_entered"]
            assert all(w.get("rule") != "fence_entered" for w in card["why"])
            if card["pack"]:
                assert upserts["packs"][card["pack"]]["version"] == popup["pack"]["version"]
            cards_with_tracks += bool(card["components"]["talk_tracks"])
    assert cards_with_tracks >= 20, "most demo places have a pack with talk-tracks"


def test_dwell_card_only_where_a_rule_asks(app, client, rep_headers):
    body, _ = fetch(client, rep_headers)
    with app.app_context():
        rep = rep_facts(db.session.scalar(select(User).where(User.email == "rep@demo.battlemap")))
        for key, card in body["upserts"]["cards"].items():
            dwell = compose_popup(rep=rep, place_id=int(key), distance_m=None, event="dwell", now=NOW,
                                  record=False, only_if_rules=True)
            if dwell is None:
                assert card["dwell"] is None
            else:
                assert card["dwell"]["event"] == "dwell"
                assert [body["upserts"]["components"][r] for r in card["dwell"]["components"]["talk_tracks"]] \
                    == dwell["talk_tracks"]


def test_etag_304_and_plain_body_without_gzip(client, rep_headers):
    """Same content → same version; since or If-None-Match equal to it → 304 with no body; no gzip unless asked."""
    plain = client.get(URL, headers=rep_headers)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert plain.headers["Cache-Control"] == "no-store" and "Accept-Encoding" in plain.headers["Vary"]
    version = plain.get_json()["version"]
    assert plain.headers["ETag"] == f'"{version}"'
    body, zipped = fetch(client, rep_headers)
    assert body["version"] == version, "the version is a content hash"
    assert len(zipped.data) * 3 < len(plain.data)
    for response in (client.get(URL, headers=rep_headers, query_string={"since": version}),
                     client.get(URL, headers={**rep_headers, "If-None-Match": f'"{version}"'})):
        assert response.status_code == 304
        assert response.data == b""
        assert response.headers["ETag"] == f'"{version}"'
    assert client.get(URL, headers={**rep_headers, "If-None-Match": '"b0000000000000000"'}).status_code == 200


def test_delta_after_a_pack_edit_carries_only_what_changed(app, client, auth, rep_headers):
    """After one talk-track title changes and one counter is dropped, since=<old> sends just those, small."""
    old, old_response = fetch(client, rep_headers)
    refs = [r for card in old["upserts"]["cards"].values() for r in card["components"]["talk_tracks"]]
    track_ref = next(r for r in refs if r.startswith(f"{PACK}/"))
    counter_refs = {r for card in old["upserts"]["cards"].values() for r in card["components"]["counters"]
                    if r.startswith(f"{PACK}/")}
    manager = reviewed_manager(app, client, auth)  # the demo asks for a second reviewer
    body = manager.body()
    track_id = track_ref.split("/")[2]
    for track in body["talk_tracks"]:
        if track["id"] == track_id:
            track["title"] = "科室调研（2027 版）"
    dropped = sorted(counter_refs)[0].split("/")[2]
    body["counters"] = [c for c in body["counters"] if c["id"] != dropped]
    manager.release(manager.new_version(body))

    new, new_response = fetch(client, rep_headers, since=old["version"])
    assert new["full"] is False and new["since"] == old["version"]
    assert new["version"] != old["version"]
    upserts = new["upserts"]
    assert set(upserts["packs"]) == {PACK} and upserts["packs"][PACK]["version"] == 2
    assert upserts["components"][track_ref]["title"] == "科室调研（2027 版）"
    changed = set(upserts["components"])
    assert track_ref in changed
    assert all(ref.startswith(f"{PACK}/") for ref in changed), "other packs' components did not change"
    assert upserts["places"] == {} and upserts["zones"] == {}
    assert all(card["pack"] == PACK for card in upserts["cards"].values())
    assert 0 < len(upserts["cards"]) < len(old["upserts"]["cards"])
    assert new["removed"]["components"] == [f"{PACK}/counters/{dropped}"]
    assert all(not new["removed"][s] for s in SECTIONS if s != "components")
    assert len(new_response.data) * 2 < len(old_response.data)
    # The delta applied to the old bundle is the new full bundle.
    full, _ = fetch(client, rep_headers)
    assert full["full"] is True and full["version"] == new["version"]
    merged = {s: {k: v for k, v in old["upserts"][s].items() if k not in new["removed"][s]} for s in SECTIONS}
    for section in SECTIONS:
        merged[section].update(upserts[section])
    assert merged == full["upserts"]


def test_unknown_or_foreign_since_gives_the_full_bundle(app, client, auth, rep_headers):
    body, _ = fetch(client, rep_headers, since="b-never-handed-out")
    assert body["full"] is True and body["since"] == "b-never-handed-out"
    assert len(body["upserts"]["places"]) >= 40
    other, _ = fetch(client, auth.headers("rep2@demo.battlemap"))
    assert other["version"] != body["version"], "versions are per rep (the rep is part of the content)"
    mine, _ = fetch(client, rep_headers, since=other["version"])
    assert mine["full"] is True, "another rep's version is not a base for a delta"


def test_manifests_are_pruned_per_rep(app, client, rep_headers, monkeypatch):
    """Only the newest MANIFESTS_PER_REP versions of a rep are kept; an older since then gets the full bundle."""
    monkeypatch.setattr(sync_service, "MANIFESTS_PER_REP", 2)
    first, _ = fetch(client, rep_headers)
    for minute in (1, 2):  # a new minute, a new time-window fact → a new version
        monkeypatch.setattr(sync_service, "clock", lambda m=minute: NOW.replace(minute=m))
        fetch(client, rep_headers)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BundleManifest)) == 2
    again, _ = fetch(client, rep_headers, since=first["version"])
    assert again["full"] is True


@pytest.mark.parametrize(("query", "status", "code"), [
    ({"since": "b" * 65}, 422, "invalid_values"),
    ({"since": ""}, 422, "invalid_values"),
    ({"bogus": "1"}, 400, "malformed_request"),
])
def test_bad_query_is_an_error_shape(client, rep_headers, query, status, code):
    error = assert_error_shape(client.get(URL, headers=rep_headers, query_string=query), status, code)
    assert error["fields"]


def test_bundle_needs_a_token(client):
    assert_error_shape(client.get(URL), 401)
