"""The always-valid sequential test of an A/B(/n) experiment on a success rate (see the package docstring)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

from scipy.stats import norm

STATUSES = ("running", "winner", "no_difference")


@dataclass(frozen=True)
class Arm:
    """One variant's counts so far: exposures whose window has closed, and those followed by a success."""

    variant: str
    exposures: int
    successes: int

    def __post_init__(self):
        if self.exposures < 0 or not 0 <= self.successes <= self.exposures:
            raise ValueError(f"bad counts for variant {self.variant!r}: {self.successes}/{self.exposures}")

    @property
    def rate(self) -> float | None:
        return self.successes / self.exposures if self.exposures else None


@dataclass(frozen=True)
class Design:
    """The manager's knobs. ``tau``: the spread of effects the test is tuned to find (difference in rate;
    0.1 ≈ "ten points better"); ``min_exposures``: no verdict before every variant has this many;
    ``max_exposures``: past this many per variant without a winner the answer is ``no_difference``;
    ``margin``: a difference smaller than this does not matter (an interval inside ±margin is
    ``no_difference``)."""

    alpha: float = 0.05
    tau: float = 0.1
    min_exposures: int = 100
    max_exposures: int = 2000
    margin: float = 0.05

    def __post_init__(self):
        if not 0 < self.alpha < 1 or self.tau <= 0 or self.min_exposures < 1 or self.margin < 0:
            raise ValueError("alpha in (0, 1), tau > 0, min_exposures ≥ 1, margin ≥ 0")


@dataclass(frozen=True)
class Pair:
    """``b`` against ``a``: the observed difference (rate b − rate a), its always-valid interval, the
    log evidence ln Λ and the level it was tested at."""

    a: str
    b: str
    difference: float
    interval: tuple[float, float]
    log_lr: float
    alpha: float

    @property
    def significant(self) -> bool:
        return self.log_lr >= math.log(1 / self.alpha)


@dataclass(frozen=True)
class Verdict:
    """``status`` in :data:`STATUSES`; ``winner`` the variant when ``status == "winner"``; ``reason`` a code
    (``min_sample``, ``evidence``, ``equivalent``, ``max_sample``, ``single_variant``, ``undecided``)."""

    status: str
    winner: str | None
    reason: str
    arms: tuple[Arm, ...]
    intervals: dict[str, tuple[float, float] | None]
    pairs: tuple[Pair, ...]


def _variance(arm: Arm) -> float:
    # the rate's variance under the normal approximation; a rate of 0 or 1 would claim certainty from a
    # handful of exposures, so it is shrunk half a success towards the middle (Agresti–Coull-like)
    p = (arm.successes + 0.5) / (arm.exposures + 1.0)
    return p * (1.0 - p) / arm.exposures


def _log_lr(d: float, v: float, tau: float) -> float:
    """ln Λ: log marginal likelihood of d under the N(0, τ²) mixture over its likelihood under no effect."""
    return float(norm.logpdf(d, scale=math.sqrt(v + tau * tau)) - norm.logpdf(d, scale=math.sqrt(v)))


def _half_width(v: float, tau: float, alpha: float) -> float:
    """Half-width of the always-valid interval: the d with ln Λ(d) = ln(1/α), centred on the estimate."""
    t2 = tau * tau
    return math.sqrt(v * (v + t2) / t2 * (math.log((v + t2) / v) + 2.0 * math.log(1.0 / alpha)))


def rate_interval(arm: Arm, design: Design = Design()) -> tuple[float, float] | None:
    """Always-valid interval for one variant's rate (clipped to [0, 1]); None before any exposure."""
    if not arm.exposures:
        return None
    h = _half_width(_variance(arm), design.tau, design.alpha)
    return max(0.0, arm.rate - h), min(1.0, arm.rate + h)


def _pair(a: Arm, b: Arm, design: Design, alpha: float) -> Pair:
    d = b.rate - a.rate
    v = _variance(a) + _variance(b)
    h = _half_width(v, design.tau, alpha)
    return Pair(a.variant, b.variant, d, (d - h, d + h), _log_lr(d, v, design.tau), alpha)


def decide(arms: list[Arm] | tuple[Arm, ...], design: Design = Design()) -> Verdict:
    """The experiment's verdict now. Safe to call after every new exposure: the chance of ever declaring a
    winner when no variant differs is at most ``design.alpha``.

    * ``winner`` — every variant has ``min_exposures`` and one variant beats each other one with
      significant evidence (ln Λ ≥ ln((k−1)/α)) in its favour;
    * ``no_difference`` — every pair's interval lies within ±``margin`` (the variants are equivalent for
      practice), or every variant reached ``max_exposures`` without a winner;
    * ``running`` — otherwise.
    """
    arms = tuple(arms)
    intervals = {a.variant: rate_interval(a, design) for a in arms}
    if len(arms) < 2:
        return Verdict("running", None, "single_variant", arms, intervals, ())
    if any(a.exposures < design.min_exposures for a in arms):
        return Verdict("running", None, "min_sample", arms, intervals, ())
    alpha = design.alpha / (len(arms) - 1)
    pairs = tuple(_pair(a, b, design, alpha) for a, b in combinations(arms, 2))
    for arm in arms:
        beats = [p for p in pairs if arm.variant in (p.a, p.b)]
        if all(p.significant and (p.difference > 0) == (p.b == arm.variant) for p in beats):
            return Verdict("winner", arm.variant, "evidence", arms, intervals, pairs)
    if all(-design.margin < p.interval[0] and p.interval[1] < design.margin for p in pairs):
        return Verdict("no_difference", None, "equivalent", arms, intervals, pairs)
    if all(a.exposures >= design.max_exposures for a in arms):
        return Verdict("no_difference", None, "max_sample", arms, intervals, pairs)
    return Verdict("running", None, "undecided", arms, intervals, pairs)
