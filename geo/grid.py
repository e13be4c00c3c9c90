"""A global latitude/longitude grid of roughly square cells, usable anywhere on Earth.

Rows are equal bands of latitude ``cell_m`` tall; each row is split into as many columns as fit ``cell_m``
wide at its equator-side edge, so cells stay roughly square up to the poles (the polar rows have a single
cell) and column indices wrap around the antimeridian. A cell is named by one int ``row * KEY_MUL + col``.

Two operations matter:

* ``key(lat, lon)`` — the cell containing a point (hot path, plain Python);
* ``cover_caps(...)`` — every cell that a spherical cap (a point plus a radius in metres) may touch,
  vectorised with numpy for index builds. The cover is conservative: it uses the cap's exact
  latitude/longitude bounding box (``asin(sin δ / cos φ)`` for the longitude half-width, whole rows when the
  cap reaches a pole), padded by a metre, so a cap is never missing from a cell it touches.

All angles in degrees, distances in metres, points as (lat, lon).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .distance import EARTH_RADIUS_M, M_PER_DEG

KEY_MUL = 1 << 24
_PAD_M = 1.0


class Grid:
    """Latitude rows × per-row longitude columns, ``cell_m`` metres on a side (roughly)."""

    __slots__ = ("cell_m", "inv_row_deg", "ncols", "ncols_np", "nrows", "row_deg")

    def __init__(self, cell_m: float):
        if not cell_m > 0:
            raise ValueError("cell_m must be positive")
        self.cell_m = float(cell_m)
        self.nrows = max(1, math.ceil(180.0 / (cell_m / M_PER_DEG)))
        self.row_deg = 180.0 / self.nrows
        self.inv_row_deg = self.nrows / 180.0
        lo = -90.0 + np.arange(self.nrows) * self.row_deg
        hi = lo + self.row_deg
        near = np.where((lo <= 0.0) & (hi >= 0.0), 0.0, np.minimum(np.abs(lo), np.abs(hi)))
        n = np.floor(360.0 * np.cos(np.radians(near)) * M_PER_DEG / cell_m)
        self.ncols_np = np.clip(n, 1, KEY_MUL - 1).astype(np.int64)
        self.ncols = self.ncols_np.tolist()

    # -- points -------------------------------------------------------------------------------------
    def row(self, lat: float) -> int:
        r = int((lat + 90.0) * self.inv_row_deg)
        return r if r < self.nrows else self.nrows - 1

    def key(self, lat: float, lon: float) -> int:
        """Cell key of the point (lat in [-90, 90], lon in [-180, 180] degrees)."""
        r = int((lat + 90.0) * self.inv_row_deg)
        if r >= self.nrows:
            r = self.nrows - 1
        n = self.ncols[r]
        return r * KEY_MUL + int((lon + 180.0) * n / 360.0) % n

    def keys_np(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`key` (same arithmetic, so the same cells)."""
        rows = np.minimum(((lats + 90.0) * self.inv_row_deg).astype(np.int64), self.nrows - 1)
        n = self.ncols_np[rows]
        cols = np.floor((lons + 180.0) * n / 360.0).astype(np.int64) % n
        return rows * KEY_MUL + cols

    # -- caps ---------------------------------------------------------------------------------------
    def cover_cap(self, lat: float, lon: float, radius_m: float) -> list[int]:
        """Keys of every cell the cap (lat, lon, radius_m) may touch; plain Python, for queries."""
        delta = (radius_m + _PAD_M) / EARTH_RADIUS_M
        ddeg = math.degrees(delta)
        lat_lo, lat_hi = lat - ddeg, lat + ddeg
        polar = lat_hi >= 90.0 or lat_lo <= -90.0 or delta >= math.pi / 2
        if polar:
            dlon = 180.0
        else:
            s = math.sin(delta) / math.cos(math.radians(lat))
            dlon = 180.0 if s >= 1.0 else math.degrees(math.asin(s)) * (1 + 1e-9) + 1e-9
        r_lo = self.row(max(lat_lo, -90.0))
        r_hi = self.row(min(lat_hi, 90.0))
        keys = []
        for r in range(r_lo, r_hi + 1):
            n = self.ncols[r]
            c_lo = math.floor((lon - dlon + 180.0) * n / 360.0)
            c_hi = math.floor((lon + dlon + 180.0) * n / 360.0)
            base = r * KEY_MUL
            if dlon >= 180.0 or c_hi - c_lo + 1 >= n:
                keys.extend(range(base, base + n))
            else:
                keys.extend(base + c % n for c in range(c_lo, c_hi + 1))
        return keys

    def count_cap_cells(self, lat: float, radius_m: float) -> int:
        """Rough number of cells :meth:`cover_cap` would return (to decide between grid and full scan)."""
        ddeg = math.degrees((radius_m + _PAD_M) / EARTH_RADIUS_M)
        rows = ddeg * 2 * self.inv_row_deg + 1
        cos_lat = max(math.cos(math.radians(min(89.9, abs(lat)))), 1e-3)
        cols = min(rows / cos_lat, 360.0 * M_PER_DEG / self.cell_m)
        return int(rows * cols) + 1

    def cover_caps(
        self, lats: np.ndarray, lons: np.ndarray, radii_m: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised cover of many caps: returns (item_index, key) pairs, one per (cap, cell)."""
        lats = np.asarray(lats, dtype=np.float64)
        lons = np.asarray(lons, dtype=np.float64)
        delta = (np.asarray(radii_m, dtype=np.float64) + _PAD_M) / EARTH_RADIUS_M
        ddeg = np.degrees(delta)
        lat_lo = lats - ddeg
        lat_hi = lats + ddeg
        polar = (lat_hi >= 90.0) | (lat_lo <= -90.0) | (delta >= math.pi / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.sin(delta) / np.cos(np.radians(lats))
            dlon = np.degrees(np.arcsin(np.clip(s, 0.0, 1.0))) * (1 + 1e-9) + 1e-9
        dlon = np.where(polar | ~(s < 1.0), 180.0, dlon)
        r_lo = np.minimum(((np.maximum(lat_lo, -90.0) + 90.0) * self.inv_row_deg).astype(np.int64),
                          self.nrows - 1)
        r_hi = np.minimum(((np.minimum(lat_hi, 90.0) + 90.0) * self.inv_row_deg).astype(np.int64),
                          self.nrows - 1)
        nrow = r_hi - r_lo + 1
        item = np.repeat(np.arange(len(lats), dtype=np.int64), nrow)
        rows = r_lo[item] + _ranges(nrow)
        n = self.ncols_np[rows]
        d = dlon[item]
        lo = lons[item]
        c_lo = np.floor((lo - d + 180.0) * n / 360.0).astype(np.int64)
        c_hi = np.floor((lo + d + 180.0) * n / 360.0).astype(np.int64)
        full = (d >= 180.0) | (c_hi - c_lo + 1 >= n)
        c_lo = np.where(full, 0, c_lo)
        ncol = np.where(full, n, c_hi - c_lo + 1)
        item2 = np.repeat(item, ncol)
        rows2 = np.repeat(rows, ncol)
        cols = (np.repeat(c_lo, ncol) + _ranges(ncol)) % np.repeat(n, ncol)
        return item2, rows2 * KEY_MUL + cols

    def cell_bounds(self, key: int) -> tuple[float, float, float, float]:
        """(lon_min, lat_min, lon_max, lat_max) of a cell, degrees (shapely's x, y order)."""
        r, c = divmod(key, KEY_MUL)
        n = self.ncols[r]
        lat0 = -90.0 + r * self.row_deg
        return -180.0 + c * 360.0 / n, lat0, -180.0 + (c + 1) * 360.0 / n, lat0 + self.row_deg


@functools.lru_cache(maxsize=16)
def grid(cell_m: float) -> Grid:
    """A shared (immutable) Grid for this cell size."""
    return Grid(cell_m)


def _ranges(counts: np.ndarray) -> np.ndarray:
    """Concatenation of arange(c) for each c in counts (vectorised)."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    starts = np.repeat(ends - counts, counts)
    return np.arange(total, dtype=np.int64) - starts
