"""Schemas of the manager API for content packs: versions, lifecycle steps, review, diff, audit, validation,
reusable components and audiences.

A pack ``body`` is validated by content_packs' ``PackSchema`` (the same rules as ``flask packs validate``);
``load_flat`` reports every problem under its path inside the request: ``body.talk_tracks[2].objections``.
"""

from datetime import UTC

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from app.errors import InvalidInput, MalformedInput
from app.i18n import LOCALES
from app.models import PACK_STATUSES
from app.schemas import DB_INT_MAX, BoundedDateTime, load, malformed
from content_packs import COMPONENT_KINDS, PackSchema
from content_packs.loader import ROOT, flatten_messages

NOTE = validate.Length(max=2000)
YAML_TEXT = validate.Length(min=1, max=1_000_000)
_MISSING = fields.Field.default_error_messages["required"]  # a structural message: the request is malformed (400)


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


class UtcDateTime(BoundedDateTime):
    """ISO 8601 in (a time without an offset is taken as UTC), naive UTC inside, ``…Z`` out."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


class _WithBody(Schema):
    """``body`` (JSON) or ``yaml`` (the same pack as YAML text, e.g. pasted or uploaded in the console)."""

    body = fields.Nested(PackSchema,
                         metadata={"description": "The whole pack (docs/content-packs.md) as JSON; `version` may be "
                                                  "left out — the server sets it to the new version number."})
    yaml = fields.String(validate=YAML_TEXT, metadata={"description": "Instead of `body`: the pack as YAML "
                                                                      "(`flask packs export` output); 422 problems "
                                                                      "under `yaml.<path>`"})
    note = fields.String(load_default="", validate=NOTE, metadata={"description": "What changed and why"})

    @pre_load
    def _version_is_optional(self, data, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("body"), dict) and "version" not in data["body"]:
            return {**data, "body": {**data["body"], "version": 1}}
        return data

    @validates_schema
    def _body_or_yaml(self, data, **kwargs):
        if "body" not in data and "yaml" not in data:
            raise ValidationError(malformed(_MISSING), field_name="body")
        if "body" in data and "yaml" in data:
            raise ValidationError("Send body or yaml, not both.", field_name="yaml")


class PackCreateIn(_WithBody):
    pass


class VersionCreateIn(_WithBody):
    based_on = fields.Integer(load_default=None, allow_none=True, strict=True,
                              validate=validate.Range(min=1, max=DB_INT_MAX),
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
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=DB_INT_MAX))


class PackQueryIn(Schema):
    region = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "a region key"})
    zone_type = fields.String(validate=validate.Length(min=1, max=64),
                              metadata={"description": "packs made for it, or shown for it by a trigger rule"})
    grid = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "a grid key"})
    status = fields.String(validate=validate.OneOf([*PACK_STATUSES, "scheduled"]),
                           metadata={"description": "packs with a version in this status (scheduled: in review "
                                                    "with a publish_at)"})


class ApproveIn(Schema):
    note = fields.String(load_default="", validate=NOTE)


class CommentIn(Schema):
    component_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100),
                                 metadata={"description": "a component of the version; omitted = the whole version"})
    body = fields.String(required=True, validate=[validate.Length(min=1, max=4000),
                                                  validate.Regexp(r"\S", error="Must not be blank.")])


class ValidateIn(Schema):
    body = fields.Raw(metadata={"description": "a pack body as JSON (any shape: every problem is reported)"})
    yaml = fields.String(validate=YAML_TEXT, metadata={"description": "or the pack as YAML"})
    locale = fields.String(load_default=None, validate=validate.OneOf(LOCALES),
                           metadata={"description": "language of `message`; default yours"})

    @validates_schema
    def _body_or_yaml(self, data, **kwargs):
        if "body" not in data and "yaml" not in data:
            raise ValidationError(malformed(_MISSING), field_name="body")
        if "body" in data and "yaml" in data:
            raise ValidationError("Send body or yaml, not both.", field_name="yaml")


class ValidateOut(Schema):
    valid = fields.Boolean()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "path inside the pack → messages, as `flask packs validate`"})
    message = fields.String(allow_none=True, metadata={"description": "the first problem and how many more"})


class ComponentQueryIn(Schema):
    region = fields.String(validate=validate.Length(min=1, max=64))
    kind = fields.String(validate=validate.OneOf(COMPONENT_KINDS))
    q = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "text to look for"})


class PackRefOut(Schema):
    key = fields.String()
    name = fields.String()
    version = fields.Integer()


class ComponentItemOut(Schema):
    pack = fields.Nested(PackRefOut)
    kind = fields.String(metadata={"enum": list(COMPONENT_KINDS)})
    id = fields.String()
    title = fields.String()
    component = fields.Dict(metadata={"description": "the component as in the pack body"})


class ComponentListOut(Schema):
    items = fields.List(fields.Nested(ComponentItemOut))


class AudienceOut(Schema):
    reps = fields.Integer(metadata={"description": "users who would receive pack.updated if it were published now"})
    online = fields.Integer(metadata={"description": "of those, connected to /field now (any process)"})


class DiffQueryIn(Schema):
    from_ = fields.Integer(data_key="from", validate=validate.Range(min=1, max=DB_INT_MAX),
                           metadata={"description": "Default: the version `to` was based on"})
    to = fields.Integer(validate=validate.Range(min=1, max=DB_INT_MAX),
                        metadata={"description": "Default: the latest version"})


class AuditQueryIn(Schema):
    pack = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "A pack id"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class VersionPersonOut(Schema):
    id = fields.Integer()
    name = fields.String()


class ReviewOut(Schema):
    required = fields.Boolean(metadata={"description": "the region publishes only after a second manager approved"})
    approved = fields.Boolean(metadata={"description": "a manager or admin other than the author approved it"})
    can_publish = fields.Boolean(metadata={"description": "you may publish or schedule it now"})


class VersionOut(Schema):
    """Dumped from ``app.services.pack_review.describe`` (a version with its people and review)."""

    pack_id = fields.String()
    number = fields.Integer()
    status = fields.String(metadata={"enum": list(PACK_STATUSES)})
    live = fields.Boolean()
    based_on = fields.Integer(allow_none=True)
    note = fields.String()
    created_by_id = fields.Integer(allow_none=True)
    created_by = fields.Nested(VersionPersonOut, allow_none=True)
    submitted_by = fields.Nested(VersionPersonOut, allow_none=True)
    approved_by = fields.Nested(VersionPersonOut, allow_none=True)
    created_at = UtcDateTime()
    submitted_at = UtcDateTime(allow_none=True)
    approved_at = UtcDateTime(allow_none=True)
    published_at = UtcDateTime(allow_none=True)
    publish_at = UtcDateTime(allow_none=True, metadata={"description": "scheduled publishing"})
    expires_at = UtcDateTime(allow_none=True, metadata={"description": "scheduled expiry"})
    review = fields.Nested(ReviewOut)


class VersionDetailOut(VersionOut):
    body = fields.Dict()


class VersionListOut(Schema):
    items = fields.List(fields.Nested(VersionOut))


class VersionSummaryOut(Schema):
    number = fields.Integer()
    status = fields.String(metadata={"enum": list(PACK_STATUSES)})
    scheduled = fields.Boolean(metadata={"description": "in review with a publish_at"})
    publish_at = UtcDateTime(allow_none=True)
    expires_at = UtcDateTime(allow_none=True)


class PackOut(Schema):
    id = fields.String(attribute="key", metadata={"description": "The pack id (its key in URLs)"})
    name = fields.String()
    region = fields.String(allow_none=True)
    grid = fields.String(allow_none=True, metadata={"description": "a grid's own pack: the grid key"})
    live_version = fields.Integer(allow_none=True, metadata={"description": "null: nothing is live"})
    latest_version = fields.Integer()
    status_counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    pending_publish_at = UtcDateTime(allow_none=True)
    expires_at = UtcDateTime(allow_none=True, metadata={"description": "expiry of the live version"})
    scheduled = fields.Boolean(metadata={"description": "a version waits for its publish_at"})
    versions = fields.List(fields.Nested(VersionSummaryOut), metadata={"description": "oldest first"})


class PackDetailOut(PackOut):
    versions = fields.List(fields.Nested(VersionOut))


class PackListOut(Schema):
    items = fields.List(fields.Nested(PackOut))


class ProvenanceOut(Schema):
    pack = fields.String()
    version = fields.Integer()
    id = fields.String()


class ComponentRefOut(Schema):
    kind = fields.String()
    id = fields.String()
    title = fields.String()
    copied_from = fields.Nested(ProvenanceOut, metadata={"description": "a reused component: where it came from"})


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


class CommentOut(Schema):
    id = fields.Integer()
    component_id = fields.String(allow_none=True)
    author = fields.Nested(VersionPersonOut, allow_none=True)
    body = fields.String()
    created_at = UtcDateTime()


class CommentListOut(Schema):
    items = fields.List(fields.Nested(CommentOut))
