from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.models import PRODUCT_CHANNELS
from app.schemas import CNY_MAX, BoundedList
from app.schemas.catalog import PromiseOut


class CompareIn(Schema):
    budget_min = fields.Float(required=True, validate=[validate.Range(min=0, error="Budget cannot be negative."),
                                                       validate.Range(max=CNY_MAX * 1000)])
    budget_max = fields.Float(required=True, validate=[validate.Range(min=0, error="Budget cannot be negative."),
                                                       validate.Range(max=CNY_MAX * 1000)])
    needs = BoundedList(fields.String(validate=validate.Length(max=40)), max_length=20, load_default=list)
    category = fields.String(load_default=None, allow_none=True)
    # counter mode (issue 8); unknown keys and SKUs are refused with 422 by the comparison
    channel = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PRODUCT_CHANNELS),
                            metadata={"description": "b2b | retail; default retail with a counter_type, else b2b"})
    counter_type = fields.String(load_default=None, allow_none=True,
                                 metadata={"description": "counter type key (GET /counter-types)"})
    shopper_type = fields.String(load_default=None, allow_none=True,
                                 metadata={"description": "shopper type key (GET /shopper-types)"})
    quantities = fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                             values=fields.Integer(validate=validate.Range(min=1, max=999)), load_default=dict,
                             metadata={"description": "need → units (6 handheld ultrasounds for a family-doctor "
                                                      "team: {\"超声\": 6}); every key must be one of the needs"})
    locale = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("zh", "en")),
                           metadata={"description": "language of names and why (default: the caller's)"})
    place_id = fields.Integer(strict=True, validate=validate.Range(min=1, max=2**63 - 1), metadata={
        "description": "the client site the options are for: the comparison is then recorded as a proposal "
                       "to that client (process health, docs/learning.md)"})
    # discounts (docs/discounts.md); no load_default, so a body without it reaches compare() unchanged
    discount_cny = fields.Integer(validate=[validate.Range(min=0, error="A discount cannot be negative."),
                                            validate.Range(max=CNY_MAX)],
                                  metadata={"description": "CNY off each option's list price; above your limit "
                                                           "it needs_approval (POST /approvals)"})

    @validates_schema
    def _min_not_above_max(self, data, **kwargs):
        if data["budget_min"] > data["budget_max"]:
            raise ValidationError("budget_min must not exceed budget_max.", field_name="budget_min")


class CostItemOut(Schema):
    sku = fields.String()
    name = fields.String()
    kind = fields.String()
    tier = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Integer(metadata={"description": "CNY"})
    amount = fields.Integer(metadata={"description": "CNY: quantity × unit price"})


class WhyOut(Schema):
    rule = fields.String(metadata={"description": "a code (docs/solutions.md)"})
    facts = fields.Dict()
    detail = fields.String(metadata={"description": "the sentence in the caller's language"})


class OptionOut(Schema):
    key = fields.String(metadata={"description": "economy | standard | premium"})
    name = fields.String()
    total_price = fields.Integer(metadata={"description": "CNY"})
    cost_breakdown = fields.List(fields.Nested(CostItemOut))
    delivery_days = fields.Integer()
    service_commitments = fields.List(fields.String(), metadata={"description": "the promises' texts"})
    promises = fields.List(fields.Nested(PromiseOut), metadata={
        "description": "each item's promises, merged: per (covers, kind) only the strongest, so none contradict"})
    covered_needs = fields.List(fields.String())
    missing_needs = fields.List(fields.String())
    fit_score = fields.Integer(metadata={"description": "0–100"})
    spend_weighted_tier = fields.Float(metadata={"description": "0 economy … 2 premium, weighted by spend"})
    why = fields.List(fields.Nested(WhyOut))
    # discounts (docs/discounts.md); total_price stays the list total
    list_price = fields.Integer(metadata={"description": "CNY, = total_price"})
    discount_cny = fields.Integer(metadata={"description": "CNY: the discount asked for, at most the list price"})
    final_price = fields.Integer(metadata={"description": "CNY: list_price − discount_cny"})
    discount_status = fields.String(metadata={
        "enum": ["within_authority", "needs_approval"],
        "description": "within_authority: within your limit; needs_approval: POST /approvals to ask"})


class ClosestOut(Schema):
    missing_needs = fields.List(fields.String())
    uncoverable_needs = fields.List(fields.String(), metadata={"description": "no catalog item covers these"})
    extra_cny = fields.Integer(allow_none=True, metadata={"description": "budget that would cover every need"})
    total_price = fields.Integer(allow_none=True)
    skus = fields.List(fields.String())


class CompareOut(Schema):
    budget_min = fields.Float()
    budget_max = fields.Float()
    needs = fields.List(fields.String())
    category = fields.String(allow_none=True)
    channel = fields.String()
    counter_type = fields.String(allow_none=True)
    shopper_type = fields.String(allow_none=True)
    fit = fields.String(metadata={"description": "full | partial (some needs missing: see closest)"})
    why = fields.List(fields.Nested(WhyOut))
    closest = fields.Nested(ClosestOut, allow_none=True)
    options = fields.List(fields.Nested(OptionOut), metadata={
        "description": "always exactly 3, prices rising; fewer cannot be built → 422 no_fit"})
    talk_tracks = fields.List(fields.Dict(), metadata={
        "description": "talk-tracks for this shopper (event budget_entered), same shape as in a popup"})
    talk_track_why = fields.List(fields.Dict(), metadata={"description": "why these talk-tracks ({rule, detail})"})
