"""Schemas of the manager API for content packs: versions, lifecycle steps, diff and audit.

A pack ``body`` is validated by content_packs' ``PackSchema`` (the same rules as ``flask packs validate``);
``load_flat`` reports every problem under its path inside the request: ``body.talk_tracks[2].objections``.
"""

from datetime import UTC

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from app.errors import InvalidInput, MalformedInput
from app.models import PACK_STATUSES
from app.schemas import load
from content_packs import PackSchema
from content_packs.loader import ROOT, flatten_messages

NOTE = validate.Length(max=2000)


def load_flat(schema: Schema, data):
    """``load`` whose error ``fields`` are flat paths (``body.counters[1].id``) and whose message names the
    first problem, so a manager can find it in a long pack."""
    try:
        return load(schema, data)
    except (MalformedInput, InvalidInput) as err:
        flat: dict[str, list[str]] = {}
        for location, message in flatten_messages(err.fields):
            flat.setdefault("_schema" if location == ROOT else location, []).append(message)
        first, messages = next(iter(flat.items()))
        more = sum(len(m) for m in flat.values()) - 1
        text = f"{first}: {messages[0]}" + (f" (and {more} more)" if more else "")
        raise type(err)(text, fields=flat) from err


class UtcDateTime(fields.DateTime):
    """ISO 8601 in (a time without an offset is taken as UTC), naive UTC inside, ``…Z`` out."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


class _WithBody(Schema):
    body = fields.Nested(PackSchema, required=True,
                         metadata={"description": "The whole pack (docs/content-packs.md) as JSON; `version` may be "
                                                  "left out — the server sets it to the new version number."})
    note = fields.String(load_default="", validate=NOTE, metadata={"description": "What changed and why"})

    @pre_load
    def _version_is_optional(self, data, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("body"), dict) and "version" not in data["body"]:
            return {**data, "body": {**data["body"], "version": 1}}
        return data


class PackCreateIn(_WithBody):
    pass


class VersionCreateIn(_WithBody):
    based_on = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1),
                              metadata={"description": "The version this edit starts from (default: the latest)"})


class SubmitIn(Schema):
    note = fields.String(load_default="", validate=NOTE)


class RejectIn(Schema):
    reason = fields.String(load_default="", validate=NOTE)


class ScheduleIn(Schema):
    publish_at = UtcDateTime(allow_none=True, metadata={"description": "ISO 8601; null clears it"})
    expires_at = UtcDateTime(allow_none=True, metadata={"description": "ISO 8601; null clears it"})

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Send publish_at, expires_at or both.")


class RollbackIn(Schema):
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class PackQueryIn(Schema):
    region = fields.String(validate=validate.Length(min=1, max=64))


class DiffQueryIn(Schema):
    from_ = fields.Integer(data_key="from", validate=validate.Range(min=1),
                           metadata={"description": "Default: the version `to` was based on"})
    to = fields.Integer(validate=validate.Range(min=1), metadata={"description": "Default: the latest version"})


class AuditQueryIn(Schema):
    pack = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "A pack id"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class VersionOut(Schema):
    pack_id = fields.String(attribute="pack.key")
    number = fields.Integer()
    status = fields.String(metadata={"enum": list(PACK_STATUSES)})
    live = fields.Function(lambda v: v.status == "published", metadata={"type": "boolean"})
    based_on = fields.Integer(allow_none=True)
    note = fields.String()
    created_by_id = fields.Integer(allow_none=True)
    created_at = UtcDateTime()
    submitted_at = UtcDateTime(allow_none=True)
    published_at = UtcDateTime(allow_none=True)
    publish_at = UtcDateTime(allow_none=True, metadata={"description": "scheduled publishing"})
    expires_at = UtcDateTime(allow_none=True, metadata={"description": "scheduled expiry"})


class VersionDetailOut(VersionOut):
    body = fields.Dict()


class VersionListOut(Schema):
    items = fields.List(fields.Nested(VersionOut))


class PackOut(Schema):
    id = fields.String(attribute="key", metadata={"description": "The pack id (its key in URLs)"})
    name = fields.String()
    region = fields.String(allow_none=True)
    live_version = fields.Integer(allow_none=True, metadata={"description": "null: nothing is live"})
    latest_version = fields.Integer()
    status_counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    pending_publish_at = UtcDateTime(allow_none=True)
    expires_at = UtcDateTime(allow_none=True, metadata={"description": "expiry of the live version"})


class PackDetailOut(PackOut):
    versions = fields.List(fields.Nested(VersionOut))


class PackListOut(Schema):
    items = fields.List(fields.Nested(PackOut))


class ComponentRefOut(Schema):
    kind = fields.String()
    id = fields.String()
    title = fields.String()


class FieldChangeOut(Schema):
    field = fields.String()
    lines = fields.List(fields.String(), metadata={"description": "unified diff lines of a list field"})
    from_ = fields.Raw(data_key="from", attribute="from")
    to = fields.Raw()


class ComponentChangeOut(ComponentRefOut):
    fields_ = fields.List(fields.Nested(FieldChangeOut), data_key="fields", attribute="fields")


class ComponentsDiffOut(Schema):
    added = fields.List(fields.Nested(ComponentRefOut))
    removed = fields.List(fields.Nested(ComponentRefOut))
    changed = fields.List(fields.Nested(ComponentChangeOut))


class DiffOut(Schema):
    pack_id = fields.String()
    from_ = fields.Integer(data_key="from", attribute="from")
    to = fields.Integer()
    pack = fields.List(fields.Nested(FieldChangeOut), metadata={"description": "changes to the pack's scope"})
    components = fields.Nested(ComponentsDiffOut)
    summary = fields.Dict(keys=fields.String(), values=fields.Integer())


class ActorOut(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()


class AuditEntryOut(Schema):
    id = fields.Integer(attribute="entry.id")
    at = UtcDateTime(attribute="entry.created_at")
    actor = fields.Nested(ActorOut, allow_none=True, metadata={"description": "null: the scheduler or the CLI"})
    action = fields.String(attribute="entry.action")
    target_type = fields.String(attribute="entry.target_type")
    target_id = fields.Integer(attribute="entry.target_id", allow_none=True)
    pack_id = fields.String(allow_none=True)
    from_version = fields.Integer(attribute="entry.from_version", allow_none=True)
    to_version = fields.Integer(attribute="entry.to_version", allow_none=True)
    detail = fields.Dict(attribute="entry.detail")


class AuditListOut(Schema):
    items = fields.List(fields.Nested(AuditEntryOut))
