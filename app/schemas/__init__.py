"""marshmallow schemas at the edge. ``load`` is the one way to turn input into validated data.

A value that cannot be read at all (not JSON, not an object, a missing field, a wrong type) is
*malformed* (400); a value that reads but breaks a rule (a range, min > max) is *invalid* (422). The kind comes
from the marshmallow error key that produced the message (``Malformed``, ``MALFORMED_KEYS``), never from the
message text; error ``fields`` are flat paths (``app.errors.flat_fields``, docs/api.md).

Every number and date that reaches the database or date arithmetic has bounds (docs/security.md): the shared
``BoundedInteger``, ``BoundedDateTime``, ``BoundedDate`` and ``BoundedList`` below, and ``read_json``, the one
JSON reader of HTTP bodies and socket events, refuses nesting deeper than ``JSON_MAX_DEPTH`` and the
non-JSON constants ``NaN`` / ``Infinity``.
"""

import json
from datetime import UTC, date, datetime

from marshmallow import Schema, ValidationError, fields, validate

from app.errors import InvalidInput, MalformedInput

DB_INT_MAX = 2**63 - 1
"""The largest value of a 64-bit database integer (ids, version numbers, epoch milliseconds)."""
DATETIME_MIN = datetime(1970, 1, 1)
DATETIME_MAX = datetime(2100, 1, 1)
"""Instants outside [1970, 2100) UTC are refused (422): nothing in the field is dated there, and date arithmetic
near year 1 or 9999 overflows."""
DEFAULT_MAX_DEPTH = 32
CNY_MAX = 10**9
"""The largest amount of yuan an input may carry (prices, limits, discounts): ¥1 billion, inside the 32-bit
columns PostgreSQL stores them in."""


class BoundedInteger(fields.Integer):
    """An integer within ``[min, max]`` (default: what a 64-bit column holds); outside is 422, never an overflow."""

    def __init__(self, *, min: int = -DB_INT_MAX, max: int = DB_INT_MAX, **kwargs):
        validators = kwargs.pop("validate", None)
        validators = [] if validators is None else list(validators) if isinstance(validators, list | tuple) \
            else [validators]
        super().__init__(validate=[validate.Range(min=min, max=max), *validators], **kwargs)


def _bounds_error(field: fields.Field):
    return ValidationError(f"Must be between {DATETIME_MIN.date().isoformat()} and "
                           f"{DATETIME_MAX.date().isoformat()} (UTC).", field_name=field.name or "_schema")


def check_instant(moment: datetime) -> datetime:
    """``moment`` if it lies in [DATETIME_MIN, DATETIME_MAX) UTC (a naive one is compared as it is), else
    ``ValueError``; an offset that pushes it past year 1 or 9999 is out of bounds too."""
    try:
        utc = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    except OverflowError as err:
        raise ValueError("out of bounds") from err
    if not DATETIME_MIN <= utc < DATETIME_MAX:
        raise ValueError("out of bounds")
    return moment


class BoundedDateTime(fields.DateTime):
    """ISO 8601 within [1970, 2100) UTC; outside (or an offset that overflows) is 422."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return check_instant(moment)
        except ValueError as err:
            raise _bounds_error(self) from err


class BoundedDate(fields.Date):
    """A calendar day within [1970, 2100); outside is 422."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not DATETIME_MIN.date() <= day < DATETIME_MAX.date():
            raise _bounds_error(self)
        return day


class BoundedList(fields.List):
    """A list refused (422) by its length *before* its items are read, so a huge list costs nothing."""

    def __init__(self, cls_or_instance, *, max_length: int, **kwargs):
        self.max_length = max_length
        super().__init__(cls_or_instance, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list | tuple) and len(value) > self.max_length:
            raise ValidationError(f"Longer than maximum length {self.max_length}.")
        return super()._deserialize(value, attr, data, **kwargs)


def _reject_constant(name: str):
    raise MalformedInput(f"{name} is not JSON.", fields={"_schema": [f"{name} is not JSON."]})


