"""The product catalog: read, create, update, import and export products; counter and shopper types.

A catalog file (YAML shaped like ``app/demo/data/products.yaml``, or CSV with the same columns) is validated
as a whole before anything is written: every problem becomes a ``Problem`` (line, field, code, facts) and
is rendered per line in the user's language from ``locales/*.json`` (section ``catalog``), naming the valid
values. Every change bumps the ``catalog`` counter, so every process reloads its catalog.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence

import yaml
from marshmallow import ValidationError
from sqlalchemy import select

from app import i18n
from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.models import (
    PRODUCT_CHANNELS,
    PRODUCT_KINDS,
    PRODUCT_TIERS,
    PROMISE_KINDS,
    CounterType,
    PlaceCategory,
    Product,
    ShopperType,
    User,
)
from app.schemas.catalog import FIELDS, LIST_FIELDS, MAX_QTY, PRODUCT_LINES, PROMISE_UNITS, ProductIn
from app.services import audit, permissions, versions
from app.services.line_problems import FileInvalid, LineProblem

CATALOG = "catalog"
PRODUCT = "product"


def catalog_changed() -> None:
    """Record that products changed: every process reloads its catalog on its next look."""
    versions.bump(CATALOG)


# ───────────── problems, rendered per line ─────────────

class Problem(LineProblem):
    """One thing wrong with a catalog file or body (``line`` 0 = the whole file)."""

    MESSAGES = WHERE = "catalog"


class CatalogInvalid(FileInvalid):
    """The file (or body) breaks rules; nothing was written. ``problems`` say where and why."""

    code = "catalog_invalid"
    message = "The catalog has errors; nothing was written."
    SUMMARY = "catalog.summary"


# What each field must be: (message code, facts). Used to say, in the user's language, what was expected.
_RULES: dict[str, tuple[str, dict]] = {
    "sku": ("sku_format", {}),
    "name": ("text", {"max": 200}),
    "kind": ("one_of", {"choices": list(PRODUCT_KINDS)}),
    "category": ("one_of", {"choices": list(PRODUCT_LINES)}),
    "channel": ("one_of", {"choices": list(PRODUCT_CHANNELS)}),
    "tier": ("one_of", {"choices": list(PRODUCT_TIERS)}),
    "price_cny": ("integer_min", {"min": 0}),
    "delivery_days": ("integer_min", {"min": 0}),
    "max_qty": ("integer_range", {"min": 1, "max": MAX_QTY}),
    "slot": ("text", {"max": 64}),
    "promises": ("promises", {}),
    "covers": ("text", {"max": 100}),
    "text": ("text", {"max": 200}),
    "value": ("number", {}),
    "unit": ("promise_unit", {"choices": list(PROMISE_UNITS)}),
    **{name: ("words", {}) for name in LIST_FIELDS},
}
_PROMISE_KIND = ("one_of", {"choices": list(PROMISE_KINDS)})
_REQUIRED = "Missing data for required field."
_UNKNOWN = "Unknown field."


def _problems_from(messages: dict, line: int, prefix: str = "") -> list[Problem]:
    """marshmallow's nested messages → problems, each naming what the field must be."""
    out = []
    for key, value in messages.items():
        name = str(key)
        if isinstance(value, dict):
            if name.isdigit():  # an item of a list: promises[2].kind, needs[0]
                nested = {f"{k}": v for k, v in value.items()}
                out.extend(_problems_from(nested, line, f"{prefix}[{name}]"))
            else:
                out.extend(_problems_from(value, line, f"{prefix}.{name}" if prefix else name))
            continue
        path = f"{prefix}.{name}" if prefix and not name.isdigit() else (f"{prefix}[{name}]" if prefix else name)
        texts = value if isinstance(value, list) else [value]
        if _REQUIRED in texts:
            out.append(Problem(line, path, "required"))
        elif _UNKNOWN in texts:
            out.append(Problem(line, path, "unknown_field", {"choices": list(FIELDS)}))
        else:
            leaf = path.rsplit(".", 1)[-1].split("[", 1)[0]
            if leaf == "kind" and "promises" in path:
                code, facts = _PROMISE_KIND
            else:
                code, facts = _RULES.get(leaf, ("invalid", {"message": "; ".join(map(str, texts))}))
            out.append(Problem(line, path, code, facts))
    return out


