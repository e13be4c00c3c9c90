"""Which components of a pack apply to a place category and a rep's skill level.

Encodes the format's defaults in one place: a component without ``skill_levels`` applies to every
level the pack's audience covers; without ``categories`` it applies to all of the pack's categories;
a pack with ``categories: []`` targets every category; without ``shopper_types`` (talk-tracks, counters) it
applies to every shopper.
"""

from __future__ import annotations

from typing import Any

from .schema import SKILL_LEVELS


def matching_components(
    pack: dict[str, Any], kind: str, *, category: str | None = None, skill_level: str | None = None,
    shopper_type: str | None = None,
) -> list[dict[str, Any]]:
    """Return the components of ``kind`` (e.g. ``"talk_tracks"``) that apply, in pack order.

    ``category`` is a place category key, ``skill_level`` a rep's level and ``shopper_type`` the key of
    the shopper at a guide's counter (a component made only for other shopper types is left out);
    ``None`` means "don't filter on it". The pack's own scope (``categories``, ``audience.skill_levels``) is
    checked too, so a tier-3 hospital never gets a grocery pack's scripts.
    """
    pack_categories = pack.get("categories") or []
    if category is not None and pack_categories and category not in pack_categories:
        return []
    pack_levels = (pack.get("audience") or {}).get("skill_levels") or list(SKILL_LEVELS)
    if skill_level is not None and skill_level not in pack_levels:
        return []
    out = []
    for component in pack.get(kind) or []:
        if category is not None and category not in (component.get("categories") or [category]):
            continue
        if skill_level is not None and skill_level not in (component.get("skill_levels") or [skill_level]):
            continue
        if shopper_type is not None and shopper_type not in (component.get("shopper_types") or [shopper_type]):
            continue
        out.append(component)
    return out
