"""Load the demo catalog (app/demo/data/products.yaml's format) as solver products — data only, no app."""

from __future__ import annotations

from pathlib import Path

import yaml

from .model import Product
from .promises import parse

DEMO_PRODUCTS = Path(__file__).resolve().parent.parent / "app" / "demo" / "data" / "products.yaml"


def product_from_row(row: dict) -> Product:
    """A :class:`Product` from one catalog row: ``bundle_item`` becomes an accessory, service commitments
    become promises about the product itself (kind parsed from the wording, else ``other``)."""
    kind = "accessory" if row["kind"] == "bundle_item" else row["kind"]
    return Product(
        sku=row["sku"], name=row["name"], kind=kind, tier=row["tier"], price_cny=int(row["price_cny"]),
        delivery_days=int(row["delivery_days"]), needs=frozenset(row.get("needs") or ()),
        fits_categories=frozenset(row.get("fits_categories") or ()),
        channel="retail" if row.get("channel") == "retail" else "b2b",
        promises=tuple(parse(t, row["name"]) for t in row.get("service_commitments") or ()),
    )


def load_products(path: str | Path = DEMO_PRODUCTS) -> list[Product]:
    """Every product of a catalog YAML file (a list of rows)."""
    rows = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return [product_from_row(r) for r in rows]
