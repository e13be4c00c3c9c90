"""``PopupOut``: the one description of a popup, shared by the ``popup`` push over /field
(``app.services.scenarios.compose_popup``), the preview (``GET /api/v1/preview``, ``PreviewOut``), the OpenAPI
description and the AsyncAPI document (/asyncapi.json). The components and the place context are described in
words and sub-schemas in docs/asyncapi.yaml (TalkTrack, Counter, PlaceContext, …); here they are ``Raw`` so the
document keeps those, while the top-level shape comes from this schema.
"""

from marshmallow import Schema, fields, validate

from content_packs.engine import EVENTS

_COMPONENT_KINDS = ("talk_tracks", "counters", "compliance_notes", "local_cases", "personas", "solution_hints")


class PopupPlaceOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True)
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    address = fields.String(required=True, allow_none=True)


class PopupZoneOut(Schema):
    id = fields.Integer(required=True)
    type = fields.String(required=True)
    name = fields.String(required=True)


class PopupPackOut(Schema):
    id = fields.String(required=True, metadata={"description": "The pack key."})
    version = fields.Integer(required=True)
    name = fields.String(required=True)


class PopupOut(Schema):
    id = fields.UUID(required=True)
    event = fields.String(required=True, validate=validate.OneOf(sorted(EVENTS)))
    place = fields.Nested(PopupPlaceOut, required=True)
    zone = fields.Nested(PopupZoneOut, required=True, allow_none=True)
    distance_m = fields.Float(required=True, allow_none=True)
    context = fields.Raw(required=True)
    talk_tracks = fields.Raw(required=True)
    counters = fields.Raw(required=True)
    compliance_notes = fields.Raw(required=True)
    local_cases = fields.Raw(required=True)
    personas = fields.Raw(required=True)
    solution_hints = fields.Raw(required=True)
    why = fields.Raw(required=True)
    pack = fields.Nested(PopupPackOut, required=True, allow_none=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})


class PreviewRepOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    skill_level = fields.String(required=True, allow_none=True)


class PreviewOut(PopupOut):
    """A preview is a popup that was not recorded, with the rep and the moment it was judged for."""

    preview = fields.Boolean(required=True, validate=validate.Equal(True))
    rep = fields.Nested(PreviewRepOut, required=True)
    at = fields.String(required=True, metadata={"description": "The moment judged, ISO 8601 in the region's "
                                                               "time zone"})
    local_time = fields.String(required=True, metadata={"description": "e.g. 2026-11-23 09:30"})
    weekday = fields.Integer(required=True, validate=validate.Range(1, 7), metadata={"description": "1 = Monday"})
