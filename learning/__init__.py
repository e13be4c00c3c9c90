"""Battlemap's learning loop, the pure part: is one talk-track variant better than the others? No Flask.

:func:`decide` judges an experiment from per-variant exposures and successes with a mixture sequential
probability ratio test (mSPRT; Johari, Pekelis & Walsh, "Always valid inference", 2017 — the test behind
Optimizely's stats engine): the evidence for a difference between two variants is the ratio of the
marginal likelihood of the observed difference under a normal mixture of effects, N(0, τ²), to its
likelihood under no effect, both with the normal approximation to the difference of two proportions —
``Λ = N(d̂; 0, V + τ²) / N(d̂; 0, V)`` (scipy.stats.norm). Λ is a nonnegative martingale under no effect,
so by Ville's inequality the chance that it *ever* reaches 1/α is at most α: a manager may look every day
and the false-winner rate stays ≤ α. Its inversion gives always-valid confidence sequences for each rate
and each difference. With k variants every pair is tested at α/(k−1) (Bonferroni over the pairs a winner
must beat). See docs/experiments.md; ``bench/bench_experiments.py`` measures the false-winner rate under
daily looks and the power.
"""

from .sequential import Arm, Design, Verdict, decide, rate_interval

__all__ = ["Arm", "Design", "Verdict", "decide", "rate_interval"]
