"""Fence rules: does a rep get exactly one popup per real visit, whatever the GPS does?"""

import json
import threading

import pytest
from geo_helpers import offset

from geo import FenceEvent, FenceSettings, FenceTracker, Fix, GeoIndex, PlaceSpec, ZoneSpec

HOSPITAL = (31.2304, 121.4737)  # place 1, radius 500 m
T0 = 1_700_000_000_000
MIN = 60_000
REP = 42


def at(distance_m, bearing=90.0, origin=HOSPITAL):
    return offset(origin[0], origin[1], distance_m, bearing)


def fix(distance_m, t_ms, acc=10.0, bearing=90.0, **kw):
    lat, lon = at(distance_m, bearing)
    return Fix(lat, lon, acc, t_ms, **kw)


@pytest.fixture
def index():
    return GeoIndex.build([PlaceSpec(1, *HOSPITAL, 500.0), PlaceSpec(2, *at(3000, 0), 200.0)], version=1)


@pytest.fixture
def tracker():
    return FenceTracker(FenceSettings())


def kinds(events):
    return [(e.event, e.place_id, e.zone_id, e.reason) for e in events]


def test_first_fix_inside_enters(tracker, index):
    """Does a rep who opens the app at the hospital door get the card on the very first fix?"""
    ev = tracker.update(REP, fix(100, T0), index)
    assert kinds(ev) == [("enter", 1, None, None)]
    assert ev[0].distance_m == pytest.approx(100, abs=0.01)
    assert ev[0].rep_id == REP and ev[0].ts_ms == T0


def test_staying_inside_does_not_repeat(tracker, index):
    """Do more fixes inside the fence (within dwell time) produce nothing more?"""
    tracker.update(REP, fix(100, T0), index)
    for i, d in enumerate([50, 480, 300, 499], start=1):
        assert tracker.update(REP, fix(d, T0 + i * 30_000), index) == []


def test_exit_only_beyond_radius_plus_margin(tracker, index):
    """Does jitter just outside the edge (within the 50 m margin) keep the rep inside?"""
    tracker.update(REP, fix(400, T0), index)
    assert tracker.update(REP, fix(540, T0 + 10_000, acc=0), index) == []
    assert tracker.update(REP, fix(549, T0 + 20_000, acc=0), index) == []
    ev = tracker.update(REP, fix(551, T0 + 30_000, acc=0), index)
    assert kinds(ev) == [("exit", 1, None, None)]


def test_exit_accounts_for_accuracy(tracker, index):
    """Is a fix 600 m out with a 100 m accuracy circle still not an exit (it may be 500 m out)?"""
    tracker.update(REP, fix(400, T0), index)
    assert tracker.update(REP, fix(600, T0 + 10_000, acc=100), index) == []
    assert kinds(tracker.update(REP, fix(600, T0 + 20_000, acc=40), index)) == [("exit", 1, None, None)]


def test_reentry_within_cooldown_is_silent_then_fires_after(tracker, index):
    """Re-entering within the cooldown gives no second popup; after the cooldown it does."""
    tracker.update(REP, fix(100, T0), index)  # enter at T0
    assert kinds(tracker.update(REP, fix(700, T0 + 2 * MIN), index)) == [("exit", 1, None, None)]
    assert tracker.update(REP, fix(100, T0 + 4 * MIN), index) == []  # silent: inside again
    assert kinds(tracker.update(REP, fix(700, T0 + 6 * MIN), index)) == [("exit", 1, None, None)]
    ev = tracker.update(REP, fix(100, T0 + 30 * MIN), index)  # exactly cooldown_s after the enter
    assert kinds(ev) == [("enter", 1, None, None)]


def test_dwell_once_per_visit(tracker, index):
    """After dwell_s inside, is there exactly one dwell, and a new one on the next visit?"""
    tracker.update(REP, fix(100, T0), index)
    assert tracker.update(REP, fix(110, T0 + 4 * MIN), index) == []
    assert kinds(tracker.update(REP, fix(120, T0 + 5 * MIN), index)) == [("dwell", 1, None, None)]
    assert tracker.update(REP, fix(130, T0 + 9 * MIN), index) == []
    tracker.update(REP, fix(900, T0 + 10 * MIN), index)  # leave
    assert tracker.update(REP, fix(100, T0 + 11 * MIN), index) == []  # silent re-entry (cooldown)
    assert kinds(tracker.update(REP, fix(100, T0 + 16 * MIN), index)) == [("dwell", 1, None, None)]


