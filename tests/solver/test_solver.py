"""Unit tests of the solution comparison solver, including the demo cases from issue 8."""

import itertools
import subprocess
import sys

import pytest

from solver import WHY_CODES, Catalog, CatalogError, Product, Promise, Request, RequestError, compare
from solver.check import view, violations
from solver.demo import load_products


@pytest.fixture(scope="module")
def demo():
    return Catalog.build(load_products())


def P(sku, kind="device", tier="standard", price=1000, needs=("a",), **kw):
    return Product(sku=sku, name=sku, kind=kind, tier=tier, price_cny=price, delivery_days=kw.pop("days", 3),
                   needs=frozenset(needs), **kw)


def _codes(why):
    return {w["rule"] for w in why}


def test_is_pure():
    """Does importing the solver stay clear of Flask, SQLAlchemy and the app?"""
    code = "import sys, solver; print(any(m.split('.')[0] in ('flask', 'sqlalchemy', 'app') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=".")
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("req", [
    Request(300000, 1200000, ("电子价签", "收银", "冷链"), category="ka_supermarket"),
    Request(50000, 900000, ("医美", "射频"), category="aesthetics_clinic"),
    Request(50000, 200000, ("超声", "基层"), category="community_health_center"),
    Request(20000, 60000, ("冷链",), category="community_grocery"),
])
def test_demo_options_rise_and_differ(demo, req):
    """Is premium never priced below standard, and are the three bundles different (issue 8)?"""
    c = compare(demo, req)
    assert c.fit == "full" and [o.key for o in c.options] == ["economy", "standard", "premium"]
    totals = [o.total_price for o in c.options]
    assert totals == sorted(set(totals))
    tiers = [o.spend_weighted_tier for o in c.options]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(tiers))
    assert len({tuple((ln.sku, ln.qty) for ln in o.items) for o in c.options}) == 3
    assert not violations(demo, req, view(c), any_fit=True)


def test_primary_care_ultrasound_has_a_device_in_every_option(demo):
    """Does every option for an ultrasound need hold an ultrasound device, not just covers and gel?"""
    c = compare(demo, Request(50000, 200000, ("超声",), category="community_health_center"))
    assert len(c.options) == 3
    for o in c.options:
        assert any(ln.kind == "device" and "超声" in demo.products[demo.by_sku[ln.sku]].needs for ln in o.items)
        assert "device_included" in _codes(o.why)


def test_impossible_budget_is_answered_honestly(demo):
    """Does ¥0–1,000 give no ¥0 options, fit none, and the budget that would cover the need?"""
    c = compare(demo, Request(0, 1000, ("超声",), category="community_health_center"))
    assert c.options == () and c.fit == "none"
    assert c.closest.extra_cny == 59800 - 1000 and c.closest.missing_needs == ("超声",)
    assert {"budget_short", "nothing_in_budget"} <= _codes(c.why)
    short = next(w for w in c.why if w["rule"] == "budget_short")
    assert short["facts"] == {"missing_needs": ["超声"], "extra_cny": 58800}


def test_partial_fit_names_missing_and_uncoverable(demo):
    """When a need cannot be covered at all, do options say what they miss and closest say it is uncoverable?"""
    c = compare(demo, Request(100000, 300000, ("超声", "射频"), category="community_health_center"))
    assert c.fit == "partial"
    assert all(o.missing_needs == ("射频",) for o in c.options)
    assert c.closest.uncoverable_needs == ("射频",) and c.closest.extra_cny is None
    assert "needs_uncoverable" in _codes(c.why)


def test_budget_short_for_second_need():
    """Does a short budget give partial options and the extra yuan that would cover every need?"""
    cat = Catalog.build([P("A", needs=("a",), price=100), P("B", needs=("b",), price=500, kind="software")])
    c = compare(cat, Request(0, 300, ("a", "b")))
    assert c.fit == "partial" and c.options[0].missing_needs == ("b",)
    assert c.closest.extra_cny == 300 and c.closest.total_price == 600


def test_contradicting_warranties_merge_to_the_strongest():
    """Does an option never list 整机保修 2 年 next to 整机保修 3 年 for the same thing?"""
    w2 = Promise("冷藏柜整机", "warranty", 2, "年", "冷藏柜整机保修 2 年")
    w3 = Promise("冷藏柜整机", "warranty", 3, "年", "冷藏柜整机保修 3 年")
    cat = Catalog.build([
        P("FRIDGE", needs=("冷链",), price=10000, promises=(w2,)),
        P("CARE", kind="service", needs=("冷链", "维保"), price=2000, promises=(w3,)),
    ])
    c = compare(cat, Request(0, 50000, ("冷链", "维保")))
    o = c.options[0]
    assert [p.text for p in o.promises if p.kind == "warranty"] == ["冷藏柜整机保修 3 年"]
    assert "promise_superseded" in _codes(o.why)


def test_quantities_and_slots_and_requires():
    """Are 6 handheld units bought, one main item per slot, and probes only with a host?"""
    cat = Catalog.build([
        P("H3", needs=("超声",), price=1000, max_qty=8, slot="us", tier="economy"),
        P("P20", needs=("超声",), price=3000, max_qty=8, slot="us", tier="premium"),
        P("PROBE", kind="accessory", needs=("超声",), price=200, requires_any=frozenset({"H3", "P20"})),
        P("GEL", kind="consumable", needs=("超声",), price=50, excludes=frozenset({"PROBE"})),
    ])
    req = Request(0, 30000, ("超声",), quantities={"超声": 6})
    c = compare(cat, req)
    assert c.fit == "full" and len(c.options) == 3
    assert c.options[0].items[0].sku == "H3" and c.options[0].items[0].qty == 6
    for o in c.options:
        skus = {ln.sku for ln in o.items}
        assert not {"H3", "P20"} <= skus and not {"PROBE", "GEL"} <= skus
    assert not violations(cat, req, view(c), any_fit=True)


