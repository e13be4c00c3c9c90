"""Schemas of discount approvals (docs/discounts.md): ask for a discount above your limit, decide, list."""

from marshmallow import Schema, fields, validate

from app.models import APPROVAL_STATUSES, PRODUCT_TIERS
from app.schemas.packs import UtcDateTime
from app.schemas.solutions import CompareIn, CostItemOut

NOTE = validate.Length(max=2000)


class ApprovalIn(Schema):
    request = fields.Nested(CompareIn, required=True, metadata={
        "description": "the /solutions/compare body, with the discount_cny asked for"})
    option = fields.String(required=True, validate=validate.OneOf(PRODUCT_TIERS),
                           metadata={"description": "economy | standard | premium"})
    note = fields.String(load_default="", validate=NOTE, metadata={"description": "why the deal needs it"})


class DecisionIn(Schema):
    note = fields.String(load_default="", validate=NOTE)


class ApprovalQueryIn(Schema):
    status = fields.String(validate=validate.OneOf(APPROVAL_STATUSES))
    mine = fields.Boolean(load_default=False, metadata={
        "description": "true: the requests you made; false: those addressed to you (an admin: all)"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class PersonOut(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()


class ApprovalOptionOut(Schema):
    key = fields.String(metadata={"description": "economy | standard | premium"})
    name = fields.String()
    total_price = fields.Integer(metadata={"description": "CNY, the list total"})
    cost_breakdown = fields.List(fields.Nested(CostItemOut))


class ApprovalOut(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": list(APPROVAL_STATUSES)})
    amount_cny = fields.Integer(metadata={"description": "the discount asked for (CNY)"})
    list_price_cny = fields.Integer()
    final_price_cny = fields.Integer()
    option = fields.Nested(ApprovalOptionOut, metadata={"description": "the option as priced when asked"})
    request = fields.Dict(metadata={"description": "the compare input, incl. discount_cny"})
    note = fields.String(metadata={"description": "the requester's reason"})
    decision_note = fields.String()
    region_id = fields.Integer(allow_none=True)
    requested_by = fields.Nested(PersonOut)
    approver = fields.Nested(PersonOut, allow_none=True, metadata={
        "description": "the requester's region manager (grid leader from issue 9); null: admins only"})
    decided_by = fields.Nested(PersonOut, allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


class ApprovalListOut(Schema):
    items = fields.List(fields.Nested(ApprovalOut))
