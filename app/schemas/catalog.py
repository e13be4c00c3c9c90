"""The product catalog at the edge: one product (API body, one row of a catalog file), queries, lists, shares.

``ProductIn`` is the whole rule set a row must meet on its own; what needs the database (known place
categories, counter types, SKUs named in ``requires_any``/``excludes``) is checked by
``app.services.catalog``, which also turns every problem into a per-line message in the user's language.
"""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from app.models import PRODUCT_CHANNELS, PRODUCT_KINDS, PRODUCT_TIERS, PROMISE_KINDS
from app.schemas import CNY_MAX

PRODUCT_LINES = ("medical", "retail", "home_health")
PROMISE_UNITS = ("年", "月", "天", "小时", "次", "%")
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
MAX_QTY = 999
# The columns of a catalog file, in the order export writes them (YAML keys and CSV header alike).
FIELDS = ("sku", "name", "kind", "category", "channel", "tier", "price_cny", "delivery_days", "needs",
          "fits_categories", "counter_types", "requires_any", "excludes", "slot", "max_qty", "promises")
LIST_FIELDS = ("needs", "fits_categories", "counter_types", "requires_any", "excludes")

_word = fields.String(validate=validate.Length(min=1, max=40))
_key = fields.String(validate=validate.Length(min=1, max=64))


class PromiseIn(Schema):
    """A service promise attached to one product; it always says what it covers."""

    covers = fields.String(required=True, validate=validate.Length(min=1, max=100),
                           metadata={"description": "what it covers, e.g. 冷藏柜整机"})
    kind = fields.String(required=True, validate=validate.OneOf(PROMISE_KINDS))
    value = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0),
                         metadata={"description": "comparable amount (3 for 3 年), or null"})
    unit = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PROMISE_UNITS))
    text = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "the sentence shown, e.g. 冷藏柜整机保修 3 年"})

    @validates_schema
    def _unit_with_value(self, data, **kwargs):
        if data.get("value") is not None and not data.get("unit"):
            raise ValidationError("A value needs a unit.", field_name="unit")

    @post_load
    def _whole_numbers(self, data, **kwargs):
        if isinstance(data.get("value"), float) and data["value"].is_integer():
            data["value"] = int(data["value"])
        return data


class ProductIn(Schema):
    """One product; omitted rule fields take their defaults (no counters, no rules, ``max_qty`` 1)."""

    sku = fields.String(required=True, validate=validate.Regexp(
        SKU_PATTERN, error="Letters, digits, '.', '-' and '_' only, at most 64."))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(PRODUCT_KINDS))
    category = fields.String(required=True, validate=validate.OneOf(PRODUCT_LINES),
                             metadata={"description": "product line: medical | retail | home_health"})
    channel = fields.String(load_default="b2b", validate=validate.OneOf(PRODUCT_CHANNELS))
    tier = fields.String(required=True, validate=validate.OneOf(PRODUCT_TIERS))
    price_cny = fields.Integer(required=True, validate=validate.Range(min=0, max=CNY_MAX))
    delivery_days = fields.Integer(required=True, validate=validate.Range(min=0, max=3650))
    needs = fields.List(_word, load_default=list, validate=validate.Length(max=30))
    fits_categories = fields.List(_key, load_default=list,
                                  metadata={"description": "place category keys; [] fits every place"})
    counter_types = fields.List(_key, load_default=list,
                                metadata={"description": "counter type keys; [] fits every counter"})
    requires_any = fields.List(_key, load_default=list,
                               metadata={"description": "SKUs: chosen only together with one of them"})
    excludes = fields.List(_key, load_default=list, metadata={"description": "SKUs never in the same option"})
    slot = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                         metadata={"description": "one main item per slot in an option, e.g. 超声主机"})
    max_qty = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_QTY))
    promises = fields.List(fields.Nested(PromiseIn), load_default=list, validate=validate.Length(max=20))

    @post_load
    def _tidy(self, data, **kwargs):
        for name in LIST_FIELDS:
            if name in data:
                data[name] = list(dict.fromkeys(v.strip() for v in data[name] if v.strip()))
        return data


