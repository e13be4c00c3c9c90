"""Schemas for socket events on /field."""

import math
import time
from datetime import UTC, datetime

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from app.schemas import DATETIME_MAX, DATETIME_MIN, check_instant

TS_MIN_MS = int(DATETIME_MIN.replace(tzinfo=UTC).timestamp() * 1000)
TS_MAX_MS = int(DATETIME_MAX.replace(tzinfo=UTC).timestamp() * 1000)


class Timestamp(fields.Field):
    """Epoch milliseconds (int/float) or an ISO 8601 string; loads as epoch milliseconds (int).

    Bounded to [1970, 2100) (422 outside): ``ts: -1`` or ``ts: 10**30`` once became a rep's last fix time, after
    which every later fix looked out of order and saving the fence state overflowed the database column. Whether a
    fix in bounds is too far ahead of or behind the server clock is judged by the handler (dropped, with a reason).
    """

    default_error_messages = {"invalid": "Not a valid timestamp: send epoch milliseconds or ISO 8601.",
                              "range": "Must be a time between 1970 and 2100 (epoch milliseconds)."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, int | float):
            if not math.isfinite(value) or not TS_MIN_MS <= value < TS_MAX_MS:
                raise self.make_error("range")
            return int(value)
        if isinstance(value, str) and len(value) <= 64:
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError as err:
                raise self.make_error("invalid") from err
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            try:
                check_instant(parsed)
            except ValueError as err:
                raise self.make_error("range") from err
            return int(parsed.timestamp() * 1000)
        raise self.make_error("invalid")


class ConnectAuthIn(Schema):
    """The CONNECT packet's ``auth`` object; other keys are ignored (clients may add their own)."""

    class Meta:
        unknown = EXCLUDE

    token = fields.String(required=True, validate=validate.Length(min=1, max=4096))
    locale = fields.Raw(load_default=None, allow_none=True,
                        metadata={"description": "zh | en; anything else: the user's own"})


class LocationIn(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0, max=1e7))
    ts = Timestamp(load_default=lambda: int(time.time() * 1000))


class TrackResetIn(Schema):
    """``track.reset``: no fields (an empty object); the laptop simulation sends it before jumping."""

    class Meta:
        unknown = RAISE
