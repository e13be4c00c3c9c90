"""The sequential test: honest under daily looks, finds real effects, and its answers are consistent."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learning import Arm, Design, decide, rate_interval


def _daily(rng: random.Random, rates: list[float], days: int, per_day: int, design: Design):
    """Exposures arrive each day for every variant; the verdict is read every day; first decision wins."""
    counts = [[0, 0] for _ in rates]
    for day in range(days):
        for c, p in zip(counts, rates, strict=True):
            for _ in range(per_day):
                c[0] += 1
                c[1] += rng.random() < p
        v = decide([Arm(chr(65 + i), n, s) for i, (n, s) in enumerate(counts)], design)
        if v.status != "running":
            return v, day
    return v, days


def test_peeking_every_day_keeps_the_false_winner_rate_below_alpha():
    rng = random.Random(7)
    runs = [_daily(rng, [0.3, 0.3], days=56, per_day=6, design=Design())[0] for _ in range(400)]
    false_winners = sum(v.status == "winner" for v in runs)
    assert false_winners / len(runs) <= 0.05


def test_a_fixed_horizon_z_test_read_daily_would_not_be_honest():
    """The reason for the sequential test: the naive daily z-test on the same data crowns far more winners."""
    from scipy.stats import norm

    rng = random.Random(7)
    naive = 0
    for _ in range(400):
        a = b = sa = sb = 0
        for _day in range(56):
            for _ in range(6):
                a += 1
                b += 1
                sa += rng.random() < 0.3
                sb += rng.random() < 0.3
            pa, pb = sa / a, sb / b
            pooled = (sa + sb) / (a + b)
            se = (pooled * (1 - pooled) * (1 / a + 1 / b)) ** 0.5
            if a >= 100 and se and 2 * norm.sf(abs(pb - pa) / se) < 0.05:
                naive += 1
                break
    assert naive / 400 > 0.10


def test_a_real_lift_is_found_and_the_better_variant_wins():
    rng = random.Random(11)
    runs = [_daily(rng, [0.30, 0.45], days=30, per_day=10, design=Design())[0] for _ in range(200)]
    winners = [v.winner for v in runs if v.status == "winner"]
    assert len(winners) / len(runs) >= 0.8
    assert winners.count("B") == len(winners)


def test_no_verdict_before_the_minimum_sample_even_with_a_huge_gap():
    v = decide([Arm("A", 99, 0), Arm("B", 99, 99)], Design(min_exposures=100))
    assert (v.status, v.reason) == ("running", "min_sample")
    v = decide([Arm("A", 100, 0), Arm("B", 100, 100)], Design(min_exposures=100))
    assert (v.status, v.winner) == ("winner", "B")


def test_equivalent_variants_end_as_no_difference_and_so_does_the_sample_cap():
    v = decide([Arm("A", 20000, 6000), Arm("B", 20000, 6010)], Design(max_exposures=10**6))
    assert (v.status, v.reason) == ("no_difference", "equivalent")
    v = decide([Arm("A", 500, 150), Arm("B", 500, 170)], Design(max_exposures=500, margin=0.0))
    assert (v.status, v.reason) == ("no_difference", "max_sample")


def test_with_three_variants_the_winner_must_beat_both_others():
    clear = decide([Arm("A", 400, 120), Arm("B", 400, 124), Arm("C", 400, 220)])
    assert (clear.status, clear.winner) == ("winner", "C")
    only_one = decide([Arm("A", 400, 120), Arm("B", 400, 215), Arm("C", 400, 220)])
    assert only_one.status == "running"


def test_bad_counts_are_refused():
    with pytest.raises(ValueError):
        Arm("A", 10, 11)
    with pytest.raises(ValueError):
        Design(alpha=0)


counts = st.tuples(st.integers(0, 3000), st.floats(0, 1)).map(lambda t: (t[0], round(t[0] * t[1])))


@settings(max_examples=300, deadline=None)
@given(a=counts, b=counts)
def test_renaming_or_swapping_variants_never_changes_the_verdict(a, b):
    one = decide([Arm("A", *a), Arm("B", *b)])
    two = decide([Arm("B", *b), Arm("A", *a)])
    assert (one.status, one.winner, one.reason) == (two.status, two.winner, two.reason)


@settings(max_examples=300, deadline=None)
@given(arm=counts)
def test_a_rate_interval_holds_the_rate_and_narrows_with_more_exposures(arm):
    n, s = arm
    iv = rate_interval(Arm("A", n, s))
    if n == 0:
        assert iv is None
        return
    lo, hi = iv
    assert 0 <= lo <= s / n <= hi <= 1
    wider = rate_interval(Arm("A", n * 4, s * 4))
    assert wider[1] - wider[0] <= hi - lo + 1e-12


@settings(max_examples=200, deadline=None)
@given(n=st.integers(100, 3000), s=st.integers(0, 3000), extra=st.integers(1, 500))
def test_more_successes_for_the_leader_never_turn_a_winner_into_a_loser(n, s, extra):
    s = min(s, n)
    base = decide([Arm("A", n, s), Arm("B", n, min(n, s + extra))])
    more = decide([Arm("A", n, s), Arm("B", n, min(n, s + extra + extra))])
    if base.status == "winner":
        assert base.winner == "B" and (more.status, more.winner) == ("winner", "B")


def test_is_pure():
    """Does importing the learning package stay clear of Flask, SQLAlchemy and the app?"""
    import subprocess
    import sys

    code = "import sys, learning; print(any(m.split('.')[0] in ('flask', 'sqlalchemy', 'app') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=".")
    assert out.stdout.strip() == "False"