def test_session_gap_resets_to_outside(tracker, index):
    """After a long silence, does the first fix inside enter again and close the old visit?"""
    tracker.update(REP, fix(100, T0), index)
    assert tracker.update(REP, fix(100, T0 + 29 * MIN), index) == [
        FenceEvent(REP, T0 + 29 * MIN, "dwell", place_id=1, distance_m=pytest.approx(100, abs=0.01))
    ]
    ev = tracker.update(REP, fix(100, T0 + 29 * MIN + 1_800_001), index)
    assert kinds(ev) == [("exit", 1, None, "session_gap"), ("enter", 1, None, None)]
    assert ev[0].ts_ms == T0 + 29 * MIN  # the exit is dated at the last fix seen inside


def test_uncertain_edge_neither_enters_nor_exits(tracker, index):
    """Is a fix whose accuracy circle straddles the edge uncertain: no enter from outside, no exit
    from inside, and no event at all (it is accepted: it still moves the rep)?"""
    assert tracker.update(REP, fix(470, T0, acc=60), index) == []  # inside, but circle pokes out
    assert kinds(tracker.update(REP, fix(430, T0 + 10_000, acc=60), index)) == [("enter", 1, None, None)]
    assert tracker.update(REP, fix(580, T0 + 20_000, acc=60), index) == []  # beyond margin, circle not
    assert tracker.export_state(REP)["last"]["ts"] == T0 + 20_000


def test_accuracy_none_is_treated_as_exact(tracker, index):
    """Does a fix without accuracy enter right at the edge?"""
    assert kinds(tracker.update(REP, fix(499, T0, acc=None), index)) == [("enter", 1, None, None)]


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        (lambda: fix(100, T0), "out_of_order"),  # same timestamp: a re-delivery
        (lambda: fix(100, T0 - 30_000), "out_of_order"),
        (lambda: fix(100, T0 - 10 * MIN), "stale"),
        (lambda: fix(100, T0 + 10_000, acc=250), "low_accuracy"),
        (lambda: Fix(*at(5000), 5.0, T0 + 10_000), "impossible_speed"),
        (lambda: Fix(95.0, 0.0, 5.0, T0 + 10_000), "invalid"),
        (lambda: Fix(31.2, float("nan"), 5.0, T0 + 10_000), "invalid"),
        (lambda: Fix(31.2, 121.4, -1.0, T0 + 10_000), "invalid"),
        (lambda: fix(100, T0 + 10_000, received_ms=T0 + 10_000 + 5 * MIN), "stale"),
        (lambda: fix(100, T0 + 60 * MIN, received_ms=T0 + 10_000), "future_timestamp"),
    ],
)
def test_every_drop_says_why_and_changes_nothing(tracker, index, second, reason):
    """Is each kind of bad fix dropped with its reason, leaving the rep's position and fences untouched?"""
    tracker.update(REP, fix(900, T0), index)  # outside, accepted
    before = tracker.export_state(REP)
    ev = tracker.update(REP, second(), index)
    assert kinds(ev) == [("drop", None, None, reason)]
    after = tracker.export_state(REP)
    after.pop("jump"), before.pop("jump")  # a too-fast fix is remembered as a re-anchor candidate
    assert after == before


def test_low_accuracy_first_fix_is_dropped(tracker, index):
    """Does a vague first fix (cell tower) not enter anything?"""
    assert kinds(tracker.update(REP, fix(0, T0, acc=800), index)) == [("drop", None, None, "low_accuracy")]
    assert tracker.export_state(REP)["last"] is None


def test_speed_check_gives_the_benefit_of_accuracy(tracker, index):
    """Is a 150 m jump in 1 s between two 80 m-accuracy fixes plausible (jitter), but 5 km in 10 s not?"""
    tracker.update(REP, fix(1000, T0, acc=80), index)
    assert tracker.update(REP, fix(1150, T0 + 1000, acc=80), index) == []
    ev = tracker.update(REP, fix(6150, T0 + 11_000, acc=10), index)
    assert kinds(ev) == [("drop", None, None, "impossible_speed")]


def test_consistent_jump_reanchors(tracker, index):
    """If the last accepted fix was the glitch, do consistent fixes at the new spot take over?"""
    far = (31.3304, 121.4737)  # ~11 km north
    tracker.update(REP, Fix(*far, 10.0, T0), index)
    ev = [tracker.update(REP, fix(100 + i, T0 + (i + 1) * 1000), index) for i in range(3)]
    assert kinds(ev[0]) == [("drop", None, None, "impossible_speed")]
    assert kinds(ev[1]) == [("drop", None, None, "impossible_speed")]
    assert kinds(ev[2]) == [("enter", 1, None, None)]


