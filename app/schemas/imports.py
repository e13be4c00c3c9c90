"""Rows of admin imports (CSV), validated like any other input."""

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, pre_load, validate

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


def _ring_shape(ring) -> None:
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise ValidationError("A ring needs at least 4 positions and must end where it starts.")
    for position in ring:
        if len(position) < 2 or not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
            raise ValidationError("Positions are [lon, lat] in degrees.")


_Position = fields.List(fields.Float(allow_nan=False))
_Ring = fields.List(_Position, validate=_ring_shape)


class ZoneGeometryIn(Schema):
    class Meta:
        unknown = EXCLUDE  # GeoJSON often carries bbox, ids and extra attributes

    type = fields.String(required=True, validate=validate.Equal("Polygon", error="Zones are Polygons."))
    coordinates = fields.List(_Ring, required=True, validate=validate.Length(min=1, error="Give the outer ring."))


class ZonePropertiesIn(Schema):
    class Meta:
        unknown = EXCLUDE  # GeoJSON often carries bbox, ids and extra attributes

    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                                                                error="Use kebab-case, e.g. xuhui-medical."))
    name = fields.String(required=True, validate=validate.Length(min=1, max=128))
    zone_type = fields.String(required=True)


class ZoneFeatureIn(Schema):
    """One GeoJSON Feature: a Polygon (outer ring, then holes) with key, name and zone_type properties."""

    class Meta:
        unknown = EXCLUDE

    type = fields.String(required=True, validate=validate.Equal("Feature"))
    geometry = fields.Nested(ZoneGeometryIn, required=True)
    properties = fields.Nested(ZonePropertiesIn, required=True)
