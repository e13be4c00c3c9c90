"""Content packs in and out: validation with ``flask packs validate``'s messages, YAML from the console, imports
(the demo loader and ``flask packs import``) and YAML exports (``flask packs export`` and the console).

Validation reuses content_packs' ``PackSchema`` and ``parse_pack`` — the code the CLI runs — so a manager
typing in the console sees exactly the messages the command prints, under the same paths
(``talk_tracks[2].objections``); the database checks (region, component ids of other packs) come on top.
"""

from dataclasses import dataclass

import yaml
from marshmallow import ValidationError
from sqlalchemy import select

from app import i18n
from app.errors import InvalidInput
from app.extensions import db
from app.models import ContentPack, PackVersion, Region, User, utcnow
from app.services import audit, pack_lifecycle, permissions
from app.services.pack_lifecycle import LiveChange, new_version
from app.services.pack_queries import (
    body_errors_for,
    check_body_for,
    find_pack,
    foreign_id_errors,
    grid_errors,
    latest_version,
    live_version,
    region_id_of,
    same_content,
    version_of,
)
from content_packs import PackError, PackSchema, parse_pack
from content_packs.loader import ROOT, flatten_messages

YAML_DEFAULTS = {"version": 1}
"""The server numbers versions itself, so YAML from the console may leave ``version`` out."""


@dataclass(frozen=True)
class ImportResult:
    version: PackVersion
    created: bool
    change: LiveChange | None


@dataclass(frozen=True)
class Validation:
    """``errors``: path inside the pack → messages, as ``flask packs validate`` words them; ``message``: the
    first problem (and how many more) in the reader's language, None when the pack is valid."""

    errors: dict[str, list[str]]
    message: str | None

    @property
    def valid(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------------------------------------------------
# Validation (never stores anything)


def _schema_problems(body: object) -> tuple[dict | None, list[tuple[str, str]]]:
    """(the loaded body or None, problems) for a JSON body, through the CLI's schema and flattening."""
    if not isinstance(body, dict):
        return None, [(ROOT, "A pack must be a mapping of fields (id, version, name, ...)")]
    try:
        return PackSchema().load({**YAML_DEFAULTS, **body}), []
    except ValidationError as err:
        return None, flatten_messages(err.messages)


def _yaml_problems(text: str) -> tuple[dict | None, list[tuple[str, str]]]:
    try:
        return parse_pack(text, defaults=YAML_DEFAULTS), []
    except PackError as err:
        return None, [(p.location, p.message) for p in err.problems]


def _raw(body: object, text: str | None) -> dict | None:
    """The pack as written, for the database checks even when the schema failed elsewhere."""
    if text is not None:
        try:
            body = yaml.safe_load(text)
        except yaml.YAMLError:
            return None
    return body if isinstance(body, dict) else None


def _database_problems(raw: dict, user: User) -> list[tuple[str, str]]:
    pack = db.session.scalar(select(ContentPack).where(ContentPack.key == raw.get("id")))
    if pack is not None and permissions.can_manage(user, pack.region_id):
        errors = body_errors_for(pack, raw, user=user)
    else:
        errors = foreign_id_errors(raw, pack_id=pack.id if pack else None, user=user)
        if isinstance(raw.get("region"), str) and db.session.scalar(
                select(Region.id).where(Region.key == raw["region"])) is None:
            errors["body.region"] = [f"Unknown region '{raw['region']}'"]
    return [(where.removeprefix("body."), m) for where, messages in errors.items() for m in messages]


def validate(*, user: User, body: object = None, text: str | None = None, locale: str | None = None) -> Validation:
    """Check a pack body (JSON) or pack YAML as ``flask packs validate`` does, plus the database checks a new
    version must pass; stores nothing. ``locale`` (default the user's) is the language of ``message``."""
    permissions.require_manager(user)
    _, problems = _yaml_problems(text) if text is not None else _schema_problems(body)
    raw = _raw(body, text)
    if raw is not None:
        problems += [p for p in _database_problems(raw, user) if p not in problems]
    errors: dict[str, list[str]] = {}
    for location, message in problems:
        errors.setdefault(location, []).append(message)
    return Validation(errors=errors, message=summary(problems, locale or user.locale) if problems else None)


def summary(problems: list[tuple[str, str]], locale: str) -> str:
    """The first problem as the CLI prints it (``path: rule``), and how many more there are."""
    location, message = problems[0]
    first = message if location == ROOT else f"{location}: {message}"
    if len(problems) == 1:
        return first
    return i18n.message("review.validate_more", locale, {"problem": first, "more": len(problems) - 1})


def body_from_yaml(text: str) -> dict:
    """A validated pack body from YAML typed or pasted in the console; 422 with every problem under
    ``yaml.<path>`` (``yaml`` alone for a problem of the text itself, e.g. a YAML syntax error)."""
    body, problems = _yaml_problems(text)
    if body is not None:
        return body
    fields: dict[str, list[str]] = {}
    for location, message in problems:
        if location == ROOT or location.startswith("line "):
            fields.setdefault("yaml", []).append(message if location == ROOT else f"{location}: {message}")
        else:
            fields.setdefault(f"yaml.{location}", []).append(message)
    where = next(iter(fields))
    raise InvalidInput(f"{where}: {fields[where][0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1
                                                         else ""), fields=fields)


