from flask import current_app
from marshmallow import Schema, fields, validate, validates


class NearbyIn(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    radius_m = fields.Float(load_default=2000.0)

    @validates("radius_m")
    def _radius(self, value, **kwargs):
        validate.Range(min=1, max=current_app.config["PLACES_MAX_RADIUS_M"])(value)


class ZoneOut(Schema):
    id = fields.Integer()
    type = fields.String()
    name = fields.String()
    type_name = fields.String()


class PlaceBase(Schema):
    """Fields read from ``obj.place``: services hand over the place with what was computed for it."""

    id = fields.Integer(attribute="place.id")
    name = fields.String(attribute="place.name")
    category = fields.String(attribute="place.category")
    lat = fields.Float(attribute="place.lat")
    lon = fields.Float(attribute="place.lon")
    radius_m = fields.Float(attribute="place.radius_m")
    address = fields.String(attribute="place.address")
    tags = fields.List(fields.String(), attribute="place.tags")
    zone = fields.Nested(ZoneOut, allow_none=True)


class PlaceOut(PlaceBase):
    distance_m = fields.Float()


class NearbyOut(Schema):
    items = fields.List(fields.Nested(PlaceOut))


class NoticeOut(Schema):
    id = fields.Integer()
    title = fields.String()
    date = fields.String()
    amount_cny = fields.Integer(allow_none=True)
    summary = fields.String()
    source = fields.String()


class ContactOut(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    background = fields.String(allow_none=True, metadata={"description": "null unless the contact consented"})
    consent = fields.Boolean()
    phone_masked = fields.String(allow_none=True)


class CompetitorMoveOut(Schema):
    competitor = fields.String()
    move = fields.String()
    date = fields.String()


class ContextOut(Schema):
    procurement_notices = fields.List(fields.Nested(NoticeOut))
    contacts = fields.List(fields.Nested(ContactOut))
    competitor_moves = fields.List(fields.Nested(CompetitorMoveOut))
    stage = fields.String(allow_none=True)
    budget_cny = fields.Integer(allow_none=True)


class PlaceDetailOut(PlaceBase):
    stage = fields.String(attribute="place.stage", allow_none=True)
    budget_cny = fields.Integer(attribute="place.budget_cny", allow_none=True)
    context = fields.Nested(ContextOut)