def validate_rows(rows: Sequence[tuple[int, object]]) -> tuple[list[dict], list[Problem]]:
    """Validate numbered rows (``(line, raw mapping)``) as one catalog; returns the loaded rows and the problems.

    Checks each row with ``ProductIn``, then what needs the whole file and the database: SKUs unique in the
    file, ``requires_any``/``excludes`` naming SKUs of the file or the database (and not the product itself),
    known place categories and counter types.
    """
    schema = ProductIn()
    loaded: list[tuple[int, dict]] = []
    partial: list[tuple[int, dict]] = []  # what did read of a broken row, so its references are checked too
    problems: list[Problem] = []
    for line, raw in rows:
        if not isinstance(raw, dict):
            problems.append(Problem(line, "", "not_a_product"))
            continue
        try:
            loaded.append((line, schema.load(raw)))
        except ValidationError as err:
            messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
            problems.extend(_problems_from(messages, line))
            if isinstance(err.valid_data, dict):
                partial.append((line, err.valid_data))
    problems.extend(_reference_problems(sorted([*loaded, *partial], key=lambda r: r[0])))
    problems.sort(key=lambda p: p.line)
    return [data for _, data in loaded], problems


def _reference_problems(loaded: Sequence[tuple[int, dict]]) -> list[Problem]:
    problems = []
    first_line: dict[str, int] = {}
    for line, data in loaded:
        sku = data.get("sku")
        if sku is None:
            continue
        if sku in first_line:
            problems.append(Problem(line, "sku", "duplicate_sku", {"sku": sku, "other": first_line[sku]}))
        else:
            first_line[sku] = line
    known_skus = set(first_line) | set(db.session.scalars(select(Product.sku)))
    categories = sorted(db.session.scalars(select(PlaceCategory.key)))
    counters = sorted(db.session.scalars(select(CounterType.key)))
    for line, data in loaded:
        for name in ("requires_any", "excludes"):
            refs = data.get(name) or []
            unknown = [s for s in refs if s not in known_skus]
            if unknown:
                problems.append(Problem(line, name, "unknown_sku", {"skus": unknown}))
            if data.get("sku") is not None and data["sku"] in refs:
                problems.append(Problem(line, name, "self_reference", {"sku": data["sku"]}))
        for name, known, code in (("fits_categories", categories, "unknown_category"),
                                  ("counter_types", counters, "unknown_counter_type")):
            unknown = [v for v in data.get(name) or [] if v not in known]
            if unknown:
                problems.append(Problem(line, name, code, {"values": unknown, "choices": known}))
    return problems


# ───────────── reading and writing files ─────────────

