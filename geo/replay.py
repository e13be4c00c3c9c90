"""Replay a recorded track through the fence engine ("why didn't I get the popup at 10:05 yesterday?").

A track CSV has a header with at least ``rep_id,ts,lat,lon,accuracy_m`` (extra columns are ignored):
``ts`` in epoch milliseconds, ``lat``/``lon`` WGS-84 degrees, ``accuracy_m`` metres (empty = unknown).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator
from typing import IO

from .fence import FenceEvent, FenceSettings, FenceTracker, Fix
from .index import GeoIndex

__all__ = ["TRACK_COLUMNS", "read_track_csv", "replay", "replay_fixes"]

TRACK_COLUMNS = ("rep_id", "ts", "lat", "lon", "accuracy_m")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return int(float(text))


def _rows(fh: IO[str]) -> Iterator[tuple[int, Fix]]:
    reader = csv.DictReader(fh)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in TRACK_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"track CSV lacks column(s) {', '.join(missing)}; need {','.join(TRACK_COLUMNS)}")
    reader.fieldnames = header
    for row in reader:
        try:
            acc_text = (row["accuracy_m"] or "").strip()
            fix = Fix(
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                accuracy_m=float(acc_text) if acc_text else None,
                ts_ms=_int(row["ts"].strip()),
            )
            rep_id = _int(row["rep_id"].strip())
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"track CSV line {reader.line_num}: {exc}") from exc
        yield rep_id, fix


def read_track_csv(path_or_file: str | os.PathLike | IO[str]) -> Iterator[tuple[int, Fix]]:
    """Yield ``(rep_id, Fix)`` for each row of a track CSV, in file order.

    Accepts a path or an open text file. Raises ValueError (with the line number) on a malformed row or
    a missing column.
    """
    if isinstance(path_or_file, str | os.PathLike):
        with open(path_or_file, newline="", encoding="utf-8") as fh:
            yield from _rows(fh)
    elif isinstance(path_or_file, io.RawIOBase | io.BufferedIOBase):
        yield from _rows(io.TextIOWrapper(path_or_file, encoding="utf-8", newline=""))
    else:
        yield from _rows(path_or_file)


def replay_fixes(
    rows: Iterable[tuple[int, Fix | None]], index: GeoIndex, settings: FenceSettings | None = None, *,
    report_suppressed: bool = True,
) -> Iterator[tuple[int, Fix | None, list[FenceEvent]]]:
    """Run ``(rep_id, Fix)`` rows, in the given order, through a fresh :class:`FenceTracker` — the same
    engine the server uses — and yield ``(rep_id, fix, events of that fix)``. A row whose fix is None is a
    track reset (the live ``track.reset``): the rep's state is forgotten and the next fix starts afresh.

    With ``report_suppressed`` (the default) the events include ``suppressed`` ones, each saying why an enter
    was held back (``geo.fence.SUPPRESS_REASONS``); a run of the same suppression for the same place is
    reported once, until something else happens there. Deterministic: only fix timestamps drive time.
    """
    tracker = FenceTracker(settings or FenceSettings(), report_suppressed=report_suppressed)
    quiet: dict[tuple[int, int], str] = {}  # (rep, place) -> the suppression reported last
    for rep_id, fix in rows:
        if fix is None:
            tracker.forget(rep_id)
            quiet = {k: v for k, v in quiet.items() if k[0] != rep_id}
            yield rep_id, None, []
            continue
        events = []
        for event in tracker.update(rep_id, fix, index):
            if event.place_id is not None:
                key = (rep_id, event.place_id)
                if event.event == "suppressed":
                    if quiet.get(key) == event.reason:
                        continue
                    quiet[key] = event.reason
                else:
                    quiet.pop(key, None)
            events.append(event)
        yield rep_id, fix, events


def replay(
    rows: Iterable[tuple[int, Fix]], index: GeoIndex, settings: FenceSettings | None = None, *,
    report_suppressed: bool = True,
) -> Iterator[FenceEvent]:
    """Every event of :func:`replay_fixes`, in order: what ``flask geo replay`` prints, one JSON line each."""
    for _, _, events in replay_fixes(rows, index, settings, report_suppressed=report_suppressed):
        yield from events