def test_inconsistent_outliers_do_not_reanchor(tracker, index):
    """Do scattered wild fixes stay dropped?"""
    tracker.update(REP, fix(1000, T0), index)
    for i, bearing in enumerate((0, 120, 240, 0, 120, 240)):
        lat, lon = offset(*HOSPITAL, 30_000, bearing)
        ev = tracker.update(REP, Fix(lat, lon, 10.0, T0 + (i + 1) * 1000), index)
        assert kinds(ev) == [("drop", None, None, "impossible_speed")]


def test_timestamps_not_wall_clock_drive_time(index):
    """Do two trackers fed the same fixes agree exactly, whatever time it is now?"""
    fixes = [fix(d, T0 + i * 50_000) for i, d in enumerate([900, 300, 200, 250, 800, 100, 90, 95, 2000])]
    a, b = FenceTracker(), FenceTracker()
    assert [a.update(REP, f, index) for f in fixes] == [b.update(REP, f, index) for f in fixes]


def test_reps_are_independent(tracker, index):
    """Does one rep's state never leak into another's?"""
    assert kinds(tracker.update(1, fix(100, T0), index)) == [("enter", 1, None, None)]
    assert kinds(tracker.update(2, fix(100, T0), index)) == [("enter", 1, None, None)]
    tracker.forget(1)
    assert kinds(tracker.update(1, fix(100, T0 + 1000), index)) == [("enter", 1, None, None)]
    assert tracker.update(2, fix(100, T0 + 1000), index) == []


def test_state_survives_a_reconnect_via_json(tracker, index):
    """Exported state, through JSON, restores a rep so that no duplicate popup fires."""
    tracker.update(REP, fix(100, T0), index)
    blob = json.dumps(tracker.export_state(REP))
    other = FenceTracker()
    other.import_state(REP, json.loads(blob))
    assert other.update(REP, fix(120, T0 + MIN), index) == []
    moved = {k: other.export_state(REP)[k] for k in ("last", "filter")}  # the new fix moves these only
    assert other.export_state(REP) == tracker.export_state(REP) | moved
    other.import_state(REP, {"version": 1, "last": None})
    assert kinds(other.update(REP, fix(120, T0 + 2 * MIN), index)) == [("enter", 1, None, None)]
    with pytest.raises(ValueError):
        other.import_state(REP, {"version": 99})


def test_new_index_removing_a_place_closes_the_visit(tracker, index):
    """When a place is deleted and the index swapped, does the rep get an exit instead of a ghost?"""
    tracker.update(REP, fix(100, T0), index)
    new = GeoIndex.build([PlaceSpec(2, *at(3000, 0), 200.0)], version=2)
    assert kinds(tracker.update(REP, fix(100, T0 + MIN), new)) == [("exit", 1, None, "place_removed")]


def test_moved_place_uses_new_position(tracker, index):
    """When a place moves 2 km in a new index version, does the rep inside the old spot exit?"""
    tracker.update(REP, fix(100, T0), index)
    moved = GeoIndex.build([PlaceSpec(1, *at(2000, 180), 500.0)], version=2)
    assert kinds(tracker.update(REP, fix(100, T0 + MIN), moved)) == [("exit", 1, None, None)]


def test_overlapping_places_enter_nearest_first(tracker):
    """Two fences containing the fix: both enter, nearest first."""
    idx = GeoIndex.build([PlaceSpec(10, *at(300, 0), 500.0), PlaceSpec(11, *at(100, 180), 500.0)])
    assert [e.place_id for e in tracker.update(REP, fix(0, T0), idx)] == [11, 10]


def test_zone_enter_exit_with_margin_and_uncertain_edge(tracker):
    """Zone changes emit enter/exit with zone_id; the boundary gets the same hysteresis as places."""
    # a zone whose east edge is 1 km east of the hospital, with a hole 3 km north
    east = at(1000, 90)[1]
    west = at(5000, 270)[1]
    south, north = at(5000, 180)[0], at(5000, 0)[0]
    h = [offset(*at(3000, 0), 300, b)[::-1] for b in (0, 90, 180, 270)]
    zone = ZoneSpec(77, "procurement_led", [(west, south), (east, south), (east, north), (west, north)], [h])
    idx = GeoIndex.build([], [zone])
    assert idx.zone_edge_within(77, *at(960), 50) and not idx.zone_edge_within(77, *at(900), 50)
    assert kinds(tracker.update(REP, fix(2000, T0), idx)) == []
    assert tracker.update(REP, fix(980, T0 + MIN, acc=30), idx) == []  # inside but straddling
    assert kinds(tracker.update(REP, fix(900, T0 + 2 * MIN, acc=30), idx)) == [("enter", None, 77, None)]
    assert tracker.update(REP, fix(1040, T0 + 3 * MIN, acc=0), idx) == []  # outside, within margin
    assert kinds(tracker.update(REP, fix(1060, T0 + 4 * MIN, acc=0), idx)) == [("exit", None, 77, None)]
    tracker.update(REP, fix(0, T0 + 6 * MIN, acc=0), idx)  # walks back in (a 17 m/s leap would be a jump)
    hole_centre = at(3000, 0)
    ev = tracker.update(REP, Fix(*hole_centre, 10.0, T0 + 11 * MIN), idx)
    assert kinds(ev) == [("exit", None, 77, None)]  # the hole is outside the zone