def read_yaml(text: str) -> tuple[list[tuple[int, object]], list[Problem]]:
    """A YAML list of products → ``(line, mapping)`` pairs (the line each product starts on)."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        return [], [Problem(line, "", "unreadable", {"message": str(getattr(err, "problem", err))})]
    if data is None:
        return [], []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        return [], [Problem(0, "", "not_a_list")]
    return [(item.start_mark.line + 1, row) for item, row in zip(node.value, data, strict=True)], []


def _split(cell: str) -> list[str]:
    return [v.strip() for v in cell.split(";") if v.strip()]


def _promises_from_cell(cell: str):
    """A CSV ``promises`` cell: a JSON array, or ``covers|kind|value|unit|text`` items separated by ``;``."""
    cell = cell.strip()
    if not cell:
        return []
    if cell.startswith("["):
        return json.loads(cell)
    promises = []
    for item in _split(cell):
        parts = [p.strip() for p in item.split("|")]
        if len(parts) != 5:
            raise ValueError(item)
        covers, kind, value, unit, text = parts
        promises.append({"covers": covers, "kind": kind, "value": value or None, "unit": unit or None,
                         "text": text})
    return promises


def read_csv(text: str) -> tuple[list[tuple[int, object]], list[Problem]]:
    """A CSV catalog → ``(line, mapping)`` pairs. Lists are ``;``-separated; empty cells take the default."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    problems = [Problem(1, name, "unknown_field", {"choices": list(FIELDS)}) for name in header
                if name not in FIELDS]
    rows = []
    for raw in reader:
        line = reader.line_num
        row: dict = {}
        for name, cell in raw.items():
            if name is None or name not in FIELDS:
                continue
            cell = (cell or "").strip()
            if name in LIST_FIELDS:
                row[name] = _split(cell)
            elif name == "promises":
                try:
                    row[name] = _promises_from_cell(cell)
                except (ValueError, json.JSONDecodeError):
                    problems.append(Problem(line, name, "promises"))
                    row[name] = []
            elif cell:
                row[name] = cell
            elif name in ("slot",):
                row[name] = None
        rows.append((line, row))
    return rows, problems


def read_file(text: str, fmt: str) -> tuple[list[tuple[int, object]], list[Problem]]:
    """``fmt`` is ``yaml`` or ``csv``."""
    return read_csv(text) if fmt == "csv" else read_yaml(text)


def product_row(product: Product) -> dict:
    """A product as a catalog file row: defaults left out, so export → import is stable and short."""
    row: dict = {}
    for name in FIELDS:
        value = getattr(product, name)
        if name in ("counter_types", "requires_any", "excludes") and not value:
            continue
        if (name == "slot" and value is None) or (name == "max_qty" and value == 1):
            continue
        if name == "promises":
            value = [{k: v for k, v in p.items() if v is not None} for p in value or ()]
        row[name] = list(value) if isinstance(value, list) and name != "promises" else value
    return row


def export_rows() -> list[dict]:
    """Every product as a file row, B2B first, then by SKU."""
    products = db.session.scalars(select(Product).order_by(Product.channel, Product.sku))
    return [product_row(p) for p in products]


def to_yaml(rows: Sequence[dict]) -> str:
    """Rows as YAML in the shape of products.yaml (block per product, flow lists and promises)."""
    return "".join(yaml.safe_dump([row], allow_unicode=True, sort_keys=False, default_flow_style=None, width=200)
                   for row in rows)


def _promises_cell(promises: Sequence[dict]) -> str:
    parts = [[p.get("covers", ""), p.get("kind", ""), "" if p.get("value") is None else str(p["value"]),
              p.get("unit") or "", p.get("text", "")] for p in promises]
    if any("|" in v or ";" in v for part in parts for v in part):
        return json.dumps(list(promises), ensure_ascii=False)
    return ";".join("|".join(part) for part in parts)


def to_csv(rows: Sequence[dict]) -> str:
    """Rows as CSV: one column per field, lists ``;``-separated, promises in the compact form."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(FIELDS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        cells = {}
        for name in FIELDS:
            value = row.get(name)
            if name in LIST_FIELDS:
                cells[name] = ";".join(value or ())
            elif name == "promises":
                cells[name] = _promises_cell(value or ())
            else:
                cells[name] = "" if value is None else value
        writer.writerow(cells)
    return out.getvalue()


# ───────────── writing products ─────────────

def _apply(product: Product, data: dict) -> bool:
    """Set ``data``'s fields on ``product``; True when something changed."""
    changed = False
    for name, value in data.items():
        if name == "sku":
            continue
        if getattr(product, name) != value:
            setattr(product, name, value)
            changed = True
    return changed


