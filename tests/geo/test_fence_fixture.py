"""The fence fixture is the contract between geo.FenceTracker and the phone's JS port (pwa/src/core/fence.js).

tests/fixtures/fence_tracks.json records what geo.FenceTracker does on ~75 tracks; pwa/src/core/fence.spec.js
asserts the JS engine gives the same events. This test asserts geo still does: a change to the fence rules
that is not regenerated into the fixture — and hence not checked against the JS — fails here.
"""

import json
from dataclasses import fields
from pathlib import Path

import pytest

from geo import FenceSettings, FenceTracker, Fix, GeoIndex, PlaceSpec
from geo.fence import DROP_REASONS

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "fence_tracks.json"
HINT = "regenerate with scripts/make_fence_fixture.py and make the JS engine agree"
REP = 1
DATA = json.loads(FIXTURE.read_text(encoding="utf-8"))
SPECS = [PlaceSpec(p["id"], p["lat"], p["lon"], p["radius_m"]) for p in DATA["places"]]
INDEX = GeoIndex.build(SPECS)


def _num(v):
    """Fixture value → what the tracker gets: non-finite numbers are stored as 'NaN' / 'Infinity'."""
    return float(v) if isinstance(v, str) else v


def replay(track: dict) -> tuple[list[dict], dict]:
    """(place events and drops as the fixture records them, final export_state) for one track."""
    index = INDEX
    changes = {c["at"]: set(c["remove"]) for c in track["index_changes"]}
    removed: set[int] = set()
    tracker = FenceTracker(FenceSettings(**track["settings"]))
    out = []
    for i, f in enumerate(track["fixes"]):
        if i in changes:
            removed |= changes[i]
            index = GeoIndex.build([s for s in SPECS if s.id not in removed])
        fix = Fix(_num(f[0]), _num(f[1]), _num(f[2]), f[3], f[4] if len(f) > 4 else None)
        for e in tracker.update(REP, fix, index):
            if e.zone_id is not None:  # zones are not part of the JS engine
                continue
            ev = {"fix": i, "event": e.event, "ts_ms": e.ts_ms}
            if e.place_id is not None:
                ev["place_id"] = e.place_id
            if e.reason is not None:
                ev["reason"] = e.reason
            if e.distance_m is not None:
                ev["distance_m"] = round(e.distance_m, 6)
            out.append(ev)
    return out, tracker.export_state(REP)


def _first_difference(expected: list[dict], actual: list[dict]) -> str:
    for k, (e, a) in enumerate(zip(expected, actual, strict=False)):
        if e != a:
            return f"event #{k}: fixture {e}, geo now {a}"
    k = min(len(expected), len(actual))
    return f"event #{k}: fixture {expected[k:k + 1] or 'nothing'}, geo now {actual[k:k + 1] or 'nothing'}"


def test_default_settings_match():
    """Are FenceSettings' defaults the ones the fixture (and DEFAULT_FENCE_SETTINGS in JS) were made with?"""
    s = FenceSettings()
    assert {f.name: getattr(s, f.name) for f in fields(s)} == DATA["default_settings"], HINT


@pytest.mark.parametrize("track", DATA["tracks"], ids=[t["name"] for t in DATA["tracks"]])
def test_geo_reproduces_fixture(track):
    """Does geo.FenceTracker still give exactly the recorded events (and end in the recorded state)?"""
    events, state = replay(track)
    assert events == track["events"], f"{track['name']}: {_first_difference(track['events'], events)}; {HINT}"
    assert state == track["final_state"], f"{track['name']}: final state differs; {HINT}"


def test_fixture_covers_what_the_js_must_handle():
    """Every drop reason, every place event kind and the special exits occur; settings variants are there."""
    seen = {(e["event"], e.get("reason")) for t in DATA["tracks"] for e in t["events"]}
    missing = [r for r in DROP_REASONS if ("drop", r) not in seen]
    missing += [k for k in [("enter", None), ("exit", None), ("dwell", None), ("exit", "session_gap"),
                            ("exit", "place_removed")] if k not in seen]
    assert not missing, f"fixture lacks {missing}; {HINT}"
    names = {n for t in DATA["tracks"] for n in t["settings"]}
    assert {"filter_accel_mps2", "confirm_edge", "cooldown_s", "dwell_s", "reanchor_after"} <= names, HINT
    covers = {c for t in DATA["tracks"] for c in t["covers"]}
    assert {"walk", "edge", "dwell", "reentry", "session_gap", "duplicate", "late", "low_accuracy", "reanchor",
            "outlier", "real_jump", "drive", "accuracy_none", "invalid", "received_ms", "overlap",
            "place_removed", "boundary"} <= covers, HINT
    # the cooldown map is pruned (> 64 entries) in at least one track: more places entered than remembered
    assert any(len({e["place_id"] for e in t["events"] if e["event"] == "enter"}) > 64 > len(
        t["final_state"]["cooldown"]) for t in DATA["tracks"]), HINT
    # invalid coordinates include non-finite numbers, stored as strings (JSON has no NaN)
    assert any(isinstance(v, str) for t in DATA["tracks"] for f in t["fixes"] for v in f[:3]), HINT
    assert len(DATA["tracks"]) >= 60
    assert FIXTURE.stat().st_size < 1_500_000
