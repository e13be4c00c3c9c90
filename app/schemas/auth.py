from marshmallow import Schema, fields, validate

from app.i18n import LOCALES


class LoginIn(Schema):
    email = fields.String(required=True, validate=[validate.Length(max=254), validate.Email()])
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class UserOut(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    role = fields.String()
    skill_level = fields.String(allow_none=True)
    locale = fields.String()
    counter_type = fields.String(allow_none=True, metadata={"description": "a store guide's counter"})
    discount_limit_cny = fields.Integer(allow_none=True, metadata={
        "description": "the largest discount this user may give without approval (null: no limit)"})


class MeIn(Schema):
    locale = fields.String(required=True, validate=validate.OneOf(LOCALES),
                           metadata={"description": "the language the user reads: zh or en"})


class LoginOut(Schema):
    token = fields.String()
    user = fields.Nested(UserOut)
