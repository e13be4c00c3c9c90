"""Solution comparison benchmarks: the integer-program solver (``solver/``) against the old greedy.

Run with ``.venv/bin/python -m bench.run solver``. Everything is seeded; timings are single-threaded wall
clock around one whole 3-option comparison. Sections:

1. Latency p50/p99 on the demo catalog (app/demo/data/products.yaml, mapped as in ``solver.demo``) and on
   a synthetic 10,000-SKU catalog (200 needs in 20 domains, devices in slots, accessories requiring a host
   device, services extending the device warranty, eight place categories). Baseline: the old greedy
   (``_pick`` and the strategy loop of the old ``app.services.solutions.compare``, copied below because
   that module is being rebuilt) on the same requests.
2. Quality: the same 1,000 random requests on each catalog, guarantee violations per guarantee
   (``solver.check.GUARANTEES``) for the greedy and the solver, in the same run. ``three_options`` counts
   requests where something fits but fewer than three options came back *and* three are not proven
   impossible: ``solver.check.three_possible`` decides by brute force over every fitting candidate when there
   are few (most such requests: a tight budget leaves one or two bundles), and the requests it cannot decide
   count against the solver. Those proven impossible are reported on their own line.
"""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter

from solver import Catalog, Product, Promise, Request, compare
from solver.check import GUARANTEES, three_possible, violations
from solver.check import view as solver_view
from solver.demo import load_products

SEED = 20240808
N_QUALITY = 1000
N_LATENCY = 1000
N_GREEDY_10K = 200  # the greedy scans the whole catalog per step: fewer requests on 10k SKUs
CATEGORIES = ("tier3_hospital", "private_hospital", "community_health_center", "aesthetics_clinic",
              "community_grocery", "ka_supermarket", "pharmacy", "convenience_store")


# -- data ----------------------------------------------------------------------------------------------
def synthetic_catalog(n: int = 10_000, seed: int = SEED) -> list[Product]:
    """n products over 20 domains × 10 needs, realistic price bands per kind and tier."""
    rng = random.Random(seed)
    domains = [(f"d{d:02d}", [f"d{d:02d}-n{k}" for k in range(10)]) for d in range(20)]
    per = n // len(domains)
    out: list[Product] = []
    tiers = ("economy", "standard", "premium")
    for dname, needs in domains:
        cats = rng.sample(CATEGORIES, 4)
        devices: list[str] = []
        for k in range(per):
            r = rng.random()
            kind = ("device" if r < 0.3 else "accessory" if r < 0.55 else "consumable" if r < 0.7
                    else "software" if r < 0.85 else "service")
            tier = rng.choices(tiers, (0.4, 0.4, 0.2))[0]
            base = {"device": 40_000, "accessory": 4_000, "consumable": 2_000, "software": 30_000,
                    "service": 15_000}[kind]
            price = int(base * (1 + tiers.index(tier)) * rng.lognormvariate(0, 0.5)) // 100 * 100 + 100
            sku = f"{dname}-{kind[:3]}-{k:04d}"
            cover = f"{dname} 整机"
            promises: list[Promise] = []
            slot = None
            max_qty = 1
            requires = frozenset()
            if kind == "device":
                years = 1 + tiers.index(tier) + rng.randint(0, 1)
                promises.append(Promise(cover, "warranty", years, "年", f"{cover}保修 {years} 年"))
                slot = f"{dname}-main-{rng.randint(0, 4)}"
                max_qty = rng.choice((1, 1, 2, 6))
                devices.append(sku)
            elif kind == "service":
                years = 2 + tiers.index(tier) + rng.randint(0, 2)
                hours = rng.choice((2, 4, 24, 48))
                promises += [Promise(cover, "warranty", years, "年", f"{cover}保修 {years} 年"),
                             Promise(cover, "response", hours, "小时", f"{hours} 小时响应")]
            elif kind == "accessory" and devices and rng.random() < 0.5:
                requires = frozenset(rng.sample(devices, min(len(devices), rng.randint(1, 4))))
            if rng.random() < 0.3:
                promises.append(Promise(sku, "other", None, None, "上门安装"))
            out.append(Product(
                sku=sku, name=f"{dname} {kind} {k}", kind=kind, tier=tier, price_cny=price,
                delivery_days=rng.randint(1, 45), needs=frozenset(rng.sample(needs, rng.choice((1, 1, 2, 3)))),
                fits_categories=frozenset(rng.sample(cats, rng.randint(1, 3))), promises=tuple(promises),
                requires_any=requires, slot=slot, max_qty=max_qty))
    return out


