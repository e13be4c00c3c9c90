"""Guarantee checks on a comparison — used by the property tests and by the benchmark on any engine.

:func:`violations` takes plain data (an engine-neutral view of the options), so the old greedy's answers
can be judged by the same rules as the solver's.
"""

from __future__ import annotations

import itertools
from collections import Counter

from .catalog import UNCAPPED, Catalog
from .model import TIER_RANK, Comparison, Request

#: Guarantee codes reported by :func:`violations`.
GUARANTEES = (
    "three_options", "distinct", "total_is_sum", "within_budget", "not_empty", "price_rises", "tier_rises",
    "device_present", "promises_consistent", "rule_requires", "rule_excludes", "rule_slot", "max_qty",
    "quantities", "fits_request",
)


def view(comparison: Comparison) -> list[dict]:
    """Options of a solver comparison as plain dicts: key, lines [(sku, qty, unit_price, amount)], total,
    promises [(covers, kind, value, unit)], covered_needs."""
    return [{
        "key": o.key, "total": o.total_price, "covered": list(o.covered_needs),
        "lines": [(ln.sku, ln.qty, ln.unit_price, ln.amount) for ln in o.items],
        "promises": [(p.covers, p.kind, p.value, p.unit) for p in o.promises],
    } for o in comparison.options]


def device_needs(catalog: Catalog, request: Request) -> frozenset[str]:
    """Requested needs some fitting device within budget covers (and whose required host, if any, fits)."""
    out = set()
    for n in request.needs:
        for i in catalog.by_need.get(n, ()):
            if catalog.is_device[i] and catalog.fits(i, request, request.budget_max):
                hosts = catalog.hosts[i]
                if not hosts or any(catalog.fits(j, request, request.budget_max) for j in hosts):
                    out.add(n)
                    break
    return frozenset(out)


def violations(catalog: Catalog, request: Request, options: list[dict], *, any_fit: bool | None = None) -> Counter:
    """Count of broken guarantees (codes in :data:`GUARANTEES`) in ``options`` for ``request``.

    ``any_fit``: whether some bundle within budget covers a need (when known); then fewer than three
    options counts as ``three_options``.
    """
    bad: Counter = Counter()
    prods = catalog.products
    if any_fit and len(options) != 3:
        bad["three_options"] += 1
    seen = set()
    dev_needs = device_needs(catalog, request)
    prev = None
    for o in options:
        qty = {sku: q for sku, q, _, _ in o["lines"]}
        key = frozenset(qty.items())
        if key in seen:
            bad["distinct"] += 1
        seen.add(key)
        if o["total"] != sum(a for _, _, _, a in o["lines"]) or any(q * u != a for _, q, u, a in o["lines"]):
            bad["total_is_sum"] += 1
        if o["total"] > request.budget_max:
            bad["within_budget"] += 1
        if not o["lines"] or o["total"] <= 0:
            bad["not_empty"] += 1
        spend = sum(a for _, _, _, a in o["lines"])
        tier = sum(a * TIER_RANK[prods[catalog.by_sku[s]].tier] for s, _, _, a in o["lines"])
        swt = tier / spend if spend else 0.0
        if prev is not None:
            if o["total"] <= prev[0]:
                bad["price_rises"] += 1
            if swt < prev[1] - 1e-6:
                bad["tier_rises"] += 1
        prev = (o["total"], swt)
        idx = {catalog.by_sku[s]: q for s, q in qty.items()}
        for n in o["covered"]:
            if n in dev_needs and not any(catalog.is_device[i] and n in prods[i].needs for i in idx):
                bad["device_present"] += 1
            units = sum(q for i, q in idx.items() if n in prods[i].needs
                        and (n not in dev_needs or catalog.is_device[i]))
            if units < request.qty(n):
                bad["quantities"] += 1
        by_key: dict[tuple, set] = {}
        for covers, kind, value, unit in o["promises"]:
            if kind != "other":
                by_key.setdefault((covers, kind), set()).add((value, unit))
        bad["promises_consistent"] += sum(1 for v in by_key.values() if len(v) > 1)
        slots = Counter(prods[i].slot for i in idx if prods[i].slot is not None)
        bad["rule_slot"] += sum(1 for c in slots.values() if c > 1)
        for i, q in idx.items():
            p = prods[i]
            if p.requires_any and not (p.requires_any & qty.keys()):
                bad["rule_requires"] += 1
            if p.excludes & qty.keys():
                bad["rule_excludes"] += 1
            if q > p.max_qty or q < 1:
                bad["max_qty"] += 1
            if not catalog.fits(i, request, float("inf")):
                bad["fits_request"] += 1
    return +bad  # drop zero counts


def three_possible(catalog: Catalog, request: Request, needs, *, max_items: int = 16) -> bool | None:
    """Do three bundles exist that cover ``needs`` within the rules and the budget, with strictly rising prices
    and a spend-weighted tier that never falls? Decided by brute force over every fitting candidate (every
    subset, one unit each) when there are at most ``max_items`` of them and the request asks no quantities;
    None when too big to decide. Independent of the solver: the benchmark uses it to tell "fewer than three
    because three do not exist" from a miss."""
    pool = catalog.pool(request, request.budget_max, cap=UNCAPPED)
    prods = catalog.products
    if len(pool) > max_items or request.quantities or any(prods[i].max_qty > 1 for i in pool):
        return None
    dev = device_needs(catalog, request)
    bundles = []
    for k in range(1, len(pool) + 1):
        for combo in itertools.combinations(pool, k):
            total = sum(prods[i].price_cny for i in combo)
            if total <= 0 or total > request.budget_max:
                continue
            chosen = set(combo)
            if not all(any(n in prods[i].needs and (n not in dev or catalog.is_device[i]) for i in combo)
                       for n in needs):
                continue
            slots = Counter(prods[i].slot for i in combo if prods[i].slot is not None)
            if any(c > 1 for c in slots.values()) or any(catalog.excludes[i] & chosen for i in combo) \
                    or any(catalog.hosts[i] and not set(catalog.hosts[i]) & chosen for i in combo):
                continue
            bundles.append((total, sum(prods[i].price_cny * catalog.rank[i] for i in combo) / total))
    bundles.sort()
    longest = [1] * len(bundles)  # longest rising chain ending at each bundle
    for j, (price, tier) in enumerate(bundles):
        for i in range(j):
            if bundles[i][0] < price and bundles[i][1] <= tier + 1e-9:
                longest[j] = max(longest[j], longest[i] + 1)
                if longest[j] >= 3:
                    return True
    return False