# ---------------------------------------------------------------------------------------------------------
# Import (the demo loader and ``flask packs import``); no commit — the caller batches


def import_body(body: dict, *, publish: bool = False, actor: User | None = None,
                source: str = "import") -> ImportResult:
    """Store a validated pack body as a new version when it differs from the latest one.

    With ``publish`` the new version — or an unchanged latest one still in draft or review — is published
    directly (imports are an admin's tool and skip the review). Raises ``InvalidInput`` when the body would
    move the pack to another region or reuse another pack's component id.
    """
    pack = db.session.scalar(select(ContentPack).where(ContentPack.key == body["id"]))
    if pack is None:
        region_id = region_id_of(body)
        errors = {**grid_errors(body, region_id), **foreign_id_errors(body, pack_id=None)}
        if errors:
            raise InvalidInput("The pack body breaks a rule.", fields=errors)
        pack = ContentPack(key=body["id"], name=body["name"], region_id=region_id)
        db.session.add(pack)
        db.session.flush()
        audit.record_pack(pack, "pack.created", actor=actor, source=source)
    else:
        check_body_for(pack, body)
    latest = latest_version(pack)
    now = utcnow()
    if latest is not None and same_content(latest.body, body):
        if publish and latest.status in ("draft", "in_review"):
            return ImportResult(latest, False, pack_lifecycle.publish(
                latest, actor=actor, action="version.published", now=now, step="import_publish", source=source))
        return ImportResult(latest, False, None)
    number = latest.number + 1 if latest else 1
    version = new_version(pack, body, actor=actor, based_on=latest.number if latest else None,
                          note=f"imported from {source}", number=number)
    audit.record_pack(pack, "version.created", actor=actor, from_version=latest.number if latest else None,
                      to_version=number, source=source)
    change = pack_lifecycle.publish(version, actor=actor, action="version.published", now=now,
                                    step="import_publish", source=source) if publish else None
    return ImportResult(version, True, change)


def import_pack(body: dict, *, publish: bool = True) -> PackVersion:
    """Store a validated pack body as a new immutable version (a no-op if identical to the latest)."""
    return import_body(body, publish=publish, source="demo").version


# ---------------------------------------------------------------------------------------------------------
# Export (``flask packs export`` and ``GET /packs/<key>/versions/<n>/yaml``)


def export_version(key: str, number: int | None = None) -> PackVersion:
    """The version to export: ``number``, else the live one, else the latest."""
    pack = find_pack(key)
    if number is not None:
        return version_of(pack, number)
    return live_version(pack) or latest_version(pack)


def pack_yaml(version: PackVersion) -> str:
    """The version's body as pack YAML (fields in the documented order) that ``content_packs.parse_pack``
    reads back to the identical body."""
    body = version.body
    ordered = {k: body[k] for k in PackSchema().fields if k in body} | body
    header = (f"# {version.pack.key} v{version.number} ({version.status}), exported from Battlemap.\n"
              "# Format: docs/content-packs.md. Re-import with `flask packs import`.\n")
    return header + yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=120)