def random_requests(catalog: Catalog, n: int, seed: int) -> list[Request]:
    """Requests as a guide or rep would type them: a category, 1–3 needs seen there, a budget band."""
    rng = random.Random(seed)
    by_cat: dict[str, list[str]] = {}
    for p in catalog.products:
        for c in p.fits_categories or CATEGORIES:
            by_cat.setdefault(c, []).extend(sorted(p.needs))
    cats = sorted(by_cat)
    out = []
    for _ in range(n):
        cat = rng.choice(cats)
        pool = sorted(set(by_cat[cat]))
        seed_need = rng.choice(pool)
        near = [x for x in pool if x.split("-")[0] == seed_need.split("-")[0]] or pool
        needs = tuple(dict.fromkeys([seed_need, *rng.sample(near, min(len(near), rng.randint(0, 2)))]))
        hi = int(rng.choice((1_000, 20_000, 60_000, 200_000, 600_000, 2_000_000)) * rng.uniform(0.5, 1.5))
        qty = {needs[0]: 6} if rng.random() < 0.05 else {}
        out.append(Request(int(hi * rng.uniform(0.2, 0.7)), hi, needs, category=cat, quantities=qty))
    return out


# -- the old greedy, on the same data ---------------------------------------------------------------------
# Reimplemented here verbatim from app/services/solutions.py as of issue 8 (the module is being rebuilt,
# and the baseline must not move with it): ``_pick`` and the strategy loop of the old ``compare``.
TIER_RANK = {"economy": 0, "standard": 1, "premium": 2}
STRATEGIES = (("economy", 0.0, "economy"), ("standard", 0.5, "standard"), ("premium", 1.0, "premium"))
_EXTRA_KINDS = ("service", "software", "consumable")


def _pick(items, needs, *, tier, target, budget_max, penalised):
    """The old greedy cover: most needs per yuan, nudged towards ``tier`` and away from ``penalised``."""
    chosen = []
    remaining = set(needs)
    total = 0
    scale = max(target, 1.0)

    def score(item, gain):
        tier_fit = 1.0 - abs(TIER_RANK.get(item.tier, 1) - TIER_RANK[tier]) / 2
        price_fit = 1.0 / (1.0 + item.price_cny / scale)
        penalty = 0.3 if item.sku in penalised else 1.0
        return gain * (1.0 + 2.0 * tier_fit) * price_fit * penalty

    while remaining:
        best, best_score = None, 0.0
        for item in items:
            gain = len(item.needs & remaining)
            if gain and item not in chosen and total + item.price_cny <= budget_max:
                s = score(item, gain)
                if s > best_score:
                    best, best_score = item, s
        if best is None:
            break
        chosen.append(best)
        total += best.price_cny
        remaining -= best.needs
    if not needs:
        core = [i for i in items if i.kind in ("device", "bundle_item") and i.price_cny <= budget_max]
        if core:
            best = max(core, key=lambda i: score(i, 1))
            chosen.append(best)
            total += best.price_cny
    extras = sorted((i for i in items if i.kind in _EXTRA_KINDS and i not in chosen),
                    key=lambda i: (-score(i, 1), i.price_cny))
    for item in extras:
        if total >= target:
            break
        if total + item.price_cny <= budget_max:
            chosen.append(item)
            total += item.price_cny
    return chosen, total


def greedy(products: list[Product]):
    """A callable answering a Request with the old strategy loop over ``_pick`` (as plain option dicts)."""
    items = tuple(sorted(products, key=lambda p: (p.price_cny, p.sku)))

    def answer(req: Request) -> list[dict]:
        cands = tuple(i for i in items if req.category is None or not i.fits_categories
                      or req.category in i.fits_categories)
        seen: set = set()
        out = []
        for key, position, tier in STRATEGIES:
            target = req.budget_min + position * (req.budget_max - req.budget_min)
            penalised = frozenset(s for skus in seen for s in skus)
            chosen, total = _pick(cands, list(req.needs), tier=tier, target=target, budget_max=req.budget_max,
                                  penalised=penalised)
            seen.add(frozenset(i.sku for i in chosen))
            out.append({
                "key": key, "total": total,
                "covered": [n for n in req.needs if any(n in i.needs for i in chosen)],
                "lines": [(i.sku, 1, i.price_cny, i.price_cny) for i in chosen],
                # the old option flattened every item's commitments into one list
                "promises": [(x.covers, x.kind, x.value, x.unit) for i in chosen for x in i.promises],
            })
        return out

    return answer


