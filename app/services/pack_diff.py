"""A readable diff between two pack bodies: which components were added, removed or changed, and for a
changed one which fields and which lines. Pure: two dicts in, one JSON-serialisable dict out.

List-of-text fields (a talk-track's ``lines``, ``proof_points``, objections, A/B variants) are compared line
by line with :mod:`difflib` and reported as unified-diff lines (``-old``, ``+new``, ``@@`` hunk headers);
other fields are reported as ``{"from", "to"}``.
"""

import difflib

from content_packs import COMPONENT_KINDS

# Top-level fields that describe the pack itself (its scope); ``version`` is left out: it always differs.
PACK_FIELDS = ("format", "name", "description", "region", "zone_types", "categories", "audience")
_TITLE_FIELDS = ("title", "competitor", "text")


def component_title(component: dict) -> str:
    """What a component is called: its title, competitor or text, else its id."""
    return next((component[f] for f in _TITLE_FIELDS if isinstance(component.get(f), str)), component["id"])


def _ref(kind: str, component: dict) -> dict:
    """A component as the diff names it; a reused one also says where it was copied from."""
    ref = {"kind": kind, "id": component["id"], "title": component_title(component)}
    if component.get("copied_from"):
        ref["copied_from"] = component["copied_from"]
    return ref


def _as_lines(field: str, value: list) -> list[str]:
    """A list field as text lines for difflib."""
    if field == "objections":
        return [f"{o.get('objection', '')} → {o.get('response', '')}" for o in value]
    if field == "variants":
        return [f"[{v.get('id')} ×{v.get('weight')}] {line}" for v in value for line in v.get("lines", [])]
    return [str(v) for v in value]


def _line_diff(old: list[str], new: list[str]) -> list[str]:
    lines = list(difflib.unified_diff(old, new, lineterm="", n=1))
    return lines[2:]  # drop the "---"/"+++" file headers; keep hunks and +/- lines


def _field_changes(old: dict, new: dict) -> list[dict]:
    changes = []
    for field in [*old, *(k for k in new if k not in old)]:
        if field == "id" or old.get(field) == new.get(field):
            continue
        before, after = old.get(field), new.get(field)
        if all(v is None or isinstance(v, list) for v in (before, after)):
            lines = _line_diff(_as_lines(field, before or []), _as_lines(field, after or []))
            changes.append({"field": field, "lines": lines})
        else:
            changes.append({"field": field, "from": before, "to": after})
    return changes


def diff_bodies(old: dict, new: dict) -> dict:
    """Compare two validated pack bodies (``old`` → ``new``).

    Returns ``{"pack": [field changes], "components": {"added", "removed", "changed"}, "summary"}`` where each
    component entry names its ``kind``, ``id`` and ``title`` (and ``copied_from`` for a reused component), and a
    changed one lists its field changes:
    ``{"field": "lines", "lines": ["@@ -1,2 +1,2 @@", "-old", "+new", ...]}`` or ``{"field", "from", "to"}``.
    """
    pack_changes = _field_changes({k: old.get(k) for k in PACK_FIELDS}, {k: new.get(k) for k in PACK_FIELDS})
    added, removed, changed = [], [], []
    for kind in COMPONENT_KINDS:
        before = {c["id"]: c for c in old.get(kind) or []}
        after = {c["id"]: c for c in new.get(kind) or []}
        for cid, component in after.items():
            if cid not in before:
                added.append(_ref(kind, component))
            elif component != before[cid]:
                changed.append({**_ref(kind, component), "fields": _field_changes(before[cid], component)})
        removed.extend(_ref(kind, c) for cid, c in before.items() if cid not in after)
    return {
        "pack": pack_changes,
        "components": {"added": added, "removed": removed, "changed": changed},
        "summary": {"pack_fields": len(pack_changes), "added": len(added), "removed": len(removed),
                    "changed": len(changed)},
    }
