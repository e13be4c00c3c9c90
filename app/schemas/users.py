"""Schemas of users and the team (docs/team.md): create, change, list; never a password hash out."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.i18n import LOCALES
from app.models import ROLES, SKILL_LEVELS
from app.schemas import CNY_MAX
from app.schemas.packs import UtcDateTime

REF = validate.Length(min=1, max=64)
"""A region, grid or counter type key; whether it exists is the service's question (422 naming the field)."""


def _tags() -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1, max=32)), validate=validate.Length(max=20),
                       metadata={"description": "free words (e.g. 集采经验); trimmed, duplicates dropped"})


class UserCreateIn(Schema):
    email = fields.String(required=True, validate=[validate.Length(max=254), validate.Email()])
    name = fields.String(required=True, validate=validate.Length(min=1, max=128))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "≥ 10 characters, not all of one kind, not a common password, not the email's name part"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES),
                         metadata={"description": "a manager may create rep and guide only"})
    region = fields.String(load_default=None, allow_none=True, validate=REF,
                           metadata={"description": "region key; required except for an admin"})
    grid = fields.String(load_default=None, allow_none=True, validate=REF,
                         metadata={"description": "grid key, a grid of the user's region"})
    skill_level = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SKILL_LEVELS))
    tags = _tags()
    locale = fields.String(load_default="zh", validate=validate.OneOf(LOCALES))
    counter_type = fields.String(load_default=None, allow_none=True, validate=REF,
                                 metadata={"description": "a store guide's counter type key"})
    discount_limit_cny = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=CNY_MAX), metadata={
        "description": "omit for the role's limit; null = no limit (admin only); a manager may give up to their own"})


class UserPatchIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=128))
    password = fields.String(load_only=True, validate=validate.Length(min=1, max=200),
                             metadata={"description": "a new password, with the same strength rules"})
    role = fields.String(validate=validate.OneOf(ROLES),
                         metadata={"description": "a manager may switch between rep and guide only"})
    region = fields.String(validate=REF, metadata={"description": "a manager: one of their own regions"})
    grid = fields.String(allow_none=True, validate=REF, metadata={"description": "grid key; null: no grid"})
    skill_level = fields.String(allow_none=True, validate=validate.OneOf(SKILL_LEVELS))
    tags = _tags()
    active = fields.Boolean(metadata={"description": "false: no log-in, tokens and /field connection refused"})
    locale = fields.String(validate=validate.OneOf(LOCALES))
    counter_type = fields.String(allow_none=True, validate=REF)
    discount_limit_cny = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=CNY_MAX))

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.")


class UserQueryIn(Schema):
    region = fields.String(validate=REF, metadata={"description": "region key"})
    grid = fields.String(validate=REF, metadata={"description": "grid key"})
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()
    q = fields.String(validate=validate.Length(min=1, max=100),
                      metadata={"description": "part of the name or the email, any case"})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=2000))


class UserProfileOut(Schema):
    """``obj`` is a ``users.UserView``: the user plus what was computed for them."""

    id = fields.Integer(attribute="user.id")
    email = fields.String(attribute="user.email")
    name = fields.String(attribute="user.name")
    role = fields.String(attribute="user.role")
    region = fields.String(allow_none=True, metadata={"description": "region key"})
    grid = fields.String(allow_none=True, metadata={"description": "grid key"})
    skill_level = fields.String(attribute="user.skill_level", allow_none=True)
    tags = fields.List(fields.String(), attribute="user.tags")
    active = fields.Boolean(attribute="user.active")
    locale = fields.String(attribute="user.locale")
    counter_type = fields.String(attribute="user.counter_type", allow_none=True)
    discount_limit_cny = fields.Integer(attribute="user.discount_limit_cny", allow_none=True, metadata={
        "description": "the user's own limit on one deal (CNY); null = no limit; a grid leader approves up to "
                       "the grid's limit for the grid's people"})
    is_grid_leader = fields.Boolean()
    created_at = UtcDateTime(attribute="user.created_at")


class UserListOut(Schema):
    items = fields.List(fields.Nested(UserProfileOut))
