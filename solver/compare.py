"""The three options, each the optimum of a small integer program (see the package docstring)."""

from __future__ import annotations

import math

import numpy as np

from .catalog import UNCAPPED, Catalog
from .highs import solve
from .model import Closest, Comparison, Line, Option, Request
from .promises import merge

INF = math.inf
# Effective-cost weights: an item of tier rank r with promise strength s costs p·(1 − a·r − b·min(s, 1)).
STANDARD_WEIGHTS = (0.30, 0.05)
PREMIUM_MARGIN, PREMIUM_PROMISE = 0.5, 0.1


class _Model:
    """Columns: x_i (units of pool item i), z_i (chosen, for items with max_qty > 1), y_n (need n met)."""

    def __init__(self, catalog: Catalog, request: Request, pool: list[int], device_needs: frozenset | None = None):
        self.catalog, self.request, self.pool = catalog, request, pool
        products = catalog.products
        n = len(pool)
        self.price = np.array([products[i].price_cny for i in pool], dtype=float)
        self.rank = np.array([catalog.rank[i] for i in pool], dtype=float)
        self.strength = np.minimum(np.array([catalog.strength[i] for i in pool], dtype=float), 1.0)
        self.maxq = np.array([products[i].max_qty for i in pool], dtype=float)
        multi = [k for k in range(n) if self.maxq[k] > 1]
        self.zcol = {k: n + j for j, k in enumerate(multi)}
        self.ycol0 = n + len(multi)
        needs = request.needs
        self.ncols = self.ycol0 + len(needs)
        pos = {i: k for k, i in enumerate(pool)}
        self.pos = pos
        # needs that call for a device: some candidate device covers them
        self.device_needs = device_needs if device_needs is not None else frozenset(
            nd for nd in needs if any(catalog.is_device[i] and nd in products[i].needs for i in pool))
        self.cover_rows = np.zeros((len(needs), self.ncols))
        for j, nd in enumerate(needs):
            for k, i in enumerate(pool):
                if nd in products[i].needs:
                    self.cover_rows[j, k] = 1.0
        rows, lo, hi = [], [], []

        def chosen(k):
            return self.zcol.get(k, k)

        for j, nd in enumerate(needs):
            r = np.zeros(self.ncols)
            dev = nd in self.device_needs
            for k, i in enumerate(pool):
                if nd in products[i].needs and (not dev or catalog.is_device[i]):
                    r[k] = 1.0
            r[self.ycol0 + j] = -request.qty(nd)
            rows.append(r), lo.append(0.0), hi.append(INF)
        for k, zc in self.zcol.items():
            r = np.zeros(self.ncols)
            r[k], r[zc] = 1.0, -self.maxq[k]
            rows.append(r), lo.append(-INF), hi.append(0.0)
            r = np.zeros(self.ncols)
            r[zc], r[k] = 1.0, -1.0
            rows.append(r), lo.append(-INF), hi.append(0.0)
        slots: dict[str, list[int]] = {}
        for k, i in enumerate(pool):
            if products[i].slot is not None:
                slots.setdefault(products[i].slot, []).append(k)
        for members in slots.values():
            if len(members) > 1:
                r = np.zeros(self.ncols)
                for k in members:
                    r[chosen(k)] = 1.0
                rows.append(r), lo.append(-INF), hi.append(1.0)
        for k, i in enumerate(pool):
            for j in catalog.excludes[i]:
                kj = pos.get(j)
                if kj is not None and kj > k:
                    r = np.zeros(self.ncols)
                    r[chosen(k)] = r[chosen(kj)] = 1.0
                    rows.append(r), lo.append(-INF), hi.append(1.0)
            if catalog.hosts[i]:
                r = np.zeros(self.ncols)
                r[chosen(k)] = 1.0
                for j in catalog.hosts[i]:
                    kj = pos.get(j)
                    if kj is not None:
                        r[chosen(kj)] -= 1.0
                rows.append(r), lo.append(-INF), hi.append(0.0)
        self.a0 = np.array(rows).reshape(len(rows), self.ncols)
        self.lo0, self.hi0 = np.array(lo), np.array(hi)
        self.col_lo = np.zeros(self.ncols)
        self.col_hi = np.ones(self.ncols)
        self.col_hi[:n] = self.maxq
        self.integer = np.ones(self.ncols, dtype=bool)
        self.cost_row = np.zeros(self.ncols)
        self.cost_row[:n] = self.price

    def economy_model(self) -> _Model:
        """The same program over the pool minus candidates no least-cost bundle needs (see :func:`_undominated`)."""
        m = getattr(self, "_econ", None)
        if m is None:
            keep = _undominated(self)
            m = self if len(keep) == len(self.pool) else _Model(self.catalog, self.request, keep, self.device_needs)
            self._econ = m
        return m

    def run(self, cost_x, *, cost_lo=1.0, cost_hi=INF, tier_at_least=None, need_mode=None, y_weight=0.0,
            cover_cap=False):
        """Solve with objective ``cost_x·x − y_weight·Σy``; ``need_mode`` fixes y (a set of needs) or frees it."""
        c = np.zeros(self.ncols)
        c[: len(self.pool)] = cost_x
        col_lo, col_hi = self.col_lo.copy(), self.col_hi.copy()
        ys = slice(self.ycol0, self.ncols)
        if need_mode is None:  # maximise coverage
            c[ys] = -y_weight
        else:
            fixed = np.array([1.0 if nd in need_mode else 0.0 for nd in self.request.needs])
            col_lo[ys] = col_hi[ys] = fixed
        rows, lo, hi = [self.a0, self.cost_row[None, :]], [self.lo0, [cost_lo]], [self.hi0, [cost_hi]]
        if tier_at_least is not None:
            r = np.zeros(self.ncols)
            r[: len(self.pool)] = self.price * (self.rank - tier_at_least)
            rows.append(r[None, :]), lo.append([-1e-6]), hi.append([INF])
        if cover_cap:  # Σ x_i over items covering n ≤ quantity(n) + 1
            rows.append(self.cover_rows), lo.append(np.full(len(self.request.needs), -INF))
            hi.append([self.request.qty(nd) + 1.0 for nd in self.request.needs])
        x = solve(c, np.vstack(rows), np.concatenate(lo), np.concatenate(hi), col_lo, col_hi, self.integer)
        if x is None:
            return None
        return _Bundle(self, {self.pool[k]: int(x[k]) for k in range(len(self.pool)) if x[k] > 0.5})


