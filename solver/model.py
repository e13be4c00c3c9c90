"""Data of the solution comparison: products and their promises, a request, and the answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

KINDS = ("device", "accessory", "consumable", "software", "service")
TIERS = ("economy", "standard", "premium")
TIER_RANK = {t: i for i, t in enumerate(TIERS)}
PROMISE_KINDS = ("warranty", "response", "onsite", "uptime", "training", "delivery", "other")
OPTION_KEYS = TIERS  # economy, standard, premium — one option per key
FITS = ("full", "partial", "none")


def _fs(v: Iterable[str] | None) -> frozenset[str]:
    if v is None:
        return frozenset()
    if isinstance(v, str):
        return frozenset((v,))
    return frozenset(v)


@dataclass(frozen=True)
class Promise:
    """A service promise attached to an item: what it ``covers`` (冷藏柜整机), its ``kind``, value and unit.

    ``kind`` is one of :data:`PROMISE_KINDS`; ``value``/``unit`` are None when the promise has no measure
    (e.g. 夜间安装不停业). ``text`` is the catalog's own wording, shown as is.
    """

    covers: str
    kind: str
    value: float | None
    unit: str | None
    text: str


@dataclass(frozen=True)
class Product:
    """One SKU. Empty ``fits_categories`` / ``counter_types`` mean "fits everywhere".

    Rules: ``requires_any`` — chosen only together with at least one of these SKUs (a probe needs a host);
    ``excludes`` — never together with these SKUs; ``slot`` — at most one SKU per slot (its main item);
    ``max_qty`` — units of this SKU one option may hold.
    """

    sku: str
    name: str
    kind: str
    tier: str
    price_cny: int
    delivery_days: int
    needs: frozenset[str]
    fits_categories: frozenset[str] = frozenset()
    counter_types: frozenset[str] = frozenset()
    channel: str = "b2b"
    promises: tuple[Promise, ...] = ()
    requires_any: frozenset[str] = frozenset()
    excludes: frozenset[str] = frozenset()
    slot: str | None = None
    max_qty: int = 1

    def __post_init__(self):
        for name in ("needs", "fits_categories", "counter_types", "requires_any", "excludes"):
            value = getattr(self, name)
            if not isinstance(value, frozenset):
                object.__setattr__(self, name, _fs(value))
        if not isinstance(self.promises, tuple):
            object.__setattr__(self, "promises", tuple(self.promises))


@dataclass(frozen=True)
class Request:
    """A shopper's or client's budget range (CNY), needs, and where the option is sold.

    ``quantities`` maps a need to the units it calls for (``{"超声": 6}``: six handheld units); other needs
    call for one unit. ``category`` is a place category key, ``counter_type`` a retail counter type,
    ``channel`` ``b2b`` or ``retail``; None means "any".
    """

    budget_min: int
    budget_max: int
    needs: tuple[str, ...]
    category: str | None = None
    counter_type: str | None = None
    channel: str | None = None
    quantities: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self):
        needs = tuple(dict.fromkeys(n.strip() for n in self.needs if n and n.strip()))
        object.__setattr__(self, "needs", needs)
        object.__setattr__(self, "quantities", MappingProxyType(dict(self.quantities)))
        if self.budget_min < 0 or self.budget_max < self.budget_min:
            raise RequestError("budget_range", {"budget_min": self.budget_min, "budget_max": self.budget_max})
        for need, qty in self.quantities.items():
            if not isinstance(qty, int) or qty < 1:
                raise RequestError("quantity", {"need": need, "qty": qty})

    def qty(self, need: str) -> int:
        """Units the request calls for on ``need`` (1 unless ``quantities`` says otherwise)."""
        return int(self.quantities.get(need, 1))


@dataclass(frozen=True)
class Line:
    """One line of an option: ``qty`` units at ``unit_price``; ``amount`` = qty × unit_price."""

    sku: str
    name: str
    kind: str
    tier: str
    qty: int
    unit_price: int
    amount: int


@dataclass(frozen=True)
class Option:
    """One of the three options. ``promises`` are merged: per (covers, kind) only the strongest."""

    key: str
    items: tuple[Line, ...]
    total_price: int
    delivery_days: int
    promises: tuple[Promise, ...]
    covered_needs: tuple[str, ...]
    missing_needs: tuple[str, ...]
    fit_score: int
    spend_weighted_tier: float
    why: tuple[dict, ...]


@dataclass(frozen=True)
class Closest:
    """The honest no-fit answer: the cheapest cover of every coverable need, ignoring the budget.

    ``extra_cny`` is how much more than ``budget_max`` that cover costs (None when no need is coverable);
    ``uncoverable_needs`` are needs no catalog item that fits the request can cover at any price.
    """

    missing_needs: tuple[str, ...]
    uncoverable_needs: tuple[str, ...]
    extra_cny: int | None
    total_price: int | None
    skus: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    """The answer: up to three options (economy < standard < premium in price), the fit and why.

    ``fit`` is ``full`` (every need covered within budget), ``partial`` (some) or ``none``; ``closest`` is
    set whenever ``fit`` is not ``full``.
    """

    options: tuple[Option, ...]
    fit: str
    why: tuple[dict, ...]
    closest: Closest | None


class CatalogError(ValueError):
    """A catalog that breaks its own rules. ``errors``: tuple of ``{"sku", "code", "facts"}``.

    Codes: ``duplicate_sku``, ``unknown_kind``, ``unknown_tier``, ``bad_price``, ``bad_delivery``,
    ``bad_max_qty``, ``unknown_requires``, ``unknown_excludes``, ``self_rule``,
    ``unknown_promise_kind``.
    """

    def __init__(self, errors: Iterable[dict]):
        self.errors = tuple(errors)
        lines = "; ".join(f"{e['sku']}: {e['code']} {e['facts']}" for e in self.errors)
        super().__init__(f"invalid catalog ({len(self.errors)} errors): {lines}")


class RequestError(ValueError):
    """A request that cannot be answered as given: ``code`` (``budget_range``, ``quantity``) + ``facts``."""

    def __init__(self, code: str, facts: dict):
        self.code = code
        self.facts = facts
        super().__init__(f"{code}: {facts}")