def test_jump_needs_a_second_fix_to_enter(tracker, index):
    """Does a single fix that leaps 600 m in 10 s (a GPS outlier) stay silent, while a second fix that
    agrees with it gets the card?"""
    tracker.update(REP, fix(1100, T0), index)
    assert tracker.update(REP, fix(1095, T0 + 10_000), index) == []
    assert tracker.update(REP, fix(450, T0 + 20_000), index) == []  # outlier inside the fence: waits
    assert tracker.update(REP, fix(1090, T0 + 30_000), index) == []  # back outside: it was noise
    assert tracker.update(REP, fix(450, T0 + 40_000), index) == []  # another leap in: waits again
    ev = tracker.update(REP, fix(440, T0 + 50_000), index)  # confirmed by the next fix
    assert kinds(ev) == [("enter", 1, None, None)] and ev[0].ts_ms == T0 + 50_000


def test_jump_needs_a_second_fix_to_exit(tracker, index):
    """Does a single outlier far outside not end the visit (no exit, dwell not restarted)?"""
    tracker.update(REP, fix(100, T0), index)
    assert tracker.update(REP, fix(750, T0 + 10_000), index) == []  # 64 m/s: possible, but a leap
    assert tracker.update(REP, fix(110, T0 + 20_000), index) == []
    assert kinds(tracker.update(REP, fix(120, T0 + 5 * MIN), index)) == [("dwell", 1, None, None)]
    assert tracker.update(REP, fix(750, T0 + 5 * MIN + 10_000), index) == []  # a real leap out: waits
    ev = tracker.update(REP, fix(760, T0 + 5 * MIN + 20_000), index)  # the next fix agrees: exit
    assert kinds(ev) == [("exit", 1, None, None)]


def test_first_fix_and_plausible_moves_never_wait(tracker, index):
    """Is the card at the door immediate, and is a long but plausible move (3 km in 5 min by taxi) not
    a jump, so the next client's card comes at once too?"""
    assert kinds(tracker.update(REP, fix(100, T0), index)) == [("enter", 1, None, None)]
    ev = tracker.update(REP, Fix(*at(3000, 0), 10.0, T0 + 5 * MIN), index)
    assert kinds(ev) == [("exit", 1, None, None), ("enter", 2, None, None)]


def test_event_dict_is_the_replay_line():
    """Does as_dict give exactly the replay JSON fields, with ts in epoch ms?"""
    e = FenceEvent(3, T0, "drop", reason="stale")
    assert e.as_dict() == {"rep_id": 3, "ts": T0, "event": "drop", "place_id": None, "zone_id": None,
                           "reason": "stale"}


def test_settings_validate():
    """Are nonsensical settings refused at construction, not at 3 a.m.?"""
    with pytest.raises(ValueError):
        FenceSettings(exit_margin_m=-1)
    with pytest.raises(ValueError):
        FenceSettings(max_speed_mps=0)


