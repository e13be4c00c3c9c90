"""Solution comparison: the pure solver (``solver/``) fed from the catalog in the database, its answer checked
against the data and rendered for the caller.

Each process keeps one ``solver.Catalog`` (pre-indexed, immutable) built from the products and rebuilt when
the shared ``catalog`` counter moves (every import, create or update bumps it). The three options are the
solver's integer programs (docs/solutions.md); here the request is validated against the data (category,
counter type, shopper type, quantities), option names and every ``why`` entry are rendered from codes in the
caller's language, and an answer with fewer than three options becomes an honest error (``no_fit``) that
carries what is missing and the closest bundles.
"""

from dataclasses import dataclass

from sqlalchemy import select

import solver
from app import i18n
from app.errors import InvalidInput
from app.extensions import db
from app.models import PlaceCategory, Product
from app.services import versions
from app.services.catalog import CATALOG, catalog_changed, counter_type_keys, shopper_type_keys
from app.services.names import display_names

__all__ = ["CATALOG", "NoFit", "SolverCatalog", "catalog", "catalog_changed", "compare"]


class NoFit(InvalidInput):
    """Fewer than three options can be built: the error says why and carries what could be built."""

    code = "no_fit"

    def __init__(self, message: str, *, fields: dict, detail: dict):
        super().__init__(message, code=self.code, fields=fields)
        self.detail = detail


@dataclass(frozen=True)
class SolverCatalog:
    """The solver's catalog and the keys a request may name (read with it, so a comparison reads no table)."""

    catalog: solver.Catalog
    categories: frozenset[str]
    counter_types: frozenset[str]
    shopper_types: frozenset[str]


def _product(row: Product) -> solver.Product:
    return solver.Product(
        sku=row.sku, name=row.name, kind=row.kind, tier=row.tier, price_cny=row.price_cny,
        delivery_days=row.delivery_days, needs=frozenset(row.needs or ()),
        fits_categories=frozenset(row.fits_categories or ()), counter_types=frozenset(row.counter_types or ()),
        channel=row.channel, promises=tuple(solver.Promise(**p) for p in row.promises or ()),
        requires_any=frozenset(row.requires_any or ()), excludes=frozenset(row.excludes or ()), slot=row.slot,
        max_qty=row.max_qty or 1,
    )


def _load(version: int) -> SolverCatalog:
    rows = db.session.scalars(select(Product).order_by(Product.sku))
    return SolverCatalog(catalog=solver.Catalog.build([_product(r) for r in rows]),
                         categories=frozenset(db.session.scalars(select(PlaceCategory.key))),
                         counter_types=frozenset(counter_type_keys()), shopper_types=frozenset(shopper_type_keys()))


def catalog() -> SolverCatalog:
    """This process's solver catalog, rebuilt when products change."""
    return versions.cached(CATALOG, _load)


def _check(current: SolverCatalog, *, needs: list[str], category, counter_type, shopper_type, quantities) -> None:
    problems: dict[str, list[str]] = {}
    if not needs:
        problems["needs"] = ["Name at least one need."]
    if category is not None and category not in current.categories:
        problems["category"] = [f"Unknown category; one of {sorted(current.categories)}."]
    if counter_type is not None and counter_type not in current.counter_types:
        problems["counter_type"] = [f"Unknown counter type; one of {sorted(current.counter_types)}."]
    if shopper_type is not None and shopper_type not in current.shopper_types:
        problems["shopper_type"] = [f"Unknown shopper type; one of {sorted(current.shopper_types)}."]
    unknown = sorted(set(quantities) - set(needs))
    if unknown:
        problems["quantities"] = [f"Quantities are per need; not among the needs: {'、'.join(unknown)}."]
    if problems:
        raise InvalidInput("Some values are not valid.", fields=problems)


