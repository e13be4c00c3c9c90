"""marshmallow schemas at the edge. ``load`` is the one way to turn input into validated data.

A value that cannot be read at all (not JSON, not an object, a missing field, a wrong type) is
*malformed* (400); a value that reads but breaks a rule (a range, min > max) is *invalid* (422).
"""

from marshmallow import Schema, ValidationError, fields

from app.errors import InvalidInput, MalformedInput

# Messages marshmallow produces when a value cannot be read as the field's type.
_STRUCTURAL_KEYS = ("required", "null", "invalid", "type", "format", "invalid_utf8", "special")


def _structural_messages(schema: Schema) -> set[str]:
    messages = {str(v) for v in schema.error_messages.values()}
    stack = list(schema.fields.values())
    while stack:
        field = stack.pop()
        messages.update(str(v) for k, v in field.error_messages.items() if k in _STRUCTURAL_KEYS)
        if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            stack.extend(field.schema.fields.values())
        inner = getattr(field, "inner", None)
        if inner is not None:
            stack.append(inner)
    return messages


def _flatten(messages) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):
        return [m for v in messages.values() for m in _flatten(v)]
    return [m for v in messages for m in _flatten(v)]


def load(schema: Schema, data):
    """Validate ``data`` with ``schema``; raise ``MalformedInput`` (400) or ``InvalidInput`` (422)."""
    if data is None:
        raise MalformedInput("Send a JSON object.", fields={"_schema": ["Send a JSON object."]})
    try:
        return schema.load(data)
    except ValidationError as err:
        messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
        structural = _structural_messages(schema)
        if any(m in structural for m in _flatten(messages)):
            raise MalformedInput(fields=messages) from err
        raise InvalidInput(fields=messages) from err