# -- measuring ------------------------------------------------------------------------------------------
def _times(fn, reqs) -> list[float]:
    out = []
    for r in reqs:
        t = time.perf_counter_ns()
        fn(r)
        out.append((time.perf_counter_ns() - t) / 1e6)
    return out


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def _latency_rows(label, catalog, products, reqs, greedy_reqs) -> list[dict]:
    for r in reqs[:20]:  # warm up
        compare(catalog, r)
    ours = _times(lambda r: compare(catalog, r), reqs)
    old = greedy(products)
    base = _times(old, greedy_reqs)
    rows = []
    for q, name in ((0.5, "p50"), (0.99, "p99")):
        rows.append({"name": f"solver.compare {label} {name}", "value": _pct(ours, q), "unit": "ms",
                     "baseline": "old greedy _pick (same requests)", "baseline_value": _pct(base, q)})
    rows.append({"name": f"solver.compare {label} mean", "value": statistics.fmean(ours), "unit": "ms",
                 "baseline": "old greedy _pick (same requests)", "baseline_value": statistics.fmean(base)})
    return rows


def _quality_rows(label, catalog, products, reqs) -> list[dict]:
    old = greedy(products)
    ours_bad: Counter = Counter()
    old_bad: Counter = Counter()
    fits = Counter()
    impossible = 0
    for r in reqs:
        c = compare(catalog, r)
        any_fit = c.fit != "none"
        fits[c.fit] += 1
        bad = violations(catalog, r, solver_view(c), any_fit=any_fit)
        if bad["three_options"] and three_possible(catalog, r, c.options[0].covered_needs) is False:
            del bad["three_options"]  # honest: three such bundles do not exist
            impossible += 1
        ours_bad += bad
        old_opts = old(r)
        old_bad += violations(catalog, r, old_opts, any_fit=any_fit)
        # the old engine: an empty or ¥0 option even when nothing fits
        if not any_fit and old_opts:
            old_bad["honest_no_fit"] += 1
    rows = []
    for g in (*GUARANTEES, "honest_no_fit"):
        rows.append({"name": f"violations {label} {g} (requests of {len(reqs)})", "value": ours_bad[g],
                     "unit": "count", "baseline": "old greedy", "baseline_value": old_bad[g], "ratio": None})
    rows.append({"name": f"violations {label} total", "value": sum(ours_bad.values()), "unit": "count",
                 "baseline": "old greedy", "baseline_value": sum(old_bad.values()), "ratio": None})
    rows.append({"name": f"solver fewer than three, proven impossible {label}", "value": impossible,
                 "unit": "requests"})
    for f in ("full", "partial", "none"):
        rows.append({"name": f"solver fit={f} {label}", "value": fits[f], "unit": "requests"})
    return rows


def run() -> list[dict]:
    demo_products = load_products()
    demo = Catalog.build(demo_products)
    t = time.perf_counter()
    big_products = synthetic_catalog()
    big = Catalog.build(big_products)
    build_ms = (time.perf_counter() - t) * 1e3
    demo_reqs = random_requests(demo, N_QUALITY, SEED)
    big_reqs = random_requests(big, N_QUALITY, SEED + 1)
    rows = [{"name": "solver Catalog.build 10k SKUs (incl. generation)", "value": build_ms, "unit": "ms"}]
    rows += _latency_rows("demo catalog", demo, demo_products, demo_reqs[:N_LATENCY], demo_reqs[:N_LATENCY])
    rows += _latency_rows("10k SKUs", big, big_products, big_reqs[:N_LATENCY], big_reqs[:N_GREEDY_10K])
    rows += _quality_rows("demo catalog", demo, demo_products, demo_reqs)
    rows += _quality_rows("10k SKUs", big, big_products, big_reqs)

    return rows
