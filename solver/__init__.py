"""Battlemap solution comparison: three options a guide can stand behind — pure Python, no Flask.

Each option is the optimum of a small integer program solved by HiGHS (scipy). Over a pre-filtered pool
of candidates (items fitting the request's channel, place category and counter type, priced within
``budget_max``, covering a requested need — the cheapest few per need × device/non-device × tier — plus
the hosts they require), with x_i ∈ {0..max_qty} units of item i and z_i ∈ {0, 1} "chosen":

* coverage: for each need n, Σ x_i over items covering n ≥ quantity(n); when some candidate *device*
  covers n ("the need calls for a device") only devices count, so every option has a device for it;
* rules: Σ z_i ≤ 1 per slot; z_i + z_j ≤ 1 for excludes; z_i ≤ Σ_{j ∈ requires_any(i)} z_j;
* budget: 1 ≤ Σ p_i x_i ≤ budget_max (never an empty or ¥0 option).

Objectives, solved in order, each above the previous one:

* **economy** — least cost covering every need (ties: lower tier). When no full cover fits the budget,
  the program maximises the number of needs met (y_n ∈ {0, 1} in the coverage rows, weight above any
  cost), then cost; the needs it meets become the target of all three options (``fit = "partial"``).
* **standard** — best value: least *effective* cost Σ p_i x_i (1 − 0.30 r_i − 0.05 s_i) (r = tier rank
  0/1/2, s = promise strength in [0, 1]) with cost ≥ economy + ¥1, cost ≤ the midpoint between economy
  and budget_max (relaxed to budget_max − 1, then budget_max, when nothing fits), and spend-weighted tier
  Σ p r x / Σ p x ≥ economy's (linear: Σ p_i (r_i − t) x_i ≥ 0).
* **premium** — best tier and service: maximise Σ p_i x_i (r_i − t_std − 0.5 + 0.1 s_i) (spend on items
  a tier above the standard's, with strong promises) with cost ≥ standard + ¥1, cost ≤ budget_max,
  spend-weighted tier ≥ standard's, and no need covered more than quantity + 1 times (dropped if that
  alone makes it infeasible). If no premium exists above that standard, the standard is re-chosen as the
  cheapest bundle above economy and premium is tried again.

Strictly rising prices make the three bundles different (a no-good cut is implied). Words are never
produced here: ``why`` entries are ``{"rule": code, "facts": {...}}`` (codes in :data:`WHY_CODES`).
See docs/solutions.md.
"""

from .catalog import CAP_PER_GROUP, Catalog
from .compare import WHY_CODES, compare
from .model import (
    FITS,
    KINDS,
    OPTION_KEYS,
    PROMISE_KINDS,
    TIER_RANK,
    TIERS,
    CatalogError,
    Closest,
    Comparison,
    Line,
    Option,
    Product,
    Promise,
    Request,
    RequestError,
)
from .promises import merge as merge_promises
from .promises import parse as parse_promise

__all__ = [
    "CAP_PER_GROUP",
    "FITS",
    "KINDS",
    "OPTION_KEYS",
    "PROMISE_KINDS",
    "TIERS",
    "TIER_RANK",
    "WHY_CODES",
    "Catalog",
    "CatalogError",
    "Closest",
    "Comparison",
    "Line",
    "Option",
    "Product",
    "Promise",
    "Request",
    "RequestError",
    "compare",
    "merge_promises",
    "parse_promise",
]
