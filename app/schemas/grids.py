"""Schemas of grids (网格作战单元, docs/team.md): a region's units with a leader and a discount limit."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.schemas import CNY_MAX, DB_INT_MAX
from app.schemas.packs import UtcDateTime
from app.schemas.users import REF

GRID_KEY = validate.Regexp(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$",
                           error="Use lower-case letters, digits, '-' and '_' (e.g. sh-pudong).")


def _place_keys(**kwargs) -> fields.List:
    return fields.List(fields.String(validate=REF), validate=validate.Length(max=5000), **kwargs)


def _limit(**kwargs) -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=0, max=CNY_MAX), metadata={
        "description": "the largest discount on one deal the leader may approve for the grid's people (CNY); "
                       "a manager may set up to their own limit"}, **kwargs)


def _leader(**kwargs) -> fields.Integer:
    return fields.Integer(allow_none=True, validate=validate.Range(min=1, max=DB_INT_MAX), metadata={
        "description": "user id of a rep (then moved into the grid) or a manager of the grid's region; null: none"},
        **kwargs)


class GridCreateIn(Schema):
    key = fields.String(required=True, validate=[validate.Length(min=1, max=64), GRID_KEY])
    name = fields.String(required=True, validate=validate.Length(min=1, max=128))
    region = fields.String(required=True, validate=REF, metadata={"description": "region key"})
    leader = _leader(load_default=None)
    discount_limit_cny = _limit(load_default=50_000)
    place_keys = _place_keys(metadata={"description": "places of the region that the grid owns from now on"})


class GridPatchIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=128))
    leader = _leader()
    discount_limit_cny = _limit()
    place_keys = _place_keys(metadata={
        "description": "the grid's places from now on: exactly these (others leave the grid); [] empties it"})

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.")


class GridPlacesIn(Schema):
    place_keys = _place_keys(required=True, metadata={
        "description": "places of the grid's region to add to the grid (taken from another grid if need be)"})

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data.get("place_keys"):
            raise ValidationError({"place_keys": ["Name at least one place."]})


class GridQueryIn(Schema):
    region = fields.String(validate=REF, metadata={"description": "region key"})


class GridOut(Schema):
    """``obj`` is a ``grids.GridView``: the grid plus its counts and its leader's name."""

    key = fields.String(attribute="grid.key")
    name = fields.String(attribute="grid.name")
    region = fields.String(metadata={"description": "region key"})
    leader = fields.Integer(attribute="grid.leader_id", allow_none=True, metadata={"description": "user id"})
    leader_name = fields.String(allow_none=True)
    discount_limit_cny = fields.Integer(attribute="grid.discount_limit_cny")
    rep_count = fields.Integer(metadata={"description": "active reps and guides in the grid"})
    place_count = fields.Integer()
    created_at = UtcDateTime(attribute="grid.created_at")


class GridDetailOut(GridOut):
    place_keys = fields.List(fields.String(), metadata={"description": "the grid's places, by key"})


class GridListOut(Schema):
    items = fields.List(fields.Nested(GridOut))