def test_concurrent_updates_are_serialised(index):
    """From many threads, does every rep still get exactly one enter?"""
    tracker = FenceTracker()
    out: list = []

    def walk(rep):
        for i in range(50):
            out.extend(tracker.update(rep, fix(100 + i, T0 + i * 1000), index))

    threads = [threading.Thread(target=walk, args=(r,)) for r in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted((e.rep_id, e.event) for e in out) == [(r, "enter") for r in range(16)]


def test_barely_inside_enter_waits_for_the_next_fix_when_enabled(index):
    """With confirm_edge on: does a barely-inside fix wait for the next one (which confirms it, or not),
    while a deep fix, and the first fix of a session however shallow, still enter at once?"""
    tr = FenceTracker(FenceSettings(confirm_edge=0.5))
    assert kinds(tr.update(REP, fix(485, T0, acc=10), index)) == [("enter", 1, None, None)]  # door: at once
    tr.forget(REP)
    tr.update(REP, fix(900, T0, acc=40), index)  # outside
    assert tr.update(REP, fix(450, T0 + MIN, acc=40), index) == []  # 450 + 40 > 500 - 20: waits
    assert kinds(tr.update(REP, fix(470, T0 + 2 * MIN, acc=40), index)) == [("enter", 1, None, None)]
    tr.forget(REP)
    tr.update(REP, fix(900, T0, acc=40), index)
    assert tr.update(REP, fix(450, T0 + MIN, acc=40), index) == []
    assert tr.update(REP, fix(560, T0 + 2 * MIN, acc=40), index) == []  # next fix outside: no popup
    assert tr.update(REP, fix(450, T0 + 3 * MIN, acc=40), index) == []  # a new shallow fix waits again
    tr.forget(REP)
    tr.update(REP, fix(900, T0, acc=40), index)
    assert kinds(tr.update(REP, fix(400, T0 + MIN, acc=40), index)) == [("enter", 1, None, None)]
    assert FenceTracker().settings.confirm_edge == 0.0  # off by default


def _jittery_walk(n=40):
    """A rep walking past place 1 just outside its fence (closest 520 m), fixes jittering up to 70 m."""
    jitter = [35, -30, 10, -70, 25, -5, 40, -70, 15, -20]
    out = []
    for i in range(n):
        along = -260 + 13 * i  # 1.3 m/s, a fix every 10 s
        lat, lon = offset(*at(520, 90), along, 0)
        lat, lon = offset(lat, lon, jitter[i % 10], 90)
        out.append(Fix(lat, lon, 45.0, T0 + i * 10_000))
    return out


def test_filter_state_round_trips_and_old_states_still_load(index):
    """Does the position filter survive a reconnect exactly (same events afterwards), and do states saved
    before the filter existed still load?"""
    a, b = FenceTracker(), FenceTracker()
    fixes = _jittery_walk()
    for f in fixes[:20]:
        a.update(REP, f, index)
    state = json.loads(json.dumps(a.export_state(REP)))
    assert state["filter"] is not None and len(state["filter"]) == 9
    b.import_state(REP, state)
    assert b.export_state(REP) == a.export_state(REP)
    for f in fixes[20:]:
        assert b.update(REP, f, index) == a.update(REP, f, index)
    old = {k: v for k, v in a.export_state(REP).items() if k != "filter"}
    c = FenceTracker()
    c.import_state(REP, old)
    assert c.export_state(REP)["filter"] is None
    ev = c.update(REP, fix(100, fixes[-1].ts_ms + MIN), index)  # the filter restarts on this fix
    assert kinds(ev) == [("enter", 1, None, None)] and c.export_state(REP)["filter"] is not None
    with pytest.raises(ValueError):
        c.import_state(REP, state | {"filter": [1, 2, 3]})
    with pytest.raises(ValueError):
        c.import_state(REP, state | {"filter": [*state["filter"][:8], [1.0, 2.0]]})


def test_filter_calms_a_walk_past_the_edge(index):
    """A rep walking past 20 m outside the fence with up to 70 m of jitter: with fix-by-fix decisions a jittered
    fix pops the card; the position filter (default) averages the fixes and stays silent."""
    raw, smooth = FenceTracker(FenceSettings(filter_accel_mps2=0)), FenceTracker()
    raw_events = [e for f in _jittery_walk() for e in raw.update(REP, f, index)]
    smooth_events = [e for f in _jittery_walk() for e in smooth.update(REP, f, index)]
    assert ("enter", 1, None, None) in kinds(raw_events)
    assert smooth_events == []


def test_filter_follows_exact_fixes_and_a_real_walk_in(index):
    """Fixes reporting accuracy 0 are followed exactly; a rep walking into the fence gets the card while
    walking in, a few fixes after the edge."""
    tr = FenceTracker()
    tr.update(REP, fix(700, T0, acc=0), index)
    tr.update(REP, fix(690, T0 + 10_000, acc=0), index)
    assert tr.export_state(REP)["filter"][:2] == pytest.approx(list(at(690)), abs=1e-9)
    tr = FenceTracker()
    events = []
    for i in range(60):
        d = 700 - 13 * i  # walking in at 1.3 m/s, a fix every 10 s, accuracy 45 m
        events += [(i, e) for e in tr.update(REP, fix(d, T0 + i * 10_000, acc=45, bearing=90 + (i % 3 - 1)), index)]
    enters = [(i, e) for i, e in events if e.event == "enter"]
    assert len(enters) == 1 and 700 - 13 * enters[0][0] < 500 and 700 - 13 * enters[0][0] > 400
