"""Schemas for socket events on /field."""

import time
from datetime import UTC, datetime

from marshmallow import RAISE, Schema, fields, validate


class Timestamp(fields.Field):
    """Epoch milliseconds (int/float) or an ISO 8601 string; loads as epoch milliseconds (int)."""

    default_error_messages = {"invalid": "Not a valid timestamp: send epoch milliseconds or ISO 8601."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, int | float):
            return int(value)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError as err:
                raise self.make_error("invalid") from err
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return int(parsed.timestamp() * 1000)
        raise self.make_error("invalid")


class LocationIn(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0))
    ts = Timestamp(load_default=lambda: int(time.time() * 1000))



class TrackResetIn(Schema):
    """``track.reset``: no fields (an empty object); the laptop simulation sends it before jumping."""

    class Meta:
        unknown = RAISE