class ProductPatchIn(ProductIn):
    """``PATCH``: any subset of the fields except ``sku``; omitted fields keep their values."""

    class Meta:
        exclude = ("sku",)

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)


class ProductQueryIn(Schema):
    class Meta:
        unknown = EXCLUDE

    channel = fields.String(load_default=None, validate=validate.OneOf(PRODUCT_CHANNELS))
    counter_type = fields.String(load_default=None, metadata={"description": "counter type key"})
    category = fields.String(load_default=None, metadata={
        "description": "place category key: products that fit it (or fit every place)"})
    line = fields.String(load_default=None, validate=validate.OneOf(PRODUCT_LINES),
                         metadata={"description": "product line (the product's own category)"})
    need = fields.String(load_default=None, metadata={"description": "a need word the product covers"})


class PromiseOut(Schema):
    covers = fields.String()
    kind = fields.String()
    value = fields.Raw(allow_none=True, metadata={"type": "number", "description": "as stored: 3, 97, 0.5 or null"})
    unit = fields.String(allow_none=True)
    text = fields.String()


class ProductOut(Schema):
    sku = fields.String()
    name = fields.String()
    kind = fields.String()
    category = fields.String(metadata={"description": "product line"})
    channel = fields.String()
    tier = fields.String()
    price_cny = fields.Integer()
    delivery_days = fields.Integer()
    needs = fields.List(fields.String())
    fits_categories = fields.List(fields.String())
    counter_types = fields.List(fields.String())
    requires_any = fields.List(fields.String())
    excludes = fields.List(fields.String())
    slot = fields.String(allow_none=True)
    max_qty = fields.Integer()
    promises = fields.List(fields.Nested(PromiseOut))
    service_commitments = fields.List(fields.String(), metadata={"description": "the promises' texts"})


class ProductListOut(Schema):
    items = fields.List(fields.Nested(ProductOut))
    needs = fields.List(fields.String(), metadata={"description": "sorted need words of the listed items"})


class NamedTypeOut(Schema):
    """A coded type the data names (a counter type; a shopper type adds its description)."""

    key = fields.String()
    name_zh = fields.String()
    name_en = fields.String()


class CounterTypeOut(NamedTypeOut):
    pass


class CounterTypeListOut(Schema):
    items = fields.List(fields.Nested(CounterTypeOut))


class ShopperTypeOut(NamedTypeOut):
    description = fields.String()


class ShopperTypeListOut(Schema):
    items = fields.List(fields.Nested(ShopperTypeOut))


# ── shares: a comparison shown to the shopper (app.services.shares) ──

def _utc_iso(moment) -> str:
    """A naive UTC datetime as ISO 8601 with ``Z``."""
    return moment.isoformat(timespec="seconds") + "Z"


class ShareSnapshotOut(Schema):
    """What a public share shows: the comparison without anything about the guide."""

    budget_min = fields.Float()
    budget_max = fields.Float()
    needs = fields.List(fields.String())
    category = fields.String(allow_none=True)
    channel = fields.String(allow_none=True)
    counter_type = fields.String(allow_none=True)
    shopper_type = fields.String(allow_none=True)
    options = fields.List(fields.Dict(), metadata={"description": "the three options, as from /solutions/compare"})
    generated_at = fields.String(metadata={"description": "ISO 8601, UTC"})


class ShareCreatedOut(Schema):
    token = fields.String()
    url = fields.String(metadata={"description": "/s/<token>: the public page"})
    expires_at = fields.Function(lambda d: _utc_iso(d["expires_at"]), metadata={"description": "UTC, 7 days on"})
    comparison = fields.Nested(ShareSnapshotOut)


class ShareOut(Schema):
    comparison = fields.Nested(ShareSnapshotOut)
    expires_at = fields.Function(lambda d: _utc_iso(d["expires_at"]), metadata={"description": "UTC"})
