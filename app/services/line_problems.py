"""Problems with an uploaded file (a catalog, a users CSV), each said in the user's language with its line.

A problem is a code + facts (``LineProblem``); its words come from the catalogues: ``<MESSAGES>.<code>`` for the
problem, ``<WHERE>.at_line_field`` / ``at_line`` / ``at_file`` for where it is. ``FileInvalid`` is the one
"nothing was written" error of such an import, with every problem under its ``line N: field`` key.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from app import i18n
from app.errors import InvalidInput


@dataclass(frozen=True)
class LineProblem:
    """One thing wrong: where (``line`` 0 = not from a line of the file), which field, why (code + facts)."""

    MESSAGES: ClassVar[str]  # catalogue section of the problems' messages
    WHERE: ClassVar[str]  # catalogue section of at_file / at_line / at_line_field

    line: int
    field: str
    code: str
    facts: dict = field(default_factory=dict)

    def text(self, locale: str = i18n.DEFAULT_LOCALE) -> str:
        """The problem alone."""
        return i18n.message(f"{self.MESSAGES}.{self.code}", locale, self.facts)

    def render(self, locale: str = i18n.DEFAULT_LOCALE) -> str:
        """With where it is: ``第 3 行 kind：应为 device、accessory……之一`` (or in English)."""
        if not self.line:
            return i18n.message(f"{self.WHERE}.at_file", locale, {"problem": self.text(locale)})
        where = f"{self.WHERE}.at_line_field" if self.field else f"{self.WHERE}.at_line"
        return i18n.message(where, locale, {"line": self.line, "field": self.field, "problem": self.text(locale)})


class FileInvalid(InvalidInput):
    """A file breaks rules; nothing was written. ``problems`` say where and why; ``SUMMARY`` counts them."""

    SUMMARY: ClassVar[str]

    def __init__(self, problems: Sequence[LineProblem], locale: str = i18n.DEFAULT_LOCALE):
        fields: dict[str, list[str]] = {}
        for p in problems:
            key = f"line {p.line}: {p.field}" if p.line else (p.field or "_schema")
            fields.setdefault(key, []).append(p.render(locale))
        super().__init__(i18n.message(self.SUMMARY, locale, {"count": len(problems)}), fields=fields)
        self.problems = list(problems)
