"""Schemas of the manager's dashboard numbers and the weekly digests (docs/learning.md)."""

from marshmallow import Schema, fields, validate

from app.schemas.packs import UtcDateTime


class InsightsQueryIn(Schema):
    region = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "a region key (default: all of yours)"})
    days = fields.Integer(load_default=28, validate=validate.Range(min=1, max=120))


class CardDayOut(Schema):
    day = fields.Date(metadata={"description": "local day (TIMEZONE)"})
    shown = fields.Integer(metadata={"description": "cards shown (pushed or offline)"})
    feedback = fields.Integer(metadata={"description": "of them, with any card feedback"})
    used = fields.Integer(metadata={"description": "of them, rated used or helpful"})


class FunnelStepOut(Schema):
    step = fields.String(metadata={"enum": ["shown", "feedback", "used", "outcome"]})
    count = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "count / the previous step's count"})


class FunnelOut(Schema):
    opened_observed = fields.Boolean(metadata={
        "description": "false: the PWA reports no 'opened'; the funnel is shown → feedback → used → outcome"})
    window_days = fields.Integer(metadata={"description": "a used card's outcome (advanced or won) within this"})
    steps = fields.List(fields.Nested(FunnelStepOut))


class AreaCountsOut(Schema):
    lat = fields.Float(metadata={"description": "WGS-84, the mean of its places"})
    lon = fields.Float()
    places = fields.Integer()
    visits = fields.Integer()
    cards_used = fields.Integer()
    wins = fields.Integer()


class DistrictOut(AreaCountsOut):
    district = fields.String(metadata={"description": "区/县 from the places' addresses"})


class GridAreaOut(AreaCountsOut):
    key = fields.String()
    name = fields.String()


class PointOut(Schema):
    place_id = fields.Integer()
    lat = fields.Float()
    lon = fields.Float()
    district = fields.String(allow_none=True)
    visits = fields.Integer()
    cards_used = fields.Integer()
    wins = fields.Integer()


class InsightsOut(Schema):
    days = fields.Integer()
    since = UtcDateTime()
    at = UtcDateTime()
    cards_over_time = fields.List(fields.Nested(CardDayOut))
    funnel = fields.Nested(FunnelOut)
    districts = fields.List(fields.Nested(DistrictOut))
    grids = fields.List(fields.Nested(GridAreaOut))
    points = fields.List(fields.Nested(PointOut), metadata={"description": "places with any activity (heat map)"})


class DigestQueryIn(Schema):
    region = fields.String(validate=validate.Length(min=1, max=64))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class DigestOut(Schema):
    id = fields.Integer()
    region = fields.Function(lambda d: (d.body or {}).get("region", {}).get("key"))
    week_start = fields.Date()
    body = fields.Dict(metadata={"description": "region, week, used, outcomes, experiments, coaching, warnings "
                                                "(docs/learning.md)"})
    created_at = UtcDateTime()
    sent_at = UtcDateTime(allow_none=True, metadata={"description": "when the webhook took it; null: not sent"})


class DigestListOut(Schema):
    items = fields.List(fields.Nested(DigestOut))