# Facts renamed at the edge so the one renderer (app/i18n.py, pwa/src/core/why.js) formats them: CNY amounts
# end in _cny (thousands grouping), an option key is an ``option`` (a coded fact, rendered by name).
_RENAMED = {"budget_min": "budget_min_cny", "budget_max": "budget_max_cny", "other": "option"}


def _facts(facts: dict) -> dict:
    out = {_RENAMED.get(k, k): v for k, v in facts.items()}
    if "tier_share" in out:
        out["tier_share_pct"] = round(100 * out.pop("tier_share"))
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in out.items()}


def _why(entries, locale: str, names: dict) -> list[dict]:
    return i18n.render_why([{"rule": e["rule"], "facts": _facts(e["facts"])} for e in entries], locale, names)


def _option(option: solver.Option, locale: str, names: dict) -> dict:
    return {
        "key": option.key,
        "name": i18n.message(f"options.{option.key}", locale),
        "total_price": option.total_price,
        "cost_breakdown": [{"sku": line.sku, "name": line.name, "kind": line.kind, "tier": line.tier,
                            "quantity": line.qty, "unit_price": line.unit_price, "amount": line.amount}
                           for line in option.items],
        "delivery_days": option.delivery_days,
        "service_commitments": [p.text for p in option.promises],
        "promises": [{"covers": p.covers, "kind": p.kind, "value": p.value, "unit": p.unit, "text": p.text}
                     for p in option.promises],
        "covered_needs": list(option.covered_needs),
        "missing_needs": list(option.missing_needs),
        "fit_score": option.fit_score,
        "spend_weighted_tier": round(option.spend_weighted_tier, 3),
        "why": _why(option.why, locale, names),
    }


def _closest(closest: solver.Closest | None) -> dict | None:
    if closest is None:
        return None
    return {"missing_needs": list(closest.missing_needs), "uncoverable_needs": list(closest.uncoverable_needs),
            "extra_cny": closest.extra_cny, "total_price": closest.total_price, "skus": list(closest.skus)}


def compare(*, budget_min: float, budget_max: float, needs: list[str], category: str | None = None,
            channel: str | None = None, counter_type: str | None = None, shopper_type: str | None = None,
            quantities: dict[str, int] | None = None, locale: str = i18n.DEFAULT_LOCALE) -> dict:
    """Three options — economy, standard, premium — for a budget and needs, rendered in ``locale``.

    ``channel`` defaults to ``retail`` when a ``counter_type`` is given, else ``b2b``; ``quantities`` are
    units per need (six handheld ultrasounds for a family-doctor team: ``{"超声": 6}``). Raises
    ``InvalidInput`` for keys the data does not know and ``NoFit`` when three rising options cannot be built.
    """
    current = catalog()
    needs = list(dict.fromkeys(n.strip() for n in needs if n and n.strip()))
    quantities = quantities or {}
    _check(current, needs=needs, category=category, counter_type=counter_type, shopper_type=shopper_type,
           quantities=quantities)
    channel = channel or ("retail" if counter_type else "b2b")
    request = solver.Request(budget_min=int(budget_min), budget_max=int(budget_max), needs=tuple(needs),
                             category=category, counter_type=counter_type, channel=channel,
                             quantities=dict(quantities))
    result = solver.compare(current.catalog, request)
    names = display_names()
    answer = {"budget_min": budget_min, "budget_max": budget_max, "needs": needs, "category": category,
              "channel": channel, "counter_type": counter_type, "shopper_type": shopper_type,
              "fit": result.fit, "why": _why(result.why, locale, names), "closest": _closest(result.closest),
              "options": [_option(o, locale, names) for o in result.options]}
    if len(answer["options"]) < 3:
        reasons = [w["detail"] for w in answer["why"]] or [i18n.message("errors.no_fit", locale)]
        raise NoFit(i18n.message("errors.no_fit", locale), fields={"budget_max": reasons},
                    detail={"fit": answer["fit"], "why": answer["why"], "closest": answer["closest"],
                            "options": answer["options"]})
    return answer
