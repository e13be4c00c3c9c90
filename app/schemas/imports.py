"""Rows of admin imports (CSV), validated like any other input."""

from marshmallow import RAISE, Schema, fields, pre_load, validate

from geo.coords import SYSTEMS


class PlaceRowIn(Schema):
    class Meta:
        unknown = RAISE

    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                                                                error="Use kebab-case, e.g. ruijin-hospital."))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = fields.String(required=True)
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    radius_m = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=10, max=5000))
    address = fields.String(load_default="")
    tags = fields.List(fields.String(), load_default=list)
    stage = fields.String(load_default=None, allow_none=True)
    budget_cny = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=10**15))

    @pre_load
    def _from_csv(self, data, **kwargs):
        """CSV cells are strings: empty means absent; tags are separated by |."""
        if not isinstance(data, dict):
            return data
        out = {k: v for k, v in data.items() if k and v not in ("", None)}
        if isinstance(out.get("tags"), str):
            out["tags"] = [t.strip() for t in out["tags"].split("|") if t.strip()]
        return out


class PlaceImportIn(Schema):
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(SYSTEMS))
    region = fields.String(load_default=None, allow_none=True)
