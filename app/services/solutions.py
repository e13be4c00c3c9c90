"""Solution comparison: three ready options built from the product catalog for a budget and needs.

The catalog is small and read-mostly, so each process keeps it in memory as immutable tuples and a
comparison is pure arithmetic over them (p99 well under 20 ms; see bench/bench_solutions.py).
"""

from dataclasses import dataclass

from sqlalchemy import select

from app.errors import InvalidInput
from app.extensions import db
from app.models import PlaceCategory, Product
from app.services import versions

TIER_RANK = {"economy": 0, "standard": 1, "premium": 2}
STRATEGIES = (
    # (key, name, where in the budget range the option aims, preferred tier)
    ("economy", "经济实用型", 0.0, "economy"),
    ("standard", "均衡推荐型", 0.5, "standard"),
    ("premium", "高配无忧型", 1.0, "premium"),
)
TIER_NAMES = {"economy": "经济", "standard": "标准", "premium": "高端"}
_EXTRA_KINDS = ("service", "software", "consumable")


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    kind: str
    price: int
    delivery_days: int
    service_commitments: tuple[str, ...]
    needs: frozenset[str]
    tier: str
    fits: frozenset[str]


@dataclass(frozen=True)
class Catalog:
    items: tuple[Item, ...]
    categories: frozenset[str]

    def for_category(self, category: str | None) -> tuple[Item, ...]:
        if category is None:
            return self.items
        return tuple(i for i in self.items if not i.fits or category in i.fits)


CATALOG = "catalog"


def _load_catalog(version: int) -> Catalog:
    items = tuple(
        Item(
            sku=p.sku,
            name=p.name,
            kind=p.kind,
            price=p.price_cny,
            delivery_days=p.delivery_days,
            service_commitments=tuple(p.service_commitments or ()),
            needs=frozenset(p.needs or ()),
            tier=p.tier,
            fits=frozenset(p.fits_categories or ()),
        )
        for p in db.session.scalars(select(Product).order_by(Product.price_cny, Product.sku))
    )
    categories = frozenset(db.session.scalars(select(PlaceCategory.key)))
    return Catalog(items=items, categories=categories)


def catalog() -> Catalog:
    """This process's catalog, reloaded when products change."""
    return versions.cached(CATALOG, _load_catalog)


def catalog_changed() -> None:
    """Record that products changed: every process reloads its catalog on its next look."""
    versions.bump(CATALOG)


def _pick(items, needs, *, tier: str, target: float, budget_max: float, penalised: frozenset[str]):
    """Greedy cover of ``needs``: most needs per yuan, nudged towards ``tier`` and away from ``penalised``."""
    chosen: list[Item] = []
    remaining = set(needs)
    total = 0
    scale = max(target, 1.0)

    def score(item: Item, gain: int) -> float:
        tier_fit = 1.0 - abs(TIER_RANK.get(item.tier, 1) - TIER_RANK[tier]) / 2
        price_fit = 1.0 / (1.0 + item.price / scale)
        penalty = 0.3 if item.sku in penalised else 1.0
        return gain * (1.0 + 2.0 * tier_fit) * price_fit * penalty

    while remaining:
        best, best_score = None, 0.0
        for item in items:
            gain = len(item.needs & remaining)
            if gain and item not in chosen and total + item.price <= budget_max:
                s = score(item, gain)
                if s > best_score:
                    best, best_score = item, s
        if best is None:
            break
        chosen.append(best)
        total += best.price
        remaining -= best.needs
    if not needs:
        core = [i for i in items if i.kind in ("device", "bundle_item") and i.price <= budget_max]
        if core:
            best = max(core, key=lambda i: score(i, 1))
            chosen.append(best)
            total += best.price
    # Spend towards the option's target on service/software that fits its tier (training, warranty...).
    extras = sorted(
        (i for i in items if i.kind in _EXTRA_KINDS and i not in chosen),
        key=lambda i: (-score(i, 1), i.price),
    )
    for item in extras:
        if total >= target:
            break
        if total + item.price <= budget_max:
            chosen.append(item)
            total += item.price
    return chosen, total


def compare(*, budget_min: float, budget_max: float, needs: list[str], category: str | None = None) -> dict:
    """Three distinct options (economy, balanced, premium) with cost breakdown, fit score and why."""
    current = catalog()
    if category is not None and category not in current.categories:
        raise InvalidInput(f"Unknown category {category!r}.", fields={"category": ["Unknown category."]})
    needs = list(dict.fromkeys(n.strip() for n in needs if n.strip()))
    items = current.for_category(category)
    options, seen = [], set()
    for key, label, position, tier in STRATEGIES:
        target = budget_min + position * (budget_max - budget_min)
        penalised = frozenset(sku for skus in seen for sku in skus)
        chosen, total = _pick(items, needs, tier=tier, target=target, budget_max=budget_max, penalised=penalised)
        seen.add(frozenset(i.sku for i in chosen))
        options.append(_option(key, label, tier, chosen, total, needs, budget_min, budget_max))
    return {"budget_min": budget_min, "budget_max": budget_max, "needs": needs, "category": category,
            "options": options}


def _option(key, label, tier, chosen, total, needs, budget_min, budget_max) -> dict:
    covered = [n for n in needs if any(n in i.needs for i in chosen)]
    missing = [n for n in needs if n not in covered]
    coverage = len(covered) / len(needs) if needs else (1.0 if chosen else 0.0)
    if budget_min <= total <= budget_max:
        budget_fit = 1.0
    elif total < budget_min:
        budget_fit = 0.8
    else:
        budget_fit = 0.0
    why = []
    if needs:
        why.append(f"覆盖需求 {len(covered)}/{len(needs)}" + (f"：{'、'.join(covered)}" if covered else ""))
    if missing:
        why.append(f"未覆盖：{'、'.join(missing)}（预算内无合适产品，建议另行报价）")
    if total <= budget_max:
        where = "在预算内" if total >= budget_min else "低于预算下限，可加配"
        why.append(f"总价 ¥{total:,} {where}（预算 ¥{budget_min:,.0f}–¥{budget_max:,.0f}）")
    why.append(f"{label}：优先选用{TIER_NAMES[tier]}档产品")
    slowest = max(chosen, key=lambda i: i.delivery_days, default=None)
    if slowest:
        why.append(f"最长交付 {slowest.delivery_days} 天（{slowest.name}）")
    commitments = list(dict.fromkeys(c for i in chosen for c in i.service_commitments))
    return {
        "key": key,
        "name": label,
        "total_price": total,
        "cost_breakdown": [
            {"sku": i.sku, "name": i.name, "kind": i.kind, "tier": i.tier, "amount": i.price} for i in chosen
        ],
        "delivery_days": slowest.delivery_days if slowest else 0,
        "service_commitments": commitments,
        "covered_needs": covered,
        "missing_needs": missing,
        "fit_score": round(100 * (0.7 * coverage + 0.3 * budget_fit)),
        "why": why,
    }
