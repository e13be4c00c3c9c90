"""Experiment verdicts (``learning/``): honest under daily looks, and powerful enough to find a real lift.

Run with ``.venv/bin/python -m bench.run experiments``. Seeded; each figure from this one run:

1. 1,000 A/A experiments (both variants succeed 30% of the time), exposures arriving daily (Poisson, 300
   per variant over 8 weeks), the verdict read every day for 8 weeks: the share that ever declare a
   winner (target ≤ 5%). Baseline: a fixed-horizon two-proportion z-test read daily on the same data (the
   "peeking" every dashboard invites).
2. 1,000 A/B experiments, 30% vs 45%, the same daily looks until 300 exposures per variant: the share in
   which the better variant is declared the winner (target ≥ 80%), and the median exposures per variant at
   the decision.
3. The cost of one verdict (µs), which the weekly job and the console pay per experiment.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from scipy.stats import norm

from learning import Arm, Design, decide

SEED = 20261201
N_EXPERIMENTS = 1000
DAYS = 56
PER_VARIANT = 300


def _paths(rng, rates, days=DAYS, total=PER_VARIANT):
    """Cumulative (exposures, successes) per day per variant: arrays of shape (variants, days)."""
    out = []
    for p in rates:
        daily = rng.poisson(total / days, days)
        succ = rng.binomial(daily, p)
        out.append((np.cumsum(daily), np.cumsum(succ)))
    return out


def _first_decision(paths, design):
    for day in range(len(paths[0][0])):
        arms = [Arm(chr(65 + i), int(n[day]), int(s[day])) for i, (n, s) in enumerate(paths)]
        v = decide(arms, design)
        if v.status != "running":
            return v, arms[0].exposures
    return v, int(paths[0][0][-1])


def _naive_daily_z(paths, alpha=0.05, min_n=100):
    (na, sa), (nb, sb) = paths
    for day in range(len(na)):
        a, b = na[day], nb[day]
        if a < min_n or b < min_n:
            continue
        pooled = (sa[day] + sb[day]) / (a + b)
        se = (pooled * (1 - pooled) * (1 / a + 1 / b)) ** 0.5
        if se and 2 * norm.sf(abs(sb[day] / b - sa[day] / a) / se) < alpha:
            return True
    return False


def run() -> list[dict]:
    design = Design()
    rng = np.random.default_rng(SEED)
    aa = [_paths(rng, (0.30, 0.30)) for _ in range(N_EXPERIMENTS)]
    t = time.perf_counter()
    aa_verdicts = [_first_decision(p, design)[0] for p in aa]
    calls_s = time.perf_counter() - t
    aa_winners = sum(v.status == "winner" for v in aa_verdicts)
    naive = sum(_naive_daily_z(p) for p in aa)
    ab = [_paths(rng, (0.30, 0.45)) for _ in range(N_EXPERIMENTS)]
    ab_results = [_first_decision(p, design) for p in ab]
    detected = [(v, n) for v, n in ab_results if v.status == "winner" and v.winner == "B"]
    wrong = sum(1 for v, _ in ab_results if v.status == "winner" and v.winner != "B")
    looks = sum(DAYS for _ in aa)  # upper bound on verdicts computed in section 1
    rows = [
        {"name": f"A/A false-winner share, daily looks for {DAYS} days ({N_EXPERIMENTS} experiments)",
         "value": aa_winners / N_EXPERIMENTS, "unit": "share (target ≤ 0.05)",
         "baseline": "fixed-horizon z-test read daily", "baseline_value": naive / N_EXPERIMENTS, "ratio": None},
        {"name": f"A/A ended no_difference within {DAYS} days", "value":
            sum(v.status == "no_difference" for v in aa_verdicts) / N_EXPERIMENTS, "unit": "share"},
        {"name": f"A/B 0.30 vs 0.45 detected by {PER_VARIANT} exposures per variant ({N_EXPERIMENTS} experiments)",
         "value": len(detected) / N_EXPERIMENTS, "unit": "share (target ≥ 0.80)"},
        {"name": "A/B wrong winner declared", "value": wrong / N_EXPERIMENTS, "unit": "share"},
        {"name": "A/B median exposures per variant at the decision",
         "value": statistics.median(n for _, n in detected) if detected else float("nan"), "unit": "exposures"},
        {"name": "verdict cost (2 variants)", "value": calls_s / looks * 1e6, "unit": "µs (upper bound)"},
    ]
    return rows