def _depth(value, limit: int) -> int:
    """How deep ``value`` nests arrays and objects (stops counting past ``limit``); iterative, so any depth
    that the parser produced can be measured."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def read_json(text: str | bytes, *, max_depth: int = DEFAULT_MAX_DEPTH):
    """Parse JSON ``text``; raise ``MalformedInput`` (400) for nesting deeper than ``max_depth`` or
    NaN / Infinity, ``ValueError`` for text that is not JSON.

    Without a limit, 5,000–100,000 nested brackets made the parser raise RecursionError (a 500 on every JSON
    route, login included). A body with fewer brackets than the limit cannot be too deep, so the depth walk
    only runs for bodies with many brackets.
    """
    too_deep = f"JSON nested deeper than {max_depth} levels."
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError as err:
        raise MalformedInput(too_deep, fields={"_schema": [too_deep]}) from err
    raw = text.encode() if isinstance(text, str) else bytes(text)
    if raw.count(b"[") + raw.count(b"{") > max_depth and _depth(value, max_depth) > max_depth:
        raise MalformedInput(too_deep, fields={"_schema": [too_deep]})
    return value

class Malformed(str):
    """An error message that says a value cannot be *read* (400), not that it breaks a rule (422).

    marshmallow's messages carry no kind, so ``load`` marks the messages of the error keys that mean
    "unreadable" (``MALFORMED_KEYS``) on every field and schema it loads with, once per schema instance, and
    classifies an error by whether any of its messages is marked. A validator that wants its message to count
    as unreadable (a required-one-of check) raises ``malformed("…")``. ``format`` keeps the mark, because
    ``Field.make_error`` formats the message before raising it.
    """

    __slots__ = ()

    def format(self, *args, **kwargs):
        return Malformed(str.format(self, *args, **kwargs))


def malformed(message: str) -> Malformed:
    """``message`` marked as a 400 (malformed) message for a ``ValidationError`` raised by hand."""
    return Malformed(message)


MALFORMED_KEYS = frozenset({"required", "null", "invalid", "type", "format", "invalid_utf8", "special"})
"""The field error keys that mean the value cannot be read as the field's type (400); every other key
(``validator_failed``, ``range``, ``unknown`` of an enum, …) and every validator's message is a broken rule (422)."""
_SCHEMA_MALFORMED_KEYS = frozenset({"type", "unknown"})
"""A schema's own keys: not an object, or a field it does not know (400)."""


def _mark(messages: dict, keys: frozenset) -> None:
    for key in keys & messages.keys():
        if isinstance(messages[key], str) and not isinstance(messages[key], Malformed):
            messages[key] = Malformed(messages[key])


def _inner_fields(field: fields.Field) -> list[fields.Field]:
    inner = [getattr(field, name, None) for name in ("inner", "key_field", "value_field")]
    inner.extend(getattr(field, "tuple_fields", None) or ())
    return [f for f in inner if isinstance(f, fields.Field)]


def _mark_malformed(schema: Schema) -> None:
    """Mark (``Malformed``) the unreadable-value messages of ``schema``, its fields and everything nested."""
    schemas = [schema]
    while schemas:
        current = schemas.pop()
        if getattr(current, "_malformed_marked", False):
            continue
        current._malformed_marked = True
        _mark(current.error_messages, _SCHEMA_MALFORMED_KEYS)
        stack = list(current.fields.values())
        while stack:
            field = stack.pop()
            _mark(field.error_messages, MALFORMED_KEYS)
            stack.extend(_inner_fields(field))
            if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
                schemas.append(field.schema)


def _any_malformed(messages) -> bool:
    stack = [messages]
    while stack:
        node = stack.pop()
        if isinstance(node, Malformed):
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return False


def _out_of_bounds(value) -> str | None:
    """The path of the first integer beyond 64 bits or date outside [DATETIME_MIN, DATETIME_MAX) in loaded data
    (the net under fields declared without bounds); None when everything is in bounds."""
    stack = [("", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in node.items())
        elif isinstance(node, list | tuple):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(node))
        elif isinstance(node, int) and not isinstance(node, bool):
            if not -DB_INT_MAX <= node <= DB_INT_MAX:
                return path or "_schema"
        elif isinstance(node, datetime):
            try:
                check_instant(node)
            except ValueError:
                return path or "_schema"
        elif isinstance(node, date) and not DATETIME_MIN.date() <= node < DATETIME_MAX.date():
            return path or "_schema"
    return None


def load(schema: Schema, data):
    """Validate ``data`` with ``schema``; raise ``MalformedInput`` (400) or ``InvalidInput`` (422).

    Numbers and dates beyond what the database and date arithmetic hold are 422 whatever the schema says
    (``_out_of_bounds``), so no such value reaches a query or a ``timedelta`` as an OverflowError (500).
    """
    if data is None:
        raise MalformedInput("Send a JSON object.", fields={"_schema": ["Send a JSON object."]})
    _mark_malformed(schema)
    try:
        loaded = schema.load(data)
    except ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        if _any_malformed(messages):
            raise MalformedInput(fields=messages) from err
        raise InvalidInput(fields=messages) from err
    except OverflowError as err:
        raise InvalidInput("A number or date is out of range.",
                           fields={"_schema": ["A number or date is out of range."]}) from err
    path = _out_of_bounds(loaded)
    if path is not None:
        raise InvalidInput(f"{path}: out of range.", fields={path: [
            f"Out of range: numbers up to ±{DB_INT_MAX}, dates from {DATETIME_MIN.year} to {DATETIME_MAX.year - 1}."]})
    return loaded
