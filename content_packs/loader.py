"""Discover, parse and validate content pack YAML files.

Pure: this module imports PyYAML and marshmallow only — never Flask, SQLAlchemy or ``app`` — so the
CLI, the demo loader, the tests and a manager's laptop all validate packs the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from .schema import COMPONENT_KINDS, PackSchema

PACKS_DIR = Path(__file__).resolve().parent
ROOT = "(root)"


@dataclass(frozen=True)
class Problem:
    """One broken rule: the file, the path inside it (``talk_tracks[2].objections``) and the rule."""

    path: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.location}: {self.message}"


class PackError(Exception):
    """A content pack that cannot be loaded.

    ``path``, ``location`` and ``message`` describe the first problem; ``problems`` lists all of
    them (every problem of a file is collected, not just the first). ``str()`` gives one line per
    problem, e.g. ``content_packs/x.yaml: talk_tracks[2].objections: Length must be at least 3``.
    """

    def __init__(
        self, path: str | Path, location: str, message: str, *, more: Iterable[Problem] = ()
    ) -> None:
        first = Problem(_display(path), location, message)
        self.path, self.location, self.message = first.path, first.location, first.message
        self.problems: list[Problem] = [first, *more]
        super().__init__(str(self))

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> PackError:
        """Build one error from a non-empty list of problems."""
        first, *rest = problems
        return cls(first.path, first.location, first.message, more=rest)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def discover(directory: str | Path | None = None) -> list[Path]:
    """Return the pack files (``*.yaml`` / ``*.yml``) of ``directory``, sorted by name.

    ``directory`` defaults to the ``content_packs`` package folder, which holds the packs that ship
    with the product. Files whose name starts with ``_`` or ``.`` are skipped (drafts, editor files).
    """
    folder = Path(directory) if directory is not None else PACKS_DIR
    files = [p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()]
    return sorted(p for p in files if not p.name.startswith(("_", ".")))


def parse_pack(text: str, *, path: str | Path = "<string>", defaults: Mapping[str, Any] | None = None
               ) -> dict[str, Any]:
    """Parse and validate pack YAML given as text; ``path`` only labels the errors.

    ``defaults`` fill top-level fields the YAML leaves out before validation (the manager API passes
    ``{"version": 1}``: the server numbers versions itself). Returns the validated pack as a plain,
    JSON-serialisable dict (dates as ISO strings). Raises :class:`PackError` listing every problem found.
    """
    try:
        data = yaml.load(text, Loader=_PackLoader)  # _PackLoader is a SafeLoader
    except yaml.YAMLError as exc:
        raise PackError(path, _yaml_location(exc), _yaml_message(exc)) from None
    if not isinstance(data, dict):
        raise PackError(path, ROOT, "A pack must be a mapping of fields (id, version, name, ...)")
    if defaults:
        data = {**defaults, **data}
    try:
        return PackSchema().load(data)
    except ValidationError as exc:
        problems = [Problem(_display(path), loc, msg) for loc, msg in flatten_messages(exc.messages)]
        raise PackError.from_problems(problems) from None


def load_pack(path: str | Path) -> dict[str, Any]:
    """Load one pack file: parse the YAML, validate it and return the pack as a JSON-serialisable dict.

    The pack ``id`` must equal the file stem (``procurement-led-hospitals.yaml`` holds
    ``id: procurement-led-hospitals``). Raises :class:`PackError` with every problem of the file.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(path, ROOT, f"Cannot read file: {exc}") from None
    try:
        pack = parse_pack(text, path=path)
    except PackError as exc:
        problems = exc.problems
        stem_problem = _stem_problem(path, _raw_id(text))
        raise PackError.from_problems(problems + ([stem_problem] if stem_problem else [])) from None
    stem_problem = _stem_problem(path, pack["id"])
    if stem_problem:
        raise PackError.from_problems([stem_problem])
    return pack


def load_all(directory: str | Path | None = None) -> list[dict[str, Any]]:
    """Load every pack of ``directory`` (default: the shipped packs) and check them together.

    On top of each file's own checks, component ids (talk-tracks, counters, ...) must be unique across
    all packs, because popups, A/B records and rules refer to them by id alone. Raises one
    :class:`PackError` with the problems of all files.
    """
    packs: list[dict[str, Any]] = []
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for path in discover(directory):
        try:
            pack = load_pack(path)
        except PackError as exc:
            problems.extend(exc.problems)
            continue
        packs.append(pack)
        for kind in COMPONENT_KINDS:
            for i, component in enumerate(pack[kind]):
                where = f"{_display(path)} {kind}[{i}]"
                if component["id"] in owner:
                    problems.append(
                        Problem(
                            _display(path),
                            f"{kind}[{i}].id",
                            f"Duplicate id '{component['id']}' (already used by {owner[component['id']]})",
                        )
                    )
                else:
                    owner[component["id"]] = where
    if problems:
        raise PackError.from_problems(problems)
    return packs


def flatten_messages(messages: Any, location: str = "") -> list[tuple[str, str]]:
    """Turn marshmallow's nested ``err.messages`` into ``(location, message)`` pairs.

    ``{"talk_tracks": {2: {"objections": ["Length must be at least 3"]}}}`` becomes
    ``[("talk_tracks[2].objections", "Length must be at least 3")]``.
    """
    out: list[tuple[str, str]] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if isinstance(key, int):
                child = f"{location}[{key}]"
            elif key == "_schema":
                child = location
            else:
                child = f"{location}.{key}" if location else str(key)
            out.extend(flatten_messages(value, child))
    elif isinstance(messages, list | tuple):
        for value in messages:
            out.extend(flatten_messages(value, location))
    else:
        out.append((location or ROOT, str(messages).rstrip(".")))
    return out


class _PackLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (YAML would silently keep the last one) and leaves
    dates as strings, so the schema — not the YAML parser — judges ``2027-02-30``."""


_PackLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _PackLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_PackLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _yaml_location(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark else ROOT


def _yaml_message(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    return f"Invalid YAML: {problem}" if problem else f"Invalid YAML: {exc}"


def _raw_id(text: str) -> Any:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return data.get("id") if isinstance(data, dict) else None


def _stem_problem(path: Path, pack_id: Any) -> Problem | None:
    if isinstance(pack_id, str) and pack_id != path.stem:
        return Problem(_display(path), "id", f"Must equal the file name '{path.stem}' (found '{pack_id}')")
    return None


def _display(path: str | Path) -> str:
    """Show a path relative to the working directory when it lies below it (``content_packs/x.yaml``)."""
    p = Path(path)
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(path)
