"""Content packs (作战包): the YAML packs that ship with Battlemap and their pure loader.

    from content_packs import load_all
    packs = load_all()          # every shipped pack, validated, as JSON-serialisable dicts

The format is documented in docs/content-packs.md; the rules live in :mod:`content_packs.schema`.
"""

from .loader import PACKS_DIR, PackError, Problem, discover, load_all, load_pack, parse_pack
from .schema import COMPONENT_KINDS, FORMAT_VERSION, ROLES, SKILL_LEVELS, STAGES, PackSchema
from .select import matching_components

__all__ = [
    "COMPONENT_KINDS",
    "FORMAT_VERSION",
    "PACKS_DIR",
    "ROLES",
    "SKILL_LEVELS",
    "STAGES",
    "PackError",
    "PackSchema",
    "Problem",
    "discover",
    "load_all",
    "load_pack",
    "matching_components",
    "parse_pack",
]
