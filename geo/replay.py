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

__all__ = ["TRACK_COLUMNS", "read_track_csv", "replay"]

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


def replay(
    rows: Iterable[tuple[int, Fix]], index: GeoIndex, settings: FenceSettings | None = None
) -> Iterator[FenceEvent]:
    """Run ``(rep_id, Fix)`` rows, in the given order, through a fresh :class:`FenceTracker` — the same
    engine the server uses — and yield every event. Deterministic: only fix timestamps drive time."""
    tracker = FenceTracker(settings or FenceSettings())
    for rep_id, fix in rows:
        yield from tracker.update(rep_id, fix, index)