class _Bundle:
    def __init__(self, model: _Model, qty: dict[int, int]):
        cat = model.catalog
        self.qty = qty
        self.total = sum(cat.products[i].price_cny * q for i, q in qty.items())
        tier_spend = sum(cat.products[i].price_cny * q * cat.rank[i] for i, q in qty.items())
        self.swt = tier_spend / self.total if self.total else 0.0
        req = model.request
        self.covered = tuple(
            nd for nd in req.needs
            if sum(q for i, q in qty.items() if nd in cat.products[i].needs
                   and (nd not in model.device_needs or cat.is_device[i])) >= req.qty(nd))


def _undominated(model: _Model) -> list[int]:
    """Pool items an economy bundle (least cost, ties lower tier; or most needs, then least cost) may need.

    Dominance pre-filter, exact for the economy programs: item i is dropped when no pool item requires it
    as a host and either (a) items j with no rules of their own (no slot, excludes or requires), each
    costing no more than i (in price and in the economy objective) and counting towards every need i
    counts towards, together offer at least max quantity(n) units over those needs — any bundle using i
    can move i's units to them or drop i; or (b) one such j with i's slot and at least i's max_qty
    exists — i's units move to j. Items counting towards no requested need are dropped by (a). Skipped
    when some candidate is free (a ¥0 bundle is not allowed, so a priced item may then be needed).
    """
    cat, req = model.catalog, model.request
    products = cat.products
    pool = model.pool
    if any(products[i].price_cny <= 0 for i in pool):
        return pool
    in_pool = set(pool)
    hosts = {j for i in pool for j in cat.hosts[i] if j in in_pool}
    dev = model.device_needs
    counts = {i: frozenset(n for n in req.needs if n in products[i].needs and (n not in dev or cat.is_device[i]))
              for i in pool}
    cost = _economy_cost(model, float(req.budget_max))
    order = sorted(range(len(pool)), key=lambda k: (cost[k], products[pool[k]].price_cny, pool[k]))
    kept: list[int] = []
    for k in order:
        i = pool[k]
        p = products[i]
        if i not in hosts:
            need_units = max((req.qty(n) for n in counts[i]), default=0)
            units = 0
            slot_ok = False
            for j in kept:
                q = products[j]
                if cat.hosts[j] or (cat.excludes[j] & in_pool) or q.price_cny > p.price_cny \
                        or not counts[j] >= counts[i]:
                    continue
                if q.slot is None:
                    units += q.max_qty
                elif q.slot == p.slot and q.max_qty >= p.max_qty:
                    slot_ok = True
                if slot_ok or units >= need_units:
                    break
            if slot_ok or units >= need_units:
                continue
        kept.append(i)
    return sorted(kept)


