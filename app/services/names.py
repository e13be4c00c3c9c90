"""Names of the coded things the database owns (place categories, zone types), for rendering ``why``.

``app.i18n`` is pure and knows only the catalogues' fallback names; the tables win over them, so a region's
own zone type reads as its manager named it. Cached per process, following the ``geo`` counter (places and
zones are imported together with their categories and types).
"""

from collections.abc import Iterable, Mapping

from sqlalchemy import select

from app import i18n
from app.extensions import db
from app.models import PlaceCategory, ZoneType
from app.services import versions
from app.services.geo_state import GEO

NAMES = "display_names"


def _build(version: int) -> dict:
    names: dict[str, dict[str, dict[str, str]]] = {"categories": {}, "zone_types": {}}
    for key, zh, en in db.session.execute(select(PlaceCategory.key, PlaceCategory.name_zh, PlaceCategory.name_en)):
        names["categories"][key] = {"zh": zh, "en": en}
    # A zone type key may exist in several regions; the first row (lowest id) names it.
    rows = db.session.execute(select(ZoneType.key, ZoneType.name_zh, ZoneType.name_en).order_by(ZoneType.id))
    for key, zh, en in rows:
        names["zone_types"].setdefault(key, {"zh": zh, "en": en})
    return names


def display_names() -> dict:
    """``{"categories": {key: {"zh", "en"}}, "zone_types": {...}}`` from the database (the ``names`` of i18n)."""
    return versions.cached(NAMES, _build, follows=GEO)


def render_why(entries: Iterable[Mapping], locale: str | None) -> list[dict]:
    """``app.i18n.render_why`` with the database's names: copies of ``entries`` with ``detail`` in ``locale``."""
    return i18n.render_why(entries, i18n.normalize_locale(locale), display_names())
