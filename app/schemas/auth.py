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


TOKEN = validate.Length(min=1, max=4096)


class LoginOut(Schema):
    token = fields.String(metadata={"description": "the access token: Authorization: Bearer <token>, and the /field "
                                                   "connect token"})
    user = fields.Nested(UserOut)
    refresh_token = fields.String(metadata={"description": "POST /auth/refresh with it for a new pair before or "
                                                           "after the access token expires; rotated on every use"})
    expires_in = fields.Integer(metadata={"description": "seconds until the access token expires (3600)"})
    refresh_expires_in = fields.Integer(metadata={"description": "seconds until the session ends unless refreshed"})
    token_type = fields.Constant("Bearer")


class RefreshIn(Schema):
    refresh_token = fields.String(required=True, validate=TOKEN)


class LogoutIn(Schema):
    refresh_token = fields.String(validate=TOKEN, metadata={
        "description": "ends its session too when the access token is missing or has expired"})
    everywhere = fields.Boolean(load_default=False, metadata={
        "description": "end every session of this user (every phone and browser), not only this one"})
