"""Schemas of the console's replay: a rep's day of fixes, fence events and cards (docs/replay.md)."""

from marshmallow import Schema, fields, validate

from app.schemas import BoundedDate
from geo.fence import DROP_REASONS, SUPPRESS_REASONS


class ReplayQueryIn(Schema):
    rep_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**63 - 1))
    date = BoundedDate(required=True, metadata={"description": "the local day (TIMEZONE), YYYY-MM-DD"})


class ReplayPlaceOut(Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True, metadata={"description": "null: the place was removed since"})


class ReplayRepOut(Schema):
    id = fields.Integer()
    name = fields.String()


class ReplayFixOut(Schema):
    ts = fields.Integer(metadata={"description": "the phone's fix time, epoch ms"})
    lat = fields.Float()
    lon = fields.Float()
    accuracy_m = fields.Float(allow_none=True)
    status = fields.String(metadata={"enum": ["accepted", "dropped"]})
    reason = fields.String(metadata={"description": "why it was dropped", "enum": list(DROP_REASONS)})


class ReplayEventOut(Schema):
    type = fields.String(metadata={"enum": ["enter", "dwell", "exit", "suppressed"]})
    place = fields.Nested(ReplayPlaceOut)
    ts = fields.Integer(metadata={"description": "epoch ms of the fix that caused it"})
    reason = fields.String(metadata={"description": f"suppressed: one of {', '.join(SUPPRESS_REASONS)}; exit: "
                                                    "session_gap or place_removed when unusual"})


class ReplayCardOut(Schema):
    popup_id = fields.String()
    place = fields.Nested(ReplayPlaceOut)
    at = fields.String(metadata={"description": "when it was pushed (UTC, ISO 8601)"})
    event = fields.String(metadata={"description": "the trigger-rule event: enter_place or dwell"})


class ReplayOut(Schema):
    rep = fields.Nested(ReplayRepOut)
    date = fields.String()
    fixes = fields.List(fields.Nested(ReplayFixOut))
    events = fields.List(fields.Nested(ReplayEventOut))
    cards = fields.List(fields.Nested(ReplayCardOut))
