"""Zones: import of polygons (GeoJSON), converted to WGS-84, swapped into every process's geo index."""

from marshmallow import ValidationError
from shapely.geometry import Polygon
from sqlalchemy import select

from app.errors import InvalidInput
from app.extensions import db
from app.models import Region, Zone, ZoneType
from app.schemas.imports import ZoneFeatureIn
from app.services.geo_state import bump_version
from geo import to_wgs84


def _to_wgs84(ring: list, crs: str) -> list[list[float]]:
    """A ring of [lon, lat] positions in ``crs`` as WGS-84 [lon, lat] (GeoJSON order)."""
    out = []
    for lon, lat, *_ in ring:
        wlat, wlon = to_wgs84(lat, lon, crs)
        out.append([round(wlon, 7), round(wlat, 7)])
    return out


def import_zones(features: list, *, region: str, crs: str = "wgs84") -> dict:
    """Create or update zones (by ``properties.key``) from GeoJSON Polygon features in ``crs``.

    Every feature is checked first — its shape, a known zone type of the region, a valid polygon (no
    self-intersection) — and nothing is written if one is bad (``InvalidInput`` names the features).
    """
    region_id = db.session.scalar(select(Region.id).where(Region.key == region))
    if region_id is None:
        raise InvalidInput(f"Unknown region {region!r}.", fields={"region": ["Unknown region."]})
    zone_types = {zt.key: zt for zt in db.session.scalars(select(ZoneType).where(ZoneType.region_id == region_id))}
    schema, loaded, errors = ZoneFeatureIn(), [], {}
    for i, feature in enumerate(features):
        where = f"features[{i}]"
        try:
            data = schema.load(feature)
        except ValidationError as err:
            errors[where] = err.messages
            continue
        props = data["properties"]
        if props["zone_type"] not in zone_types:
            errors[where] = {"properties": {"zone_type": [f"Not a zone type of {region}: {props['zone_type']!r}."]}}
            continue
        shell, *holes = (_to_wgs84(ring, crs) for ring in data["geometry"]["coordinates"])
        if not Polygon(shell, holes).is_valid:
            errors[where] = {"geometry": ["The polygon is not valid (it crosses itself or a hole lies outside)."]}
            continue
        loaded.append((props, shell, holes))
    if errors:
        raise InvalidInput(f"{len(errors)} feature(s) are not valid; nothing was imported.", fields=errors)
    existing = {z.key: z for z in db.session.scalars(select(Zone).where(Zone.key.in_([p["key"] for p, *_ in loaded])))}
    created = 0
    for props, shell, holes in loaded:
        zone = existing.get(props["key"])
        if zone is None:
            zone = Zone(key=props["key"])
            db.session.add(zone)
            created += 1
        zone.name, zone.region_id, zone.zone_type_id = props["name"], region_id, zone_types[props["zone_type"]].id
        zone.shell, zone.holes = shell, holes
    bump_version()
    db.session.commit()
    return {"created": created, "updated": len(loaded) - created}
