"""Property tests: every guarantee of the comparison, over random small catalogs and requests.

Catalogs are small enough to enumerate every bundle, so a brute force states what the best answer is.
"""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import Catalog, Product, Promise, Request, compare
from solver.check import device_needs, view, violations

NEEDS = ("a", "b", "c", "d")
COVERS = ("整机", "探头")


@st.composite
def catalogs(draw):
    n = draw(st.integers(1, 6))
    products = []
    for k in range(n):
        kind = draw(st.sampled_from(("device", "accessory", "consumable", "software", "service")))
        promises = tuple(
            Promise(c, kd, v, "年" if kd == "warranty" else "小时", f"{c}{kd}{v}")
            for c, kd, v in draw(st.lists(st.tuples(st.sampled_from(COVERS), st.sampled_from(("warranty", "response")),
                                                     st.integers(1, 5)), max_size=2)))
        products.append({
            "sku": f"S{k}", "name": f"S{k}", "kind": kind,
            "tier": draw(st.sampled_from(("economy", "standard", "premium"))),
            "price_cny": draw(st.integers(1, 60)) * 100, "delivery_days": draw(st.integers(0, 30)),
            "needs": frozenset(draw(st.sets(st.sampled_from(NEEDS), min_size=1, max_size=2))),
            "fits_categories": frozenset(draw(st.sets(st.sampled_from(("x", "y")), max_size=1))),
            "promises": promises, "slot": draw(st.sampled_from((None, None, "main"))),
            "max_qty": draw(st.sampled_from((1, 1, 2)))})
    devices = [p["sku"] for p in products if p["kind"] == "device"]
    for p in products:  # accessories may require a device host (hosts have no requirements of their own)
        if p["kind"] == "accessory" and devices and draw(st.booleans()):
            p["requires_any"] = frozenset(draw(st.sets(st.sampled_from(devices), min_size=1, max_size=2)))
    skus = [p["sku"] for p in products]
    if len(skus) > 1 and draw(st.booleans()):
        a, b = draw(st.lists(st.sampled_from(skus), min_size=2, max_size=2, unique=True))
        products[skus.index(a)]["excludes"] = frozenset({b})
    return Catalog.build([Product(**p) for p in products])


@st.composite
def requests(draw):
    lo = draw(st.integers(0, 80)) * 100
    hi = lo + draw(st.integers(0, 120)) * 100
    needs = tuple(draw(st.lists(st.sampled_from(NEEDS), min_size=1, max_size=3, unique=True)))
    qty = {n: 2 for n in needs if draw(st.integers(0, 5)) == 0}
    return Request(lo, hi, needs, category=draw(st.sampled_from((None, "x", "y"))), quantities=qty)


def _bundles(cat: Catalog, req: Request):
    """Every valid bundle within budget of items that cover a requested need (or host one that does):
    (qty by index, total, spend-weighted tier, needs met)."""
    useful = {i for i, p in enumerate(cat.products) if p.needs & set(req.needs)}
    useful |= {j for i in useful for j in cat.hosts[i]}
    ix = [i for i in sorted(useful) if cat.fits(i, req, req.budget_max)]
    dev = device_needs(cat, req)
    out = []
    for qs in itertools.product(*[range(cat.products[i].max_qty + 1) for i in ix]):
        q = {i: k for i, k in zip(ix, qs, strict=True) if k}
        if not q:
            continue
        skus = {cat.products[i].sku for i in q}
        ps = [cat.products[i] for i in q]
        if any(p.requires_any and not p.requires_any & skus for p in ps) or any(p.excludes & skus for p in ps):
            continue
        slots = [p.slot for p in ps if p.slot]
        if len(slots) != len(set(slots)):
            continue
        total = sum(cat.products[i].price_cny * k for i, k in q.items())
        if total > req.budget_max:
            continue
        swt = sum(cat.products[i].price_cny * k * cat.rank[i] for i, k in q.items()) / total
        met = frozenset(n for n in req.needs if sum(
            k for i, k in q.items() if n in cat.products[i].needs and (n not in dev or cat.is_device[i])) >= req.qty(n))
        out.append((q, total, swt, met))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogs(), requests())
def test_every_guarantee_holds(cat, req):
    """Do rules, budget, rising price and tier, devices and promises hold, and is the fit honest?"""
    c = compare(cat, req)
    bundles = _bundles(cat, req)
    best_cover = max((len(b[3]) for b in bundles), default=0)
    assert not violations(cat, req, view(c), any_fit=False)
    for o in c.options:
        assert o.total_price == sum(ln.amount for ln in o.items) and o.items and o.total_price > 0
    if best_cover == len(req.needs):
        assert c.fit == "full" and c.closest is None
        assert c.options[0].total_price == min(b[1] for b in bundles if len(b[3]) == len(req.needs))
    else:
        assert c.fit in ("partial", "none") and c.closest is not None
        assert all(o.missing_needs for o in c.options)
    if best_cover == 0:
        assert c.options == () and c.fit == "none"
    else:
        assert len(c.options[0].covered_needs) == best_cover
        target = set(c.options[0].covered_needs)
        last = c.options[-1]
        if len(c.options) < 3:  # fewer only when no dearer bundle of no lower tier covers the same needs
            assert not any(b[1] > last.total_price and b[2] >= last.spend_weighted_tier - 1e-9 and target <= b[3]
                           for b in bundles)


@settings(max_examples=150, deadline=None)
@given(catalogs(), requests())
def test_closest_names_extra_budget(cat, req):
    """When the budget is short, does closest say how much more would cover every coverable need?"""
    c = compare(cat, req)
    if c.fit == "full":
        return
    wide = Request(req.budget_min, 10**9, req.needs, category=req.category, quantities=dict(req.quantities))
    cw = compare(cat, wide)
    if cw.options and c.closest.extra_cny is not None:
        assert c.closest.total_price == cw.options[0].total_price
        assert c.closest.extra_cny == max(cw.options[0].total_price - req.budget_max, 0)
    if cw.fit != "full":
        assert c.closest.uncoverable_needs