def test_duplicate_bundles_never_returned():
    """With one product only, is the single bundle offered once (and fewer_options said), not three times?"""
    cat = Catalog.build([P("ONLY", price=87600)])
    c = compare(cat, Request(0, 100000, ("a",)))
    assert len(c.options) == 1 and "fewer_options" in _codes(c.why)


def test_catalog_errors_are_per_sku():
    """Does a catalog naming unknown SKUs in its rules fail with a code per SKU?"""
    with pytest.raises(CatalogError) as err:
        Catalog.build([P("A", requires_any=frozenset({"NOPE"})), P("B", excludes=frozenset({"B"})), P("A")])
    codes = {(e["sku"], e["code"]) for e in err.value.errors}
    assert codes == {("A", "unknown_requires"), ("B", "self_rule"), ("A", "duplicate_sku")}


def test_bad_request():
    with pytest.raises(RequestError):
        Request(10, 5, ("a",))


def test_why_codes_are_declared(demo):
    """Is every why code the solver emits listed in WHY_CODES, with facts and no sentences?"""
    reqs = [Request(0, 1000, ("超声",)), Request(100000, 300000, ("超声", "射频"), category="community_health_center"),
            Request(300000, 1200000, ("电子价签", "收银"), category="ka_supermarket"), Request(0, 10, ())]
    for r in reqs:
        c = compare(demo, r)
        for w in c.why + tuple(w for o in c.options for w in o.why):
            assert w["rule"] in WHY_CODES and isinstance(w["facts"], dict)


def test_highs_solve_proves_the_integer_optimum():
    """Does the tuned HiGHS call (heuristics off, one reused object) still return the integer optimum,
    and None when infeasible — also on a knapsack whose LP relaxation is fractional?"""
    import numpy as np

    from solver.highs import solve

    inf = float("inf")
    # max 5a + 4b + 3c  s.t.  2a + 3b + c <= 5, binary: LP optimum fractional at capacity 4
    c = np.array([-5.0, -4.0, -3.0])
    a = np.array([[2.0, 3.0, 1.0]])
    x = solve(c, a, [-inf], [5.0], np.zeros(3), np.ones(3), np.ones(3, dtype=bool))
    assert x is not None and list(x) == [1.0, 1.0, 0.0]  # 9 beats a+c (8); 2+3 = 5 fits
    for _ in range(3):  # the reused object keeps no state between models
        assert solve(c, a, [7.0], [inf], np.zeros(3), np.ones(3), np.ones(3, dtype=bool)) is None
        x = solve(c, a, [-inf], [4.0], np.zeros(3), np.ones(3), np.ones(3, dtype=bool))
        assert list(x) == [1.0, 0.0, 1.0]


def test_economy_dominance_filter_keeps_the_optimum(demo):
    """Does the economy pre-filter (dominated candidates dropped) leave the least cost unchanged?"""
    from solver.compare import _economy, _Model

    reqs = [Request(300000, 1200000, ("电子价签", "收银", "冷链"), category="ka_supermarket"),
            Request(50000, 200000, ("超声", "基层"), category="community_health_center"),
            Request(0, 30000, ("冷链", "收银")), Request(100000, 300000, ("超声", "射频"))]
    for req in reqs:
        pool = demo.pool(req, req.budget_max)
        pruned, whole = _Model(demo, req, pool), _Model(demo, req, pool)
        whole._econ = whole  # no filter
        assert len(pruned.economy_model().pool) <= len(pool)
        (a, fa), (b, fb) = _economy(pruned, req.budget_max), _economy(whole, req.budget_max)
        assert fa == fb and (a is None) == (b is None)
        if a is not None:
            assert (a.total, a.covered) == (b.total, b.covered)


def test_three_possible_tells_a_tight_budget_from_a_miss():
    """The benchmark's prover: True when three rising bundles exist, False when they cannot, None when too big."""
    from solver.check import three_possible

    def product(sku, price, tier, needs=("血压",)):
        return Product(sku=sku, name=sku, kind="device", tier=tier, price_cny=price, delivery_days=1,
                       needs=frozenset(needs), slot="main")  # one monitor per option

    three = Catalog.build([product("E", 199, "economy"), product("S", 399, "standard"), product("P", 1280, "premium")])
    assert three_possible(three, Request(0, 2000, ("血压",)), ("血压",)) is True
    assert three_possible(three, Request(0, 500, ("血压",)), ("血压",)) is False  # only E and S fit
    falling = Catalog.build([product("P", 199, "premium"), product("S", 399, "standard"),
                             product("E", 1280, "economy")])
    assert three_possible(falling, Request(0, 2000, ("血压",)), ("血压",)) is False  # dearer means a lower tier
    many = Catalog.build([product(f"X{i}", 100 + i, "economy") for i in range(20)])
    assert three_possible(many, Request(0, 10_000, ("血压",)), ("血压",), max_items=16) is None
