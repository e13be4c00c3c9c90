"""marshmallow schemas for content packs (作战包).

One YAML file holds one pack; ``PackSchema().load(data)`` validates it and returns the
normalised dict. The rules live here so that the loader, the future ``flask packs validate``
command and the manager API all give the same answer.

Extending the format (issue 4 and later): add *optional* fields with a sensible default, never
new required ones, so every pack written today stays valid. A breaking change bumps the top-level
``format`` number and gets a schema of its own.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

FORMAT_VERSION = 1
STAGES = ("prospecting", "discovery", "proposal", "negotiation", "closing", "after_sales")
SKILL_LEVELS = ("junior", "intermediate", "senior")
ROLES = ("rep", "guide", "manager", "admin")

# Pack ids and component ids: kebab-case, stable, used in URLs and in A/B records.
KEBAB_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# Zone types, place categories, shopper types and regions are data managed in the database, so only their
# shape is checked.
SNAKE_RE = r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$"
VARIANT_RE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$"

COMPONENT_KINDS = ("personas", "talk_tracks", "counters", "compliance_notes", "local_cases", "solution_hints")


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank")


def _length(minimum: int) -> validate.Length:
    return validate.Length(min=minimum, error="Length must be at least {min}")


def _one_of(choices: tuple[str, ...]) -> validate.OneOf:
    return validate.OneOf(choices, error="Must be one of: {choices}")


class Text(fields.String):
    """A required-by-default, non-blank string, stripped of surrounding whitespace."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", True)
        extra = kwargs.pop("validate", None)
        validators = [_not_blank, *([extra] if callable(extra) else (extra or []))]
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class StrictInt(fields.Integer):
    """An integer that refuses booleans and strings (YAML ``true`` or ``"3"``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Must be an integer")
        return super()._deserialize(value, attr, data, **kwargs)


class IsoDate(fields.Field):
    """A calendar date, accepted as ``2027-06-30`` (string or YAML date) and returned as an ISO string.

    Returning the string keeps a loaded pack JSON-serialisable as it is.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dt.datetime):
            raise ValidationError("Must be a date (YYYY-MM-DD), not a date and time")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            try:
                return dt.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        raise ValidationError("Must be a date in the form YYYY-MM-DD")


def _id_field() -> Text:
    return Text(validate=validate.Regexp(KEBAB_RE, error="Must be kebab-case (a-z, 0-9, '-')"))


def _key_list(*, required: bool = False, min_len: int = 0) -> fields.List:
    kwargs: dict[str, Any] = {"required": required}
    if min_len:
        kwargs["validate"] = _length(min_len)
    return fields.List(Text(validate=validate.Regexp(SNAKE_RE, error="Must be snake_case")), **kwargs)


def _enum_list(choices: tuple[str, ...], *, required: bool = False) -> fields.List:
    return fields.List(Text(validate=_one_of(choices)), required=required, validate=_length(1))


def _texts(min_len: int, *, required: bool = True) -> fields.List:
    return fields.List(Text(), required=required, validate=_length(min_len) if min_len else None)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class ProvenanceSchema(StrictSchema):
    """Where a reused component was copied from (``copied_from``): the source pack, its version and the
    component's id there. Only a record: the copy is independent and carries an id of its own."""

    pack = _id_field()
    version = StrictInt(required=True, validate=validate.Range(min=1, error="Must be at least 1"))
    id = _id_field()


class ComponentSchema(StrictSchema):
    """What every component kind shares: an optional ``copied_from`` (provenance of a reused component)."""

    copied_from = fields.Nested(ProvenanceSchema)


class AudienceSchema(StrictSchema):
    roles = _enum_list(ROLES, required=True)
    skill_levels = _enum_list(SKILL_LEVELS)


class PersonaSchema(ComponentSchema):
    id = _id_field()
    title = Text()
    description = Text()
    cares_about = _texts(1)
    avoid = _texts(0, required=False)


class ObjectionSchema(StrictSchema):
    objection = Text()
    response = Text()


class VariantSchema(StrictSchema):
    id = Text(validate=validate.Regexp(VARIANT_RE, error="Must be a short code such as A or B"))
    weight = StrictInt(required=True, validate=validate.Range(min=1, error="Must be a positive integer"))
    lines = _texts(2)


