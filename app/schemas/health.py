"""Schemas of process health: indicators per rep and grid, the drill-down, a region's health settings,
coaching alerts and cards, regional warnings (docs/learning.md)."""

from marshmallow import Schema, fields, validate

from app.schemas.packs import UtcDateTime
from app.schemas.solutions import WhyOut
from learning.health import INDICATORS, RAG, UNITS

REGION_KEY = validate.Length(min=1, max=64)
INDICATOR = validate.OneOf(INDICATORS)
DAYS = validate.Range(min=1, max=120)


# -- input -------------------------------------------------------------------------------------------------

class HealthQueryIn(Schema):
    region = fields.String(validate=REGION_KEY, metadata={"description": "a region key (default: all of yours)"})
    grid = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "a grid key"})
    days = fields.Integer(validate=DAYS, metadata={
        "description": "the period, days back from now (default: the region's lookback, 28)"})


class RepHealthQueryIn(Schema):
    days = fields.Integer(validate=DAYS)


class ThresholdIn(Schema):
    threshold = fields.Float(validate=validate.Range(min=0, max=1), metadata={
        "description": "below it: red, and a miss for the coaching rule"})
    green = fields.Float(validate=validate.Range(min=0, max=1), metadata={"description": "at or above it: green"})


class CoachingIn(Schema):
    streak = fields.Integer(validate=validate.Range(min=2, max=10), metadata={
        "description": "misses in a row that bring a coaching card (default 3)"})
    lookback_days = fields.Integer(validate=validate.Range(min=7, max=120), metadata={
        "description": "how far back indicators and the rule look (default 28)"})


class WindowsIn(Schema):
    follow_up_hours = fields.Integer(validate=validate.Range(min=1, max=336), metadata={"description": "default 48"})
    outcome_days = fields.Integer(validate=validate.Range(min=1, max=60), metadata={"description": "default 7"})
    proposal_days = fields.Integer(validate=validate.Range(min=1, max=60), metadata={"description": "default 7"})


class WarningsIn(Schema):
    recent_days = fields.Integer(validate=validate.Range(min=3, max=90), metadata={
        "description": "recent deals: reported within this many days (default 14)"})
    history_days = fields.Integer(validate=validate.Range(min=14, max=730), metadata={
        "description": "history: reported before, within this many days (default 180)"})
    min_deals = fields.Integer(validate=validate.Range(min=3, max=10_000), metadata={
        "description": "no warning from fewer deals, recent or past (default 5)"})
    min_increase_pct = fields.Float(validate=validate.Range(min=0, max=1000), metadata={
        "description": "a stage's median duration must grow by this many percent (default 25)"})
    min_share_increase = fields.Float(validate=validate.Range(min=0, max=1), metadata={
        "description": "a step's share of deals must grow by this much (default 0.2 = 20 points)"})
    alpha = fields.Float(validate=validate.Range(min=0.001, max=0.2), metadata={
        "description": "the test's level (default 0.05)"})
    packs = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=48)),
                        values=fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                                           validate=validate.Length(max=20)),
                        metadata={"description": "stage or step code → pack keys a warning about it suggests "
                                                 "(default: the region's packs with talk-tracks for the stage)"})


class HealthSettingsIn(Schema):
    """The region's overrides; what is left out takes the default. PUT replaces the whole set."""

    thresholds = fields.Dict(keys=fields.String(validate=INDICATOR), values=fields.Nested(ThresholdIn))
    coaching_links = fields.Dict(
        keys=fields.String(validate=INDICATOR),
        values=fields.String(allow_none=True, validate=validate.Length(min=1, max=300)),
        metadata={"description": "indicator → the pack component pushed as its coaching card, "
                                 "<pack>/<kind>/<id> of a published pack of the region"})
    coaching = fields.Nested(CoachingIn)
    windows = fields.Nested(WindowsIn)
    warnings = fields.Nested(WarningsIn)


class CoachingAlertQueryIn(Schema):
    region = fields.String(validate=REGION_KEY)
    rep = fields.Integer(validate=validate.Range(min=1), metadata={"description": "a rep's user id"})
    acknowledged = fields.Boolean(metadata={"description": "true: only acknowledged; false: only open"})


class WarningQueryIn(Schema):
    region = fields.String(validate=REGION_KEY)


# -- output ------------------------------------------------------------------------------------------------

