"""Replay: "why didn't I get the popup at 10:05 yesterday?" answered the same way every time."""

import io
import json

import pytest
from geo_helpers import offset

from geo import FenceSettings, Fix, GeoIndex, PlaceSpec, ZoneSpec, read_track_csv, replay, replay_fixes

HOSPITAL = (31.2304, 121.4737)
T0 = 1_700_000_000_000


@pytest.fixture
def index():
    zone = ZoneSpec(5, "private_hospital_dense", [(121.40, 31.20), (121.50, 31.20), (121.50, 31.26), (121.40, 31.26)])
    return GeoIndex.build([PlaceSpec(1, *HOSPITAL, 500.0)], [zone])


@pytest.fixture
def track(tmp_path):
    rows = ["rep_id,ts,lat,lon,accuracy_m"]
    # rep 7 walks in from 2 km east, stays 6 minutes, walks out; with a late fix and a vague one
    for i, d in enumerate([2000, 1500, 1000, 600, 400, 200, 150, 150, 150, 150, 150, 150, 150, 800, 1500]):
        lat, lon = offset(*HOSPITAL, d, 90)
        rows.append(f"7,{T0 + i * 40_000},{lat:.7f},{lon:.7f},{'' if i == 4 else 15}")
    rows.append(f"7,{T0 + 3 * 40_000},{HOSPITAL[0]},{HOSPITAL[1]},10")  # late, out of order
    rows.append(f"8,{T0},{HOSPITAL[0]},{HOSPITAL[1]},900")  # another rep, vague fix
    path = tmp_path / "track.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_reads_rows_as_rep_and_fix(track):
    """Does the CSV reader give (rep_id, Fix) with ts in ms and an empty accuracy as None?"""
    rows = list(read_track_csv(track))
    assert len(rows) == 17
    rep, fix = rows[4]
    assert rep == 7 and isinstance(fix, Fix) and fix.accuracy_m is None and fix.ts_ms == T0 + 4 * 40_000
    assert rows[0][1].accuracy_m == 15.0
    assert list(read_track_csv(io.StringIO(track.read_text()))) == rows  # an open file works too


def test_replay_tells_the_story_and_is_deterministic(track, index):
    """Does a replay give enter zone, enter place, dwell, exit, drops — identically twice?"""
    first = [e.as_dict() for e in replay(read_track_csv(track), index, FenceSettings())]
    second = [e.as_dict() for e in replay(read_track_csv(track), index, FenceSettings())]
    assert first == second
    story = [(e["rep_id"], e["event"], e["place_id"], e["zone_id"], e["reason"]) for e in first]
    assert story == [
        (7, "enter", None, 5, None),
        (7, "enter", 1, None, None),
        (7, "dwell", 1, None, None),
        (7, "exit", 1, None, None),
        (7, "drop", None, None, "stale"),
        (8, "drop", None, None, "low_accuracy"),
    ]
    enter = next(e for e in first if e["event"] == "enter" and e["place_id"] == 1)
    assert enter["ts"] == T0 + 4 * 40_000  # first fix inside 500 m (400 m, accuracy unknown)
    json.dumps(first)  # every line is JSON-serialisable


def test_settings_change_the_answer(track, index):
    """Does a replay with a longer dwell time drop the dwell event (settings really are used)?"""
    events = [e.event for e in replay(read_track_csv(track), index, FenceSettings(dwell_s=3600))]
    assert "dwell" not in events and "enter" in events


def test_bad_csv_is_reported_with_its_line(tmp_path):
    """Are missing columns and bad numbers reported clearly?"""
    p = tmp_path / "bad.csv"
    p.write_text("rep_id,ts,lat,lon\n1,2,3,4\n")
    with pytest.raises(ValueError, match="accuracy_m"):
        list(read_track_csv(p))
    p.write_text("rep_id,ts,lat,lon,accuracy_m\n1,2,3,4,5\n1,x,3,4,5\n")
    with pytest.raises(ValueError, match="line 3"):
        list(read_track_csv(p))


def _walk(distances_m, *, start=T0, step_ms=60_000, accuracy=10):
    """rep 7 at these distances east of the hospital, one fix a minute."""
    rows = []
    for i, d in enumerate(distances_m):
        lat, lon = offset(*HOSPITAL, d, 90)
        rows.append((7, Fix(lat=lat, lon=lon, accuracy_m=accuracy, ts_ms=start + i * step_ms)))
    return rows


def test_a_return_inside_the_cooldown_is_reported_as_suppressed(index):
    """Why no second card at 10:05? The replay says: back inside the cooldown — and the live tracker stays quiet."""
    # in at minute 1, out (beyond 500 m + 50 m margin) at minute 3, back in at minute 5, out, back after 40 min
    track = _walk([1500, 100, 100, 900, 900, 100, 100, 900] + [900] * 40 + [100])
    events = [(e.event, e.place_id, e.reason, e.ts_ms) for e in replay(track, index) if e.place_id == 1]
    assert [(e, r) for e, _, r, _ in events] == [
        ("enter", None), ("exit", None), ("suppressed", "cooldown"), ("exit", None), ("enter", None)]
    assert events[2][3] == T0 + 5 * 60_000
    live = [e.event for e in replay(track, index, report_suppressed=False)]
    assert "suppressed" not in live and live.count("enter") == 3  # zone enter + two place enters
    assert [e.as_dict() for e in replay(track, index)] == [e.as_dict() for e in replay(track, index)]


def test_an_uncertain_edge_is_reported_once_until_something_happens(index):
    """A rep standing at the fence edge with a wide accuracy circle: one suppressed line, not one per fix."""
    track = _walk([2000] + [480] * 6, accuracy=80)
    suppressed = [e for e in replay(track, index) if e.event == "suppressed"]
    assert [(e.place_id, e.reason) for e in suppressed] == [(1, "uncertain_edge")]


def test_replay_fixes_pairs_each_fix_with_its_events_and_honours_resets(index):
    """A reset (None) starts a new session: the return is a fresh enter, not a suppressed one."""
    track = _walk([1500, 100, 900, 900])
    back = _walk([100], start=T0 + 5 * 60_000)
    rows = list(replay_fixes([*track, (7, None), *back], index))
    assert len(rows) == 6 and rows[4] == (7, None, [])
    assert [e.event for e in rows[5][2] if e.place_id == 1] == ["enter"]
    assert all(rows[i][1] is track[i][1] for i in range(4))