def _effective(model: _Model, weights) -> np.ndarray:
    a, b = weights
    return model.price * (1.0 - a * model.rank - b * model.strength)


def _economy_cost(model: _Model, budget_max: float) -> np.ndarray:
    # tie-break towards lower tier (leaves room above for the other two); below one yuan in total
    delta = 0.4 / (2.0 * budget_max + 1.0) if budget_max < INF else 1e-9
    return model.price * (1.0 + delta * model.rank)


def _economy(model: _Model, budget_max: float):
    """Least-cost bundle covering every need within budget, else the one covering most needs."""
    model = model.economy_model()
    cost = _economy_cost(model, budget_max)
    full = model.run(cost, cost_hi=budget_max, need_mode=frozenset(model.request.needs))
    if full is not None:
        return full, True
    w = (budget_max if budget_max < INF else float(model.price.sum())) + 1.0
    best = model.run(cost, cost_hi=budget_max, need_mode=None, y_weight=w)
    if best is None or not best.covered:
        return None, False
    return best, False


def compare(catalog: Catalog, request: Request) -> Comparison:
    """Three options for ``request`` — economy, standard, premium — or the honest no-fit answer.

    Every option meets the product rules and ``budget_max``; prices rise strictly and spend-weighted tier
    never falls from one option to the next; see the package docstring for the integer programs.
    """
    needs = request.needs
    if not needs:
        return Comparison((), "none", ({"rule": "no_needs", "facts": {}},), None)
    budget = float(request.budget_max)
    model = _Model(catalog, request, catalog.pool(request, budget))
    econ, full = _economy(model, budget)
    if not full:  # the capped pool may have dropped what a full cover needs: retry with every candidate
        wide = _Model(catalog, request, catalog.pool(request, budget, cap=UNCAPPED))
        if len(wide.pool) > len(model.pool):
            e2, f2 = _economy(wide, budget)
            if f2 or (e2 is not None and (econ is None or len(e2.covered) > len(econ.covered))):
                model, econ, full = wide, e2, f2
    bundles = [econ] if econ is not None else []
    caps = {}
    if econ is not None:
        target = frozenset(econ.covered)
        bundles, caps = _chain(model, econ, target, request)
    options = _options(model, bundles, caps, full, request)
    why: list[dict] = []
    closest = None
    if full:
        why.append({"rule": "fit_full", "facts": {"needs": list(needs)}})
    else:
        covered = set(bundles[0].covered) if bundles else set()
        closest = _closest(catalog, request, covered)
        if closest.extra_cny is not None:
            why.append({"rule": "budget_short",
                        "facts": {"missing_needs": list(closest.missing_needs), "extra_cny": closest.extra_cny}})
        if closest.uncoverable_needs:
            why.append({"rule": "needs_uncoverable", "facts": {"needs": list(closest.uncoverable_needs)}})
        if not bundles:
            why.append({"rule": "nothing_in_budget", "facts": {"budget_max": request.budget_max}})
    if bundles and len(bundles) < 3:
        why.append({"rule": "fewer_options", "facts": {"count": len(bundles)}})
    fit = "full" if full else ("partial" if bundles else "none")
    return Comparison(options=options, fit=fit, why=tuple(why), closest=closest)


