"""Schemas of talk-track experiments and the onboarding collection (docs/experiments.md)."""

from marshmallow import Schema, fields, validate

from app.models import EXPERIMENT_METRICS, EXPERIMENT_STATUSES
from app.schemas.packs import UtcDateTime


class ExperimentQueryIn(Schema):
    region = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "a region key"})


class ExperimentPatchIn(Schema):
    metric = fields.String(validate=validate.OneOf(EXPERIMENT_METRICS), metadata={
        "description": "advanced_or_won (default): an outcome advanced or won within the window; won; "
                       "used_or_helpful: the rep marked the card used or helpful"})
    window_days = fields.Integer(validate=validate.Range(min=1, max=90))
    alpha = fields.Float(validate=validate.Range(min=0.001, max=0.2), metadata={
        "description": "the false-winner rate allowed, however often anyone looks"})
    min_exposures = fields.Integer(validate=validate.Range(min=20, max=100_000), metadata={
        "description": "no verdict before every variant has this many"})


class PackRefOut(Schema):
    id = fields.String(metadata={"description": "the pack's key"})
    name = fields.String()
    version = fields.Integer(metadata={"description": "the version the variants were first published in"})


class VariantOut(Schema):
    variant = fields.String()
    exposures = fields.Integer(metadata={"description": "popups shown with it whose window has closed"})
    successes = fields.Integer()
    rate = fields.Float(allow_none=True)
    interval = fields.List(fields.Float(), allow_none=True, metadata={
        "description": "[lo, hi]: always-valid interval of the rate"})
    shown = fields.Integer(metadata={"description": "every popup shown with it, window closed or not"})
    feedback = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "card feedback on those popups by rating"})


class PairOut(Schema):
    a = fields.String()
    b = fields.String()
    difference = fields.Float(metadata={"description": "rate b − rate a"})
    interval = fields.List(fields.Float())
    log_lr = fields.Float(metadata={"description": "ln of the mixture likelihood ratio (evidence)"})
    alpha = fields.Float(metadata={"description": "the level this pair is tested at"})


class ExperimentOut(Schema):
    id = fields.Integer()
    pack = fields.Method("_pack", metadata={"description": "PackRefOut"})
    talk_track_id = fields.String()
    metric = fields.String(metadata={"enum": list(EXPERIMENT_METRICS)})
    window_days = fields.Integer()
    alpha = fields.Float()
    min_exposures = fields.Integer()
    status = fields.String(metadata={"enum": list(EXPERIMENT_STATUSES)})
    winner = fields.String(allow_none=True)
    reason = fields.Function(lambda e: (e.stats or {}).get("reason"), metadata={
        "description": "min_sample, evidence, equivalent, max_sample, undecided"})
    variants = fields.Function(lambda e: VariantOut(many=True).dump((e.stats or {}).get("variants", [])))
    pairs = fields.Function(lambda e: PairOut(many=True).dump((e.stats or {}).get("pairs", [])))
    started_at = UtcDateTime()
    judged_at = UtcDateTime(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    promoted_version = fields.Method("_promoted", metadata={
        "description": "the draft the winner became (in review), or null"})

    def _pack(self, e):
        return PackRefOut().dump({"id": e.pack.key, "name": e.pack.name, "version": e.pack_version})

    def _promoted(self, e):
        if e.promoted_version_id is None:
            return None
        number = next((v.number for v in e.pack.versions if v.id == e.promoted_version_id), None)
        return {"pack": e.pack.key, "number": number}


class ExperimentListOut(Schema):
    items = fields.List(fields.Nested(ExperimentOut))


class OnboardingItemOut(Schema):
    id = fields.Integer()
    pack = fields.Function(lambda i: i.source.get("pack"))
    kind = fields.String()
    component_id = fields.String()
    variant = fields.String(allow_none=True)
    title = fields.String()
    lines = fields.Function(lambda i: i.source.get("lines", []))
    source = fields.Dict(metadata={"description": "where it came from: the experiment and its numbers"})
    created_at = UtcDateTime()


class OnboardingListOut(Schema):
    items = fields.List(fields.Nested(OnboardingItemOut))
