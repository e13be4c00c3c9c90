"""Field events from the PWA's outbox: the batch envelope, one schema per event type for ``data``, listing.

Each event of a batch is validated on its own (``load_event``): a bad one is rejected with the usual error
``fields``, the others still go in. ``data`` errors are reported under ``fields["data"]``.
"""

from datetime import UTC

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from app.errors import InvalidInput, MalformedInput
from app.models import STAGES
from app.schemas import BoundedDate, BoundedDateTime, load, malformed

MAX_EVENTS_PER_REQUEST = 500
COMPONENT_REF = validate.Length(min=1, max=300)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class UtcDateTime(BoundedDateTime):
    """ISO 8601; an offset is converted to UTC, a time without one is taken as UTC. Loads naive UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value.endswith(("Z", "z")):
            value = value[:-1] + "+00:00"
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


# --- data, one schema per type ------------------------------------------------------------------------


class CardFeedbackData(Strict):
    rating = fields.String(required=True, validate=validate.OneOf(("helpful", "not_helpful", "used", "dismissed")))
    reason = fields.String(validate=validate.Length(min=1, max=500),
                           metadata={"description": "required when rating is dismissed"})
    component = fields.String(validate=COMPONENT_REF,
                              metadata={"description": "a bundle component ref: <pack>/<kind>/<id>"})

    @validates_schema
    def _reason_when_dismissed(self, data, **kwargs):
        if data.get("rating") == "dismissed" and not data.get("reason"):
            raise ValidationError("Say why the card was dismissed.", field_name="reason")


class CheckInData(Strict):
    method = fields.String(required=True, validate=validate.OneOf(("dwell_suggested", "tap", "manual")))
    lat = fields.Float(validate=validate.Range(-90, 90))
    lon = fields.Float(validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(validate=validate.Range(min=0))


class VisitData(Strict):
    note = fields.String(required=True, validate=validate.Length(max=4000))
    next_step = fields.String(load_default="", validate=validate.Length(max=500))


class OutcomeData(Strict):
    result = fields.String(required=True, validate=validate.OneOf(("advanced", "won", "lost", "no_decision")))
    note = fields.String(validate=validate.Length(max=4000))
    # stage history for regional early warnings (docs/learning.md); both optional, so older clients still fit
    stage = fields.String(validate=validate.OneOf(STAGES),
                          metadata={"description": "the deal's stage after this outcome"})
    steps = fields.List(fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$",
                                                               error="A step is a short code, e.g. poc.")),
                        validate=validate.Length(max=20),
                        metadata={"description": "steps the deal goes through in this stage: short codes such as "
                                                 "poc, security_audit, tender"})


class PlanStopData(Strict):
    place_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1))
    components = fields.List(fields.String(validate=COMPONENT_REF), load_default=list,
                             validate=validate.Length(max=50))
    order = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))


class PlanData(Strict):
    date = BoundedDate(required=True, format="%Y-%m-%d")
    stops = fields.List(fields.Nested(PlanStopData), required=True, validate=validate.Length(max=50))


class CardShownOfflineData(Strict):
    distance_m = fields.Float(allow_none=True, validate=validate.Range(min=0))
    event = fields.String(load_default="enter_place", validate=validate.OneOf(("enter_place", "dwell")))


# type → (data schema, needs place_id, needs popup_id)
EVENT_TYPES = {
    "card_feedback": (CardFeedbackData, True, True),
    "check_in": (CheckInData, True, False),
    "visit": (VisitData, True, False),
    "outcome": (OutcomeData, True, False),
    "plan": (PlanData, False, False),
    "card_shown_offline": (CardShownOfflineData, True, True),
}


# --- the envelope ------------------------------------------------------------------------------------


class EventIn(Strict):
    """One event as the outbox sends it. ``data`` is checked by the schema of its ``type``."""

    id = fields.UUID(required=True, metadata={"description": "the client's UUID; the server stores it once"})
    type = fields.String(required=True, validate=validate.OneOf(tuple(EVENT_TYPES)))
    at = UtcDateTime(required=True, metadata={"description": "ISO 8601; stored as UTC"})
    place_id = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1))
    popup_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=36))
    data = fields.Dict(load_default=dict, metadata={"description": "per type, see docs/sync-and-events.md"})

    @validates_schema
    def _needs(self, data, **kwargs):
        kind = EVENT_TYPES.get(data.get("type"))
        if kind is None:
            return
        errors = {}
        if kind[1] and data.get("place_id") is None:
            errors["place_id"] = [malformed("Missing data for required field.")]
        if kind[2] and not data.get("popup_id"):
            errors["popup_id"] = [malformed("Missing data for required field.")]
        if errors:
            raise ValidationError(errors)


class EventBatchIn(Strict):
    events = fields.List(fields.Dict(), required=True,
                         validate=validate.Length(min=1, max=MAX_EVENTS_PER_REQUEST),
                         metadata={"description": f"1–{MAX_EVENTS_PER_REQUEST} events (EventIn), each "
                                                  "validated alone"})


class EventDoc(EventIn):
    """The per-event shape, for the OpenAPI document (the batch carries plain objects)."""


class EventErrorOut(Schema):
    code = fields.String()
    message = fields.String()
    fields_ = fields.Dict(data_key="fields", attribute="fields")


class EventResultOut(Schema):
    id = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": ["accepted", "duplicate", "rejected"]})
    error = fields.Nested(EventErrorOut)


class EventBatchOut(Schema):
    results = fields.List(fields.Nested(EventResultOut))


class EventQueryIn(Strict):
    mine = fields.String(load_default="true", validate=validate.OneOf(("true",)),
                         metadata={"description": "only your own events (the only choice for now)"})
    type = fields.String(validate=validate.OneOf(tuple(EVENT_TYPES)))
    since = UtcDateTime(metadata={"description": "only events the server received after this moment"})
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class EventOut(Schema):
    id = fields.String()
    type = fields.String()
    at = fields.Method("_at")
    place_id = fields.Integer(allow_none=True)
    popup_id = fields.String(allow_none=True)
    data = fields.Dict()
    received_at = fields.Method("_received_at")

    @staticmethod
    def _iso(moment):
        return moment.isoformat(timespec="milliseconds") + "Z"

    def _at(self, event):
        return self._iso(event.at)

    def _received_at(self, event):
        return self._iso(event.received_at)


class EventListOut(Schema):
    items = fields.List(fields.Nested(EventOut))


def load_event(raw: dict) -> dict:
    """One validated event: the envelope, then ``data`` by the schema of its type.

    Raises ``MalformedInput`` / ``InvalidInput`` as ``app.schemas.load`` does; errors of ``data`` are nested
    under ``fields["data"]``. The id comes back as its canonical lower-case string.
    """
    event = load(EventIn(), raw)
    schema = EVENT_TYPES[event["type"]][0]()
    try:
        event["data"] = load(schema, event["data"])
    except (MalformedInput, InvalidInput) as err:
        raise type(err)(fields={"data": err.fields}) from err
    event["id"] = str(event["id"])
    plan_date = event["data"].get("date")
    if plan_date is not None:
        event["data"]["date"] = plan_date.isoformat()  # stored as JSON
    return event