class RepRefOut(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    region = fields.Function(lambda u: u.region.key if u.region else None)
    grid = fields.Function(lambda u: u.grid.key if u.grid else None)


class GridRefOut(Schema):
    key = fields.String()
    name = fields.String()


class IndicatorOut(Schema):
    code = fields.String(metadata={"enum": list(INDICATORS)})
    unit = fields.String(metadata={"enum": sorted(set(UNITS.values())),
                                   "description": "what one value of the coaching rule is: day, visit or deal"})
    value = fields.Float(allow_none=True, metadata={"description": "numerator / denominator; null without data"})
    numerator = fields.Integer()
    denominator = fields.Integer()
    rag = fields.String(metadata={"enum": list(RAG)})
    threshold = fields.Float()
    green = fields.Float()


class RepHealthOut(Schema):
    rep = fields.Nested(RepRefOut)
    indicators = fields.List(fields.Nested(IndicatorOut))


class GridHealthOut(Schema):
    grid = fields.Nested(GridRefOut)
    reps = fields.Integer()
    indicators = fields.List(fields.Nested(IndicatorOut), metadata={
        "description": "the grid's reps' numerators and denominators summed"})


class HealthOut(Schema):
    days = fields.Integer(allow_none=True, metadata={"description": "null: each region's lookback"})
    at = UtcDateTime()
    reps = fields.List(fields.Nested(RepHealthOut))
    grids = fields.List(fields.Nested(GridHealthOut))


class UnitOut(Schema):
    key = fields.String(metadata={"description": "the day (plan:/cards:YYYY-MM-DD), the visit (its first event's "
                                                 "id) or the deal (deal:<place>:<visit>)"})
    at = UtcDateTime()
    value = fields.Float()
    numerator = fields.Integer()
    denominator = fields.Integer()
    place_id = fields.Integer(allow_none=True)
    event_ids = fields.List(fields.String(), metadata={"description": "events (and popup ids) behind the value"})


class IndicatorDetailOut(IndicatorOut):
    event_ids = fields.List(fields.String())
    units = fields.List(fields.Nested(UnitOut))


class RepDetailOut(Schema):
    rep = fields.Nested(RepRefOut)
    days = fields.Integer()
    indicators = fields.List(fields.Nested(IndicatorDetailOut))


class ThresholdOut(Schema):
    threshold = fields.Float()
    green = fields.Float()


class HealthSettingsOut(Schema):
    region = fields.String()
    thresholds = fields.Dict(keys=fields.String(), values=fields.Nested(ThresholdOut))
    coaching_links = fields.Dict(keys=fields.String(), values=fields.String())
    coaching = fields.Dict()
    windows = fields.Dict()
    warnings = fields.Dict()
    overrides = fields.Dict(metadata={"description": "what the region changed (stored as sent)"})
    defaults = fields.Dict(metadata={"description": "the defaults in code"})


class CoachingPackOut(Schema):
    id = fields.String(metadata={"description": "the pack key"})
    name = fields.String()
    version = fields.Integer()


class CoachingComponentOut(Schema):
    ref = fields.String(metadata={"description": "<pack>/<kind>/<id>"})
    kind = fields.String()
    pack = fields.Nested(CoachingPackOut)
    item = fields.Dict(metadata={"description": "the component rendered as in a popup (a talk-track: id, title, "
                                                "stage, lines, objections, variant)"})


class CoachingCardOut(Schema):
    """What the rep gets (``GET /coaching``, socket ``coaching.card``)."""

    id = fields.Integer()
    indicator = fields.String(metadata={"enum": list(INDICATORS)})
    unit = fields.String()
    values = fields.List(fields.Float(), metadata={"description": "the indicator's last values, oldest first"})
    threshold = fields.Float()
    why = fields.List(fields.Nested(WhyOut))
    component = fields.Nested(CoachingComponentOut, allow_none=True)
    created_at = UtcDateTime()
    acknowledged_at = UtcDateTime(allow_none=True)


class CoachingCardListOut(Schema):
    items = fields.List(fields.Nested(CoachingCardOut))


class CoachingAlertOut(Schema):
    """What the manager gets: the alert with the rep and the evidence."""

    id = fields.Integer()
    rep = fields.Nested(RepRefOut)
    region = fields.String(allow_none=True)
    indicator = fields.String(metadata={"enum": list(INDICATORS)})
    unit = fields.String()
    values = fields.List(fields.Float(), metadata={"description": "the last values, oldest first"})
    threshold = fields.Float()
    component = fields.String(allow_none=True, metadata={"description": "the component pushed to the rep, or null"})
    why = fields.List(fields.Nested(WhyOut))
    evidence = fields.Dict(metadata={"description": 'the streak: {"unit", "start", "run", "units": [{"key", "at", '
                                                    '"value", "numerator", "denominator", "place_id", "event_ids"}]}'})
    created_at = UtcDateTime()
    acknowledged_at = UtcDateTime(allow_none=True)


class CoachingAlertListOut(Schema):
    items = fields.List(fields.Nested(CoachingAlertOut))


class RegionWarningOut(Schema):
    id = fields.Integer()
    region = fields.String()
    kind = fields.String(metadata={"enum": ["stage_longer", "step_more_often"]})
    subject = fields.String(metadata={"description": "the stage or the step"})
    why = fields.List(fields.Nested(WhyOut))
    evidence = fields.Dict(metadata={
        "description": "which deals, which stage or step, how much longer / how much more often, the test and "
                       "its p-value, the packs that may help, the tuning used"})
    created_at = UtcDateTime()


class RegionWarningListOut(Schema):
    items = fields.List(fields.Nested(RegionWarningOut))