def _chain(model: _Model, econ, target, request: Request):
    """Standard then premium above ``econ``: dearer, tier not lower; falls back to the next-cheapest standard."""
    budget = float(request.budget_max)
    e_total = econ.total
    mid = max(e_total + math.ceil((budget - e_total) / 2), float(request.budget_min))
    caps_tried = []
    for cap in (mid, budget - 1, budget):
        cap = min(cap, budget)
        if cap >= e_total + 1 and cap not in caps_tried:
            caps_tried.append(cap)
    std, std_cap = None, None
    for cap in caps_tried:
        std = model.run(_effective(model, STANDARD_WEIGHTS), cost_lo=e_total + 1, cost_hi=cap,
                        tier_at_least=econ.swt, need_mode=target)
        if std is not None:
            std_cap = cap
            break
    if std is None:
        return [econ], {}
    prem = _premium(model, std, target, budget)
    if prem is None:
        nxt = model.run(_economy_cost(model, budget), cost_lo=e_total + 1, cost_hi=budget,
                        tier_at_least=econ.swt, need_mode=target)
        if nxt is not None and nxt.qty != std.qty:
            p2 = _premium(model, nxt, target, budget)
            if p2 is not None:
                return [econ, nxt, p2], {"standard": None}
    if prem is None:
        return [econ, std], {"standard": std_cap}
    return [econ, std, prem], {"standard": std_cap}


def _premium(model, std, target, budget):
    # maximise Σ p·(r − t_std − 0.5 + 0.1·s): spend on items a tier above the standard's, with strong
    # promises; no need covered more than once over its quantity, so premium adds upgrades, not duplicates
    gain = model.price * (model.rank - std.swt - PREMIUM_MARGIN + PREMIUM_PROMISE * model.strength)
    for cap in (True, False):
        b = model.run(-gain, cost_lo=std.total + 1, cost_hi=budget, tier_at_least=std.swt, need_mode=target,
                      cover_cap=cap)
        if b is not None:
            return b
    return None


def _closest(catalog: Catalog, request: Request, covered: set[str]) -> Closest:
    """Cheapest cover of as many needs as the catalog allows, ignoring the budget."""
    best = None
    for cap in (None, UNCAPPED):
        pool = catalog.pool(request, INF) if cap is None else catalog.pool(request, INF, cap=cap)
        model = _Model(catalog, request, pool)
        b, _ = _economy(model, INF)
        if b is not None and (best is None or len(b.covered) > len(best.covered)):
            best = b
        if best is not None and len(best.covered) == len(request.needs):
            break
    reach = set(best.covered) if best else set()
    missing = tuple(n for n in request.needs if n not in covered)
    uncoverable = tuple(n for n in request.needs if n not in reach)
    extra = None
    if best is not None and reach - covered:
        extra = max(best.total - request.budget_max, 0)
    return Closest(
        missing_needs=missing,
        uncoverable_needs=uncoverable,
        extra_cny=extra,
        total_price=best.total if best else None,
        skus=tuple(catalog.products[i].sku for i in sorted(best.qty)) if best else (),
    )


