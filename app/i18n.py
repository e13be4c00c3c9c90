"""Words shown to users, rendered at the edge from codes + facts by one catalogue per language.

The catalogues are ``locales/<locale>.json`` at the repository root, shared with the Vue client (vue-i18n
reads the same files). Pure: no Flask, no database — the names of database-managed codes (place categories,
zone types) come in as ``names`` (``app.services.names.display_names()``). The client renders ``why`` with
exactly these rules; they are written down in docs/i18n.md, so change both or neither.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"

LIST_SEPARATORS = {"zh": "、", "en": ", "}
"""How a list-valued fact is joined (tags, competitors, resolved codes)."""

CODED_FACTS = {"stage": "stages", "skill_level": "skills", "role": "roles", "weekday": "weekdays",
               "category": "categories", "zone_type": "zone_types", "option": "options",
               "shopper_type": "shopper_types"}
"""Fact key → the catalogue section its value (a code) is looked up in."""

CODED_LIST_FACTS = {"stages": "stages", "skill_levels": "skills", "roles": "roles", "weekdays": "weekdays",
                    "categories": "categories", "zone_types": "zone_types", "shopper_types": "shopper_types"}
"""List-valued fact key → the section each item is looked up in (then the list is joined)."""

NAMED_SECTIONS = ("categories", "zone_types")
"""Sections whose codes the database names; ``names[section][code][locale]`` wins over the catalogue."""

_PLACEHOLDER = re.compile(r"\{(\w+)\}")

Names = Mapping[str, Mapping[str, Mapping[str, str]]]


def normalize_locale(value: object, default: str = DEFAULT_LOCALE) -> str:
    """``"en"``, ``"en-US"``, ``"EN_gb"`` → ``"en"``; anything not supported → ``default``."""
    if isinstance(value, str):
        primary = value.strip().lower().replace("_", "-").split("-")[0]
        if primary in LOCALES:
            return primary
    return default if default in LOCALES else DEFAULT_LOCALE


@cache
def catalogue(locale: str) -> dict:
    """The parsed ``locales/<locale>.json`` (read once per process); unsupported locales get zh."""
    locale = normalize_locale(locale)
    with (LOCALES_DIR / f"{locale}.json").open(encoding="utf-8") as f:
        return json.load(f)


def lookup(path: str, locale: str = DEFAULT_LOCALE) -> str | None:
    """The raw message at a dotted ``path`` (``"why.zone_type"``), or None when there is none."""
    node: object = catalogue(normalize_locale(locale))
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else None


def message(path: str, locale: str = DEFAULT_LOCALE, facts: Mapping | None = None,
            names: Names | None = None) -> str:
    """The message at ``path`` with ``{key}`` placeholders filled from ``facts``.

    A missing message renders as the last part of the path (the code itself); a placeholder with no fact
    renders as the empty string.
    """
    locale = normalize_locale(locale)
    template = lookup(path, locale)
    if template is None:
        return path.rsplit(".", 1)[-1]
    facts = facts or {}
    return _PLACEHOLDER.sub(
        lambda m: _fact(m[1], facts[m[1]], locale, names) if m[1] in facts else "", template)


def code_name(section: str, code: object, locale: str = DEFAULT_LOCALE, names: Names | None = None) -> str:
    """What a code is called: the database's name (categories, zone types), the catalogue's, or the code."""
    locale = normalize_locale(locale)
    key = str(code)
    if names and section in NAMED_SECTIONS:
        named = (names.get(section) or {}).get(key) or {}
        if named.get(locale):
            return named[locale]
    fallback = (catalogue(locale).get(section) or {}).get(key)
    return fallback if isinstance(fallback, str) else key


def _scalar(key: str, value: object, section: str | None, locale: str, names: Names | None) -> str:
    if value is None:
        return ""
    if section is not None:
        return code_name(section, value, locale, names)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}" if key.endswith("_cny") else str(value)
    return str(value)


def _fact(key: str, value: object, locale: str, names: Names | None) -> str:
    if key == "conditions" and isinstance(value, list):
        return render_conditions(value, locale, names)
    if isinstance(value, list | tuple):
        section = CODED_LIST_FACTS.get(key)
        return LIST_SEPARATORS[locale].join(_scalar(key, item, section, locale, names) for item in value)
    return _scalar(key, value, CODED_FACTS.get(key), locale, names)


def render_conditions(conditions: Iterable[Mapping], locale: str = DEFAULT_LOCALE,
                      names: Names | None = None) -> str:
    """A trigger rule's matched conditions: each through ``cond.<code>``, joined by ``cond._sep``."""
    locale = normalize_locale(locale)
    parts = [message(f"cond.{c.get('code')}", locale, c, names) for c in conditions]
    return message("cond._sep", locale).join(parts) if parts else message("cond._none", locale)


def render_why(entries: Iterable[Mapping], locale: str = DEFAULT_LOCALE, names: Names | None = None) -> list[dict]:
    """Copies of ``why`` entries (``{"rule", "facts"}``) with ``detail``: the sentence in ``locale``."""
    locale = normalize_locale(locale)
    return [{**entry, "detail": message(f"why.{entry.get('rule')}", locale, entry.get("facts"), names)}
            for entry in entries]


def render_error(code: str, locale: str = DEFAULT_LOCALE) -> str:
    """The user-facing sentence for an error code (``errors.<code>``); the code itself when there is none."""
    return message(f"errors.{code}", locale)
