"""An immutable, pre-indexed catalog and the pre-filter that keeps only candidates that can matter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType

from .model import KINDS, PROMISE_KINDS, TIER_RANK, CatalogError, Product, Request
from .promises import strength

#: Per need, the pre-filter keeps this many of the cheapest fitting items in each group
#: (device or not × tier × covers one or several of the requested needs), and as many hosts per tier.
CAP_PER_GROUP = 4
UNCAPPED = 1 << 30


@dataclass(frozen=True)
class Catalog:
    """Products plus the indexes :func:`solver.compare` needs; build it with :meth:`Catalog.build`."""

    products: tuple[Product, ...]
    by_sku: MappingProxyType
    by_need: MappingProxyType  # need -> product indices, cheapest first
    rank: tuple[int, ...]
    is_device: tuple[bool, ...]
    strength: tuple[float, ...]  # summed promise strength per product
    hosts: tuple[tuple[int, ...], ...]  # requires_any as indices, cheapest first
    excludes: tuple[frozenset[int], ...]  # symmetric

    @classmethod
    def build(cls, products: Iterable[Product]) -> Catalog:
        """Validate and index ``products``; raise :class:`CatalogError` listing every broken rule per SKU."""
        products = tuple(products)
        errors: list[dict] = []
        by_sku: dict[str, int] = {}
        for i, p in enumerate(products):
            if p.sku in by_sku:
                errors.append({"sku": p.sku, "code": "duplicate_sku", "facts": {}})
            by_sku.setdefault(p.sku, i)
        for p in products:
            if p.kind not in KINDS:
                errors.append({"sku": p.sku, "code": "unknown_kind", "facts": {"kind": p.kind, "valid": KINDS}})
            if p.tier not in TIER_RANK:
                errors.append({"sku": p.sku, "code": "unknown_tier",
                               "facts": {"tier": p.tier, "valid": tuple(TIER_RANK)}})
            if not isinstance(p.price_cny, int) or p.price_cny < 0:
                errors.append({"sku": p.sku, "code": "bad_price", "facts": {"price_cny": p.price_cny}})
            if not isinstance(p.delivery_days, int) or p.delivery_days < 0:
                errors.append({"sku": p.sku, "code": "bad_delivery", "facts": {"delivery_days": p.delivery_days}})
            if not isinstance(p.max_qty, int) or p.max_qty < 1:
                errors.append({"sku": p.sku, "code": "bad_max_qty", "facts": {"max_qty": p.max_qty}})
            for rule, skus in (("requires", p.requires_any), ("excludes", p.excludes)):
                unknown = sorted(s for s in skus if s not in by_sku)
                if unknown:
                    errors.append({"sku": p.sku, "code": f"unknown_{rule}", "facts": {"skus": unknown}})
                if p.sku in skus:
                    errors.append({"sku": p.sku, "code": "self_rule", "facts": {"rule": rule}})
            for pr in p.promises:
                if pr.kind not in PROMISE_KINDS:
                    errors.append({"sku": p.sku, "code": "unknown_promise_kind",
                                   "facts": {"kind": pr.kind, "valid": PROMISE_KINDS}})
        if errors:
            raise CatalogError(errors)
        price = [p.price_cny for p in products]
        by_need: dict[str, list[int]] = {}
        for i, p in enumerate(products):
            for n in p.needs:
                by_need.setdefault(n, []).append(i)
        excludes: list[set[int]] = [set() for _ in products]
        for i, p in enumerate(products):
            for s in p.excludes:
                j = by_sku[s]
                excludes[i].add(j)
                excludes[j].add(i)

        def cheapest(ix):
            return tuple(sorted(ix, key=lambda k: (price[k], products[k].sku)))

        return cls(
            products=products,
            by_sku=MappingProxyType(by_sku),
            by_need=MappingProxyType({n: cheapest(ix) for n, ix in by_need.items()}),
            rank=tuple(TIER_RANK[p.tier] for p in products),
            is_device=tuple(p.kind == "device" for p in products),
            strength=tuple(sum(strength(pr) for pr in p.promises) for p in products),
            hosts=tuple(cheapest(by_sku[s] for s in p.requires_any) for p in products),
            excludes=tuple(frozenset(e) for e in excludes),
        )

    def fits(self, i: int, request: Request, price_cap: float) -> bool:
        """Whether product ``i`` may be sold for ``request`` (channel, category, counter type, price)."""
        p = self.products[i]
        return (
            p.price_cny <= price_cap
            and (request.channel is None or p.channel == request.channel)
            and (request.category is None or not p.fits_categories or request.category in p.fits_categories)
            and (request.counter_type is None or not p.counter_types or request.counter_type in p.counter_types)
        )

    def coverable(self, request: Request) -> frozenset[str]:
        """Requested needs that some product fitting the request covers, at any price."""
        inf = float("inf")
        return frozenset(n for n in request.needs if any(self.fits(i, request, inf) for i in self.by_need.get(n, ())))

    def pool(self, request: Request, price_cap: float, cap: int = CAP_PER_GROUP) -> list[int]:
        """Candidate product indices for ``request``: fitting items that cover a requested need, plus hosts.

        Per need, at most ``cap`` of the cheapest fitting items per group (device or not, tier, covering one
        or several requested needs) — the cheapest of each group is what any of the three objectives would
        pick first, and the groups keep every tier and the devices in play. Hosts that items require are
        added (``cap`` cheapest per tier, transitively); items whose hosts cannot be had are dropped.
        """
        wanted = frozenset(request.needs)
        chosen: dict[int, None] = {}
        for n in request.needs:
            counts: dict[tuple, int] = {}
            for i in self.by_need.get(n, ()):
                if self.products[i].price_cny > price_cap:
                    break  # cheapest first
                if not self.fits(i, request, price_cap):
                    continue
                group = (self.is_device[i], self.rank[i], len(self.products[i].needs & wanted) > 1)
                k = counts.get(group, 0)
                if k < cap:
                    counts[group] = k + 1
                    chosen[i] = None
        frontier = [i for i in chosen if self.hosts[i]]
        while frontier:
            nxt = []
            for i in frontier:
                counts = {}
                for j in self.hosts[i]:
                    if j in chosen:
                        continue
                    if not self.fits(j, request, price_cap):
                        continue
                    k = counts.get(self.rank[j], 0)
                    if k < cap:
                        counts[self.rank[j]] = k + 1
                        chosen[j] = None
                        if self.hosts[j]:
                            nxt.append(j)
            frontier = nxt
        # drop items none of whose hosts made it (repeat: a host may itself lose its host)
        keep = set(chosen)
        changed = True
        while changed:
            changed = False
            for i in list(keep):
                if self.hosts[i] and not any(j in keep for j in self.hosts[i]):
                    keep.discard(i)
                    changed = True
        return sorted(keep)
