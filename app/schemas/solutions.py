from marshmallow import Schema, ValidationError, fields, validate, validates_schema


class CompareIn(Schema):
    budget_min = fields.Float(required=True, validate=validate.Range(min=0, error="Budget cannot be negative."))
    budget_max = fields.Float(required=True, validate=validate.Range(min=0, error="Budget cannot be negative."))
    needs = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list,
                        validate=validate.Length(max=20))
    category = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def _min_not_above_max(self, data, **kwargs):
        if data["budget_min"] > data["budget_max"]:
            raise ValidationError("budget_min must not exceed budget_max.", field_name="budget_min")


class CostItemOut(Schema):
    sku = fields.String()
    name = fields.String()
    kind = fields.String()
    tier = fields.String()
    amount = fields.Integer(metadata={"description": "CNY"})


class OptionOut(Schema):
    key = fields.String(metadata={"description": "economy | standard | premium"})
    name = fields.String()
    total_price = fields.Integer(metadata={"description": "CNY"})
    cost_breakdown = fields.List(fields.Nested(CostItemOut))
    delivery_days = fields.Integer()
    service_commitments = fields.List(fields.String())
    covered_needs = fields.List(fields.String())
    missing_needs = fields.List(fields.String())
    fit_score = fields.Integer(metadata={"description": "0–100"})
    why = fields.List(fields.String())


class CompareOut(Schema):
    budget_min = fields.Float()
    budget_max = fields.Float()
    needs = fields.List(fields.String())
    category = fields.String(allow_none=True)
    options = fields.List(fields.Nested(OptionOut), metadata={"description": "always exactly 3"})
    talk_tracks = fields.List(fields.Dict(), metadata={
        "description": "talk-tracks for this shopper (event budget_entered), same shape as in a popup"})
    talk_track_why = fields.List(fields.Dict(), metadata={"description": "why these talk-tracks ({rule, detail})"})
