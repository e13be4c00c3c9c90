"""The offline bundle: its query and (permissively) its body; the contract is docs/sync-and-events.md."""

from marshmallow import RAISE, Schema, fields, validate


class BundleQueryIn(Schema):
    class Meta:
        unknown = RAISE

    since = fields.String(validate=validate.Length(min=1, max=64),
                          metadata={"description": "the version you hold; answered with only what changed"})


class BundleOut(Schema):
    """``upserts`` and ``removed`` have the sections places, zones, packs, components, cards."""

    version = fields.String(metadata={"description": "content hash; also the ETag"})
    full = fields.Boolean(metadata={"description": "true: upserts hold everything; drop what you had"})
    since = fields.String(allow_none=True)
    generated_at = fields.String()
    rep = fields.Dict(metadata={"description": "id, name, role, skill_level, region {id, key, name} | null"})
    settings = fields.Dict(metadata={"description": "fence: geo.FenceSettings; notice_days"})
    names = fields.Dict(metadata={"description": "categories and zone_types: key → {zh, en}"})
    upserts = fields.Dict(keys=fields.String(), values=fields.Dict(),
                          metadata={"description": "section → key → item"})
    removed = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                          metadata={"description": "section → keys no longer in the bundle"})