class TalkTrackSchema(ComponentSchema):
    id = _id_field()
    title = Text()
    stage = Text(validate=_one_of(STAGES))
    skill_levels = _enum_list(SKILL_LEVELS)
    categories = _key_list(min_len=1)
    shopper_types = _key_list(min_len=1)
    lines = _texts(2)
    objections = fields.List(fields.Nested(ObjectionSchema), required=True, validate=_length(3))
    variants = fields.List(fields.Nested(VariantSchema), validate=_length(2))

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _unique_variant_ids(self, data: dict, original_data: Any, **kwargs: Any) -> None:
        seen: set[str] = set()
        errors: dict[int, dict[str, list[str]]] = {}
        raw = original_data.get("variants") if isinstance(original_data, dict) else None
        for i, variant in enumerate(_items(raw)):
            vid = variant.get("id")
            if isinstance(vid, str) and vid in seen:
                errors[i] = {"id": [f"Duplicate variant id '{vid}'"]}
            if isinstance(vid, str):
                seen.add(vid)
        if errors:
            raise ValidationError({"variants": errors})


class CounterSchema(ComponentSchema):
    id = _id_field()
    competitor = Text()
    their_move = Text()
    our_response = Text()
    proof_points = _texts(1)
    skill_levels = _enum_list(SKILL_LEVELS)
    categories = _key_list(min_len=1)
    shopper_types = _key_list(min_len=1)


class ComplianceNoteSchema(ComponentSchema):
    id = _id_field()
    title = Text()
    text = Text()
    expires_on = IsoDate()


class LocalCaseSchema(ComponentSchema):
    id = _id_field()
    title = Text()
    place_category = Text(validate=validate.Regexp(SNAKE_RE, error="Must be snake_case"))
    summary = Text()
    result = Text()


class SolutionHintSchema(ComponentSchema):
    id = _id_field()
    needs = _texts(1)
    text = Text()


class PackSchema(StrictSchema):
    """A whole content pack: scope (zone types, categories, audience) plus its components."""

    format = StrictInt(load_default=FORMAT_VERSION, validate=_one_of((FORMAT_VERSION,)))
    id = _id_field()
    version = StrictInt(required=True, validate=validate.Range(min=1, error="Must be at least 1"))
    name = Text()
    description = Text()
    region = Text(validate=validate.Regexp(SNAKE_RE, error="Must be snake_case"))
    # a grid of the region (its key): the grid's own pack, shown to that grid's reps only
    grid = Text(required=False, validate=validate.Regexp(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$",
                                         error="Must be a grid key (a-z, 0-9, '-', '_')"))
    zone_types = _key_list(required=True, min_len=1)
    categories = _key_list(required=True)
    audience = fields.Nested(AudienceSchema, required=True)
    personas = fields.List(fields.Nested(PersonaSchema), load_default=list)
    talk_tracks = fields.List(fields.Nested(TalkTrackSchema), required=True, validate=_length(1))
    counters = fields.List(fields.Nested(CounterSchema), load_default=list)
    compliance_notes = fields.List(fields.Nested(ComplianceNoteSchema), load_default=list)
    local_cases = fields.List(fields.Nested(LocalCaseSchema), load_default=list)
    solution_hints = fields.List(fields.Nested(SolutionHintSchema), load_default=list)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _cross_checks(self, data: dict, original_data: Any, **kwargs: Any) -> None:
        """Checks that span components. They read the raw input so they still run when a field
        elsewhere failed — a manager sees every problem of the file at once."""
        if not isinstance(original_data, dict):
            return
        errors: dict[str, dict[int, dict[str, list[str]]]] = {}

        def add(kind: str, index: int, field: str, message: str) -> None:
            errors.setdefault(kind, {}).setdefault(index, {}).setdefault(field, []).append(message)

        first_seen: dict[str, str] = {}
        for kind in COMPONENT_KINDS:
            for i, item in enumerate(_items(original_data.get(kind))):
                cid = item.get("id")
                if not isinstance(cid, str):
                    continue
                if cid in first_seen:
                    add(kind, i, "id", f"Duplicate id '{cid}' (first used at {first_seen[cid]})")
                else:
                    first_seen[cid] = f"{kind}[{i}]"

        pack_categories = original_data.get("categories")
        if isinstance(pack_categories, list) and pack_categories:
            allowed = set(_strings(pack_categories))
            for kind in ("talk_tracks", "counters"):
                for i, item in enumerate(_items(original_data.get(kind))):
                    extra = [c for c in _strings(item.get("categories")) if c not in allowed]
                    if extra:
                        add(kind, i, "categories", f"Not among the pack's categories: {', '.join(extra)}")
            for i, item in enumerate(_items(original_data.get("local_cases"))):
                cat = item.get("place_category")
                if isinstance(cat, str) and cat not in allowed:
                    add("local_cases", i, "place_category", f"Not among the pack's categories: {cat}")

        if errors:
            raise ValidationError(errors)


def _items(value: Any) -> list[dict]:
    return [v if isinstance(v, dict) else {} for v in value] if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
