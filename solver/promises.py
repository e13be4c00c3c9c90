"""Promise strength, merging (no two promises in one option contradict) and parsing catalog wording."""

from __future__ import annotations

import re

from .model import Promise

_HOURS = {"小时": 1.0, "h": 1.0, "分钟": 1 / 60, "天": 24.0, "日": 24.0, "周": 168.0, "月": 730.0, "年": 8760.0}
_YEARS = {"年": 1.0, "月": 1 / 12, "个月": 1 / 12, "天": 1 / 365, "日": 1 / 365}
_SMALLER_IS_STRONGER = frozenset({"response", "onsite", "delivery"})


def _hours(p: Promise) -> float:
    return float(p.value) * _HOURS.get(p.unit or "小时", 1.0)


def measure(p: Promise) -> float:
    """How strong ``p`` is on its own scale: larger is stronger (response times are negated)."""
    if p.value is None:
        return -float("inf")
    if p.kind == "warranty":
        return float(p.value) * _YEARS.get(p.unit or "年", 1.0)
    if p.kind in _SMALLER_IS_STRONGER:
        return -_hours(p)
    return float(p.value)


def strength(p: Promise) -> float:
    """Strength in [0, 1], comparable across kinds (used by the premium and standard objectives)."""
    if p.value is None:
        return 0.5 if p.kind == "training" else 0.2
    if p.kind == "warranty":
        return min(measure(p) / 5.0, 1.0)
    if p.kind in _SMALLER_IS_STRONGER:
        return 1.0 / (1.0 + _hours(p) / 4.0)
    if p.kind == "uptime":
        return min(max((float(p.value) - 90.0) / 10.0, 0.0), 1.0)
    if p.kind == "training":
        return min(0.3 + float(p.value) / 10.0, 1.0)
    return 0.2


def merge_key(p: Promise) -> tuple:
    """Promises with the same key say the same kind of thing about the same object (and may contradict).

    ``other`` promises are free text with no comparable measure: they merge only with the same text.
    """
    return (p.covers, p.kind, p.text) if p.kind == "other" else (p.covers, p.kind)


def merge(promises) -> tuple[tuple[Promise, ...], tuple[tuple[Promise, tuple[Promise, ...]], ...]]:
    """Keep, per (covers, kind), only the strongest promise; first-seen order.

    Returns ``(kept, superseded)`` where ``superseded`` pairs each kept promise with the weaker ones it
    replaced. Ties keep the first seen.
    """
    best: dict[tuple, Promise] = {}
    dropped: dict[tuple, list[Promise]] = {}
    for p in promises:
        key = merge_key(p)
        cur = best.get(key)
        if cur is None:
            best[key] = p
            continue
        if cur == p or (cur.value == p.value and cur.unit == p.unit):
            continue
        if measure(p) > measure(cur):
            best[key], p = p, cur
        dropped.setdefault(key, []).append(p)
    superseded = tuple((best[k], tuple(v)) for k, v in dropped.items())
    return tuple(best.values()), superseded


_NUM = r"(\d+(?:\.\d+)?)"
_PATTERNS = (
    ("uptime", re.compile(r"开机率[^\d]*" + _NUM + r"\s*(%)")),
    ("warranty", re.compile(r"(?:质保|保修)\s*" + _NUM + r"\s*(年|个月|月)")),
    ("response", re.compile(_NUM + r"\s*(小时|分钟)\s*响应")),
    ("onsite", re.compile(_NUM + r"\s*(小时|分钟)\s*(?:到场|上门|到店)")),
)


def parse(text: str, covers: str) -> Promise:
    """A :class:`Promise` from catalog wording such as ``整机保修 3 年`` or ``4 小时响应 24 小时到场``.

    The kind and measure are read where the wording is obvious (warranty, response, on-site, uptime,
    training); anything else is kind ``other`` with no value. ``covers`` is what the promise is about
    (for the demo catalog: the product's name).
    """
    for kind, pattern in _PATTERNS:
        m = pattern.search(text)
        if m:
            return Promise(covers=covers, kind=kind, value=float(m.group(1)), unit=m.group(2), text=text)
    if "培训" in text or "带教" in text:
        return Promise(covers=covers, kind="training", value=None, unit=None, text=text)
    return Promise(covers=covers, kind="other", value=None, unit=None, text=text)