def _options(model: _Model, bundles, caps, full: bool, request: Request) -> tuple[Option, ...]:
    cat = model.catalog
    keys = ("economy", "standard", "premium")
    merged = []
    for b in bundles:
        proms = [pr for i in b.qty for pr in cat.products[i].promises]
        merged.append(merge(proms))
    out = []
    for idx, b in enumerate(bundles):
        key = keys[idx]
        items = sorted(b.qty, key=lambda i: (-cat.products[i].price_cny * b.qty[i], cat.products[i].sku))
        lines = tuple(
            Line(sku=cat.products[i].sku, name=cat.products[i].name, kind=cat.products[i].kind,
                 tier=cat.products[i].tier, qty=b.qty[i], unit_price=cat.products[i].price_cny,
                 amount=cat.products[i].price_cny * b.qty[i])
            for i in items)
        covered = b.covered
        missing = tuple(n for n in request.needs if n not in covered)
        slowest = max(items, key=lambda i: (cat.products[i].delivery_days, cat.products[i].sku))
        delivery = cat.products[slowest].delivery_days
        promises, superseded = merged[idx]
        why: list[dict] = [{"rule": "covers_needs",
                            "facts": {"needs": list(covered), "count": len(covered), "of": len(request.needs)}}]
        if missing:
            why.append({"rule": "missing_needs", "facts": {"needs": list(missing)}})
        if key == "economy":
            if full:
                why.append({"rule": "cheapest_full_cover", "facts": {"total_cny": b.total}})
            else:
                why.append({"rule": "cheapest_partial_cover",
                            "facts": {"total_cny": b.total, "covered": len(covered), "of": len(request.needs)}})
        elif key == "standard":
            eff = sum(cat.products[i].price_cny * q * (1 - STANDARD_WEIGHTS[0] * cat.rank[i]
                                                      - STANDARD_WEIGHTS[1] * min(cat.strength[i], 1.0))
                      for i, q in b.qty.items())
            why.append({"rule": "best_value", "facts": {"value_cny": round(eff), "cost_cap_cny": caps.get(key)}})
        else:
            prem_spend = sum(cat.products[i].price_cny * q for i, q in b.qty.items() if cat.rank[i] == 2)
            why.append({"rule": "premium_tier", "facts": {"tier_share": round(prem_spend / b.total, 2),
                                                          "spend_weighted_tier": round(b.swt, 3)}})
        for jdx, other in enumerate(bundles):
            if jdx != idx:
                why.append({"rule": "trades_against", "facts": {
                    "other": keys[jdx],
                    "price_diff_cny": b.total - other.total,
                    "delivery_diff_days": delivery - max(cat.products[i].delivery_days for i in other.qty),
                    "tier_diff": round(b.swt - other.swt, 3),
                    "promise_diff": len(promises) - len(merged[jdx][0]),
                }})
        dev_needs = [n for n in covered if n in model.device_needs]
        if dev_needs:
            devs = [cat.products[i].sku for i in items if cat.is_device[i]
                    and cat.products[i].needs & set(dev_needs)]
            why.append({"rule": "device_included", "facts": {"skus": devs, "needs": dev_needs}})
        for i in items:
            p = cat.products[i]
            if p.requires_any:
                hosts = sorted(cat.products[j].sku for j in b.qty if cat.products[j].sku in p.requires_any)
                why.append({"rule": "rule_requires", "facts": {"sku": p.sku, "requires": hosts}})
            if p.slot is not None:
                why.append({"rule": "rule_slot", "facts": {"slot": p.slot, "sku": p.sku}})
        for n in covered:
            if request.qty(n) > 1:
                why.append({"rule": "rule_quantity", "facts": {"need": n, "qty": request.qty(n)}})
        for kept, dropped in superseded:
            why.append({"rule": "promise_superseded",
                        "facts": {"kept": kept.text, "dropped": [d.text for d in dropped]}})
        if b.total >= request.budget_min:
            why.append({"rule": "within_budget", "facts": {"total_cny": b.total, "budget_min": request.budget_min,
                                                           "budget_max": request.budget_max}})
        else:
            why.append({"rule": "below_budget_min", "facts": {"total_cny": b.total, "budget_min": request.budget_min,
                                                              "short_cny": request.budget_min - b.total}})
        why.append({"rule": "slowest_delivery", "facts": {"days": delivery, "sku": cat.products[slowest].sku}})
        coverage = len(covered) / len(request.needs)
        budget_fit = 1.0 if b.total >= request.budget_min else 0.8
        out.append(Option(
            key=key, items=lines, total_price=b.total, delivery_days=delivery, promises=promises,
            covered_needs=covered, missing_needs=missing, fit_score=round(100 * (0.7 * coverage + 0.3 * budget_fit)),
            spend_weighted_tier=b.swt, why=tuple(why)))
    return tuple(out)


WHY_CODES = (
    "covers_needs", "missing_needs", "cheapest_full_cover", "cheapest_partial_cover", "best_value",
    "premium_tier", "trades_against", "device_included", "rule_requires", "rule_slot", "rule_quantity",
    "promise_superseded", "within_budget", "below_budget_min", "slowest_delivery",
    "no_needs", "fit_full", "budget_short", "needs_uncoverable", "nothing_in_budget", "fewer_options",
)

