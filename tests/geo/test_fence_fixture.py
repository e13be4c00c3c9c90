"""The fence fixture is the contract between geo.FenceTracker and the phone's JS port (pwa/src/core/fence.js).

tests/fixtures/fence_tracks.json records what geo.FenceTracker does on ~75 tracks; pwa/src/core/fence.spec.js
asserts the JS engine gives the same events. This test asserts geo still does: a change to the fence rules
that is not regenerated into the fixture — and hence not checked against the JS — fails here.
"""

import json
from dataclasses import fields
from pathlib import Path

import pytest

from geo import FenceSettings
from geo.fence import DROP_REASONS
from scripts.make_fence_fixture import replay as generator_replay

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "fence_tracks.json"
HINT = "regenerate with scripts/make_fence_fixture.py and make the JS engine agree"
DATA = json.loads(FIXTURE.read_text(encoding="utf-8"))


def replay(track: dict) -> tuple[list[dict], dict]:
    """(place events and drops as the fixture records them, final export_state): the generator's own replay."""
    return generator_replay(track, DATA["places"])


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
