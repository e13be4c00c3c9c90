"""Trigger rules: conditions and what to show, as managers write them."""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from app.i18n import LOCALES
from app.schemas import BoundedDateTime
from app.schemas.packs import UtcDateTime
from content_packs import ROLES, SKILL_LEVELS, STAGES
from content_packs.engine import EVENTS, SHOWABLE_KINDS

_HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="Use HH:MM (24-hour).")


def _strings(**kwargs):
    return fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                       validate=validate.Length(max=50), **kwargs)


def _choices(options):
    return fields.List(fields.String(validate=validate.OneOf(options)), validate=validate.Length(max=20))


class Strict(Schema):
    class Meta:
        unknown = RAISE


class PlaceConditionIn(Strict):
    categories = _strings()
    tags_any = _strings()
    tags_all = _strings()
    stages = _choices(STAGES)
    competitors_any = _strings()
    notice_within_days = fields.Integer(validate=validate.Range(min=1, max=365))
    budget_min = fields.Integer(validate=validate.Range(min=0, max=10**15))
    budget_max = fields.Integer(validate=validate.Range(min=0, max=10**15))

    @validates_schema
    def _budget_range(self, data, **kwargs):
        if data.get("budget_min") is not None and data.get("budget_max") is not None \
                and data["budget_min"] > data["budget_max"]:
            raise ValidationError("budget_min must not exceed budget_max.", field_name="budget_min")


class ShopperConditionIn(Strict):
    """The shopper in front of a guide (event ``budget_entered``); keys are checked against the table."""

    types = fields.List(fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$",
                                                               error="Must be a shopper type key (snake_case).")),
                        validate=validate.Length(max=20),
                        metadata={"description": "shopper type keys (GET /shopper-types), e.g. chronic_self_care"})


class RepConditionIn(Strict):
    roles = _choices(ROLES)
    skill_levels = _choices(SKILL_LEVELS)
    tags_any = _strings()
    tags_all = _strings()


class TimeConditionIn(Strict):
    weekdays = fields.List(fields.Integer(validate=validate.Range(min=1, max=7)), validate=validate.Length(max=7),
                           metadata={"description": "ISO weekdays, 1 = Monday"})
    from_ = fields.String(data_key="from", attribute="from", validate=_HHMM)
    to = fields.String(validate=_HHMM)


class ConditionsIn(Strict):
    zone_types = _strings()
    place = fields.Nested(PlaceConditionIn)
    shopper = fields.Nested(ShopperConditionIn)
    rep = fields.Nested(RepConditionIn)
    time = fields.Nested(TimeConditionIn)


class ShowIn(Strict):
    pack = fields.String(validate=validate.Length(min=1, max=100),
                         metadata={"description": "pack key; omitted = the pack chosen for the zone type/category"})
    kind = fields.String(required=True, validate=validate.OneOf(SHOWABLE_KINDS))
    ids = _strings(metadata={"description": "component ids in the order to show; omitted = all that fit"})
    limit = fields.Integer(validate=validate.Range(min=1, max=20))


class RuleIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    region = fields.String(required=True, metadata={"description": "region key, e.g. shanghai"})
    event = fields.String(required=True, validate=validate.OneOf(EVENTS))
    conditions = fields.Nested(ConditionsIn, load_default=dict)
    show = fields.List(fields.Nested(ShowIn), required=True, validate=validate.Length(min=1, max=20))
    priority = fields.Integer(load_default=100, validate=validate.Range(min=0, max=10_000),
                              metadata={"description": "lower runs first"})
    enabled = fields.Boolean(load_default=True)


class RuleOut(Schema):
    id = fields.Integer()
    name = fields.String()
    region = fields.String(attribute="region_key")
    event = fields.String()
    conditions = fields.Dict()
    show = fields.List(fields.Dict())
    priority = fields.Integer()
    enabled = fields.Boolean()
    updated_at = UtcDateTime()  # RFC 3339 with its offset (…Z), as the OpenAPI date-time format says


class RuleListOut(Schema):
    items = fields.List(fields.Nested(RuleOut))


class RuleQueryIn(Schema):
    region = fields.String()
    event = fields.String(validate=validate.OneOf(EVENTS))


class PreviewIn(Schema):
    rep_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**63 - 1))
    place_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**63 - 1))
    event = fields.String(load_default="enter_place", validate=validate.OneOf(EVENTS))
    at = BoundedDateTime(load_default=None, metadata={
        "description": "ISO 8601; with an offset, or without one as local time (TIMEZONE), e.g. 2026-11-23T09:30 "
                       "from a datetime-local input; default now"})
    locale = fields.String(load_default=None, validate=validate.OneOf(LOCALES),
                           metadata={"description": "language of why[].detail; default the manager's own"})


class RuleOptionsQueryIn(Schema):
    region = fields.String(validate=validate.Length(min=1, max=64),
                           metadata={"description": "region key; default your own"})
    locale = fields.String(load_default=None, validate=validate.OneOf(LOCALES),
                           metadata={"description": "language of the names; default yours"})


class KeyNameOut(Schema):
    key = fields.Raw(metadata={"description": "the code a rule stores (weekdays: 1 = Monday)"})
    name = fields.String(metadata={"description": "what to show, in your language"})


class OptionPackOut(Schema):
    key = fields.String()
    name = fields.String()
    live_version = fields.Integer(allow_none=True)


class OptionPackRefOut(Schema):
    key = fields.String()
    name = fields.String()
    version = fields.Integer()


class OptionComponentOut(Schema):
    kind = fields.String(metadata={"enum": list(SHOWABLE_KINDS)})
    id = fields.String()
    title = fields.String()
    pack = fields.Nested(OptionPackRefOut)


def _names(description: str):
    return fields.List(fields.Nested(KeyNameOut), metadata={"description": description})


class RuleOptionsOut(Schema):
    region = fields.Nested(KeyNameOut)
    events = _names("rule events")
    zone_types = _names("zone types of the region (conditions.zone_types)")
    categories = _names("place categories (conditions.place.categories)")
    shopper_types = _names("shopper types (conditions.shopper.types)")
    stages = _names("sales stages (conditions.place.stages)")
    skill_levels = _names("rep skill levels (conditions.rep.skill_levels)")
    roles = _names("roles (conditions.rep.roles)")
    weekdays = _names("ISO weekdays (conditions.time.weekdays)")
    kinds = _names("component kinds (show[].kind)")
    rep_tags = _names("tags the region's reps carry (conditions.rep.tags_any / tags_all)")
    place_tags = _names("tags the region's places carry (conditions.place.tags_any / tags_all)")
    competitors = _names("competitors seen at the region's places (conditions.place.competitors_any)")
    packs = fields.List(fields.Nested(OptionPackOut), metadata={"description": "the region's packs (show[].pack)"})
    components = fields.List(fields.Nested(OptionComponentOut),
                             metadata={"description": "components of the region's live packs (show[].ids)"})