def import_rows(rows: Sequence[tuple[int, object]], *, locale: str = i18n.DEFAULT_LOCALE,
                progress: Callable[[Iterable], Iterable] = lambda it: it) -> dict:
    """Create or update products from numbered rows (all or nothing); products not in the file stay.

    Raises ``CatalogInvalid`` with every problem (rendered in ``locale``) before anything is written. The
    caller commits. Returns ``{"created", "updated", "unchanged"}``.
    """
    loaded, problems = validate_rows(rows)
    if problems:
        raise CatalogInvalid(problems, locale)
    existing = {p.sku: p for p in db.session.scalars(select(Product))}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for data in progress(loaded):
        product = existing.get(data["sku"])
        if product is None:
            db.session.add(Product(**data))
            counts["created"] += 1
        elif _apply(product, data):
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    if counts["created"] or counts["updated"]:
        catalog_changed()
    db.session.flush()
    return counts


def get_product(sku: str) -> Product:
    product = db.session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise NotFound(f"No product {sku!r}.", code="product_not_found")
    return product


def create_product(*, user: User, data: dict) -> Product:
    """A manager or admin adds one product (``data`` loaded by ``ProductIn``); 409 when the SKU exists."""
    permissions.require_manager(user)
    if db.session.scalar(select(Product.id).where(Product.sku == data["sku"])) is not None:
        raise Conflict(f"Product {data['sku']} already exists.", code="product_exists",
                       fields={"sku": ["Already exists."]})
    _check_references(data, user)
    product = Product(**data)
    db.session.add(product)
    db.session.flush()
    audit.record(actor=user, action="product.created", target_type=PRODUCT, target_id=product.id,
                 region_id=None, detail={"sku": product.sku})
    catalog_changed()
    db.session.commit()
    return product


def update_product(*, user: User, sku: str, data: dict) -> Product:
    """A manager or admin changes some fields of one product (``data`` loaded by ``ProductPatchIn``)."""
    permissions.require_manager(user)
    product = get_product(sku)
    merged = {name: getattr(product, name) for name in FIELDS} | data
    _check_references(merged, user)
    if _apply(product, data):
        audit.record(actor=user, action="product.updated", target_type=PRODUCT, target_id=product.id,
                     region_id=None, detail={"sku": sku, "fields": sorted(data)})
        catalog_changed()
        db.session.commit()
    return product


def _check_references(data: dict, user: User) -> None:
    problems = _reference_problems([(0, data)])
    if problems:
        locale = i18n.normalize_locale(user.locale)
        fields: dict[str, list[str]] = {}
        for p in problems:
            fields.setdefault(p.field, []).append(i18n.message(f"catalog.{p.code}", locale, p.facts))
        raise InvalidInput(fields=fields)


# ───────────── reading ─────────────

def list_products(*, channel: str | None = None, counter_type: str | None = None, category: str | None = None,
                  line: str | None = None, need: str | None = None) -> list[Product]:
    """Products matching every given filter; ``counter_type``/``category`` also match products that fit all.

    Ordered by channel, product line, price and SKU.
    """
    query = select(Product).order_by(Product.channel, Product.category, Product.price_cny, Product.sku)
    if channel:
        query = query.where(Product.channel == channel)
    if line:
        query = query.where(Product.category == line)
    products = list(db.session.scalars(query))
    if counter_type:
        products = [p for p in products if not p.counter_types or counter_type in p.counter_types]
    if category:
        products = [p for p in products if not p.fits_categories or category in p.fits_categories]
    if need:
        products = [p for p in products if need in (p.needs or ())]
    return products


def need_words(products: Iterable[Product]) -> list[str]:
    """The sorted need words these products cover (the chips a guide picks from)."""
    return sorted({n for p in products for n in p.needs or ()})


def counter_types() -> list[CounterType]:
    return list(db.session.scalars(select(CounterType).order_by(CounterType.key)))


def shopper_types() -> list[ShopperType]:
    return list(db.session.scalars(select(ShopperType).order_by(ShopperType.key)))


def counter_type_keys() -> set[str]:
    return set(db.session.scalars(select(CounterType.key)))


def shopper_type_keys() -> set[str]:
    return set(db.session.scalars(select(ShopperType.key)))
