"""The geo index: places (point + own fence radius) and zones (polygons with a zone type).

Design (measured against alternatives in ``bench/bench_geo.py``, explained in ``docs/geo.md``):

* **Fence grid** — every place is registered in every cell of a global grid (:mod:`geo.grid`, ~250 m
  cells) that its fence circle may touch; a cell stores its places packed back to back in one bytes object.
  "Which fences contain this fix?" is then one dict lookup plus an
  exact haversine test on the handful of places listed in that cell. No projection is involved, so it is
  equally correct at the equator, at 80° N and across the antimeridian.
* **Point grid** — every place once, in coarser cells, for ``places_within`` / ``nearest`` with an
  arbitrary radius (expanding search; a vectorised full scan when the radius is continental).
* **Zone grid** — for each cell, the zones that cover it entirely and the zones whose boundary crosses it,
  sorted by area. Only the latter need a test: one or two side-of-line tests in plain Python when a single
  edge or a single corner of the zone crosses the cell, else GEOS (prepared geometry).

Coordinates: public methods take **(lat, lon) in degrees** (geopy order); zone rings are sequences of
**(lon, lat)** pairs (shapely/GeoJSON order, x = lon, y = lat). Distances are great-circle metres on the
mean-radius sphere (:func:`geo.distance.haversine_m`). Zone edges are straight lines in lon/lat, as in
GeoJSON and PostGIS ``geometry``; a point on a zone's boundary counts as inside.

A built index is immutable: to add, move or remove places or zones, build a new one and swap the
reference (an attribute assignment is atomic in CPython); readers holding the old one are unaffected.
"""

from __future__ import annotations

import gc
import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from .distance import EARTH_RADIUS_M
from .grid import KEY_MUL, Grid, _ranges, grid

__all__ = ["GeoIndex", "PlaceHit", "PlaceSpec", "ZoneHit", "ZoneSpec"]

_DEG = math.pi / 180.0
_HALF_DEG = math.pi / 360.0
_KEY_MUL = KEY_MUL
_TWO_R = 2.0 * EARTH_RADIUS_M
_sin = math.sin
_cos = math.cos
_asin = math.asin
_sqrt = math.sqrt
_isfinite = math.isfinite

# A place as the fence loops see it: half latitude and half longitude in radians, cos(latitude), the
# haversine threshold of its radius, and its position in the index. Cells store their places packed
# back to back in one bytes object (40 bytes each), so a cell's candidates are one contiguous run of
# memory instead of a list of pointers to tuples of pointers to floats.
_REC = struct.Struct("=4dq")
_REC_DTYPE = np.dtype([("a", "<f8"), ("o", "<f8"), ("c", "<f8"), ("t", "<f8"), ("i", "<i8")])
_unpack = _REC.iter_unpack

# GEOS point-in-polygon without building a Point object: ~0.15 µs instead of ~3 µs. It is shapely's
# (2.1+) C-level scalar helper; fall back to the public ufunc if a future shapely drops it.
_intersects_xy = getattr(shapely.lib, "intersects_xy_scalar", None) or shapely.intersects_xy

DEFAULT_FENCE_CELL_M = 250.0
DEFAULT_POINT_CELL_M = 2000.0
DEFAULT_ZONE_CELL_M = 1000.0


@dataclass(frozen=True, slots=True)
class PlaceSpec:
    """A client site: WGS-84 ``lat``/``lon`` in degrees and its own fence radius in metres."""

    id: int
    lat: float
    lon: float
    radius_m: float = 500.0


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    """A zone polygon in WGS-84. ``shell`` and each hole are rings of **(lon, lat)** pairs (x, y)."""

    id: int
    zone_type: str
    shell: Sequence[tuple[float, float]]
    holes: Sequence[Sequence[tuple[float, float]]] = ()


@dataclass(frozen=True, slots=True)
class PlaceHit:
    """A place and the great-circle distance in metres from the query point to it."""

    place_id: int
    distance_m: float


@dataclass(frozen=True, slots=True)
class ZoneHit:
    """A zone containing the query point."""

    zone_id: int
    zone_type: str


_new = object.__new__
_set_place_id = PlaceHit.__dict__["place_id"].__set__
_set_distance = PlaceHit.__dict__["distance_m"].__set__


def _place_hit(place_id: int, distance_m: float) -> PlaceHit:
    """PlaceHit(place_id, distance_m) at half the cost of the frozen dataclass's __init__ (hot path)."""
    h = _new(PlaceHit)
    _set_place_id(h, place_id)
    _set_distance(h, distance_m)
    return h


def check_point(lat: float, lon: float) -> tuple[float, float]:
    """Validate a (lat, lon) in degrees; returns floats with lon wrapped into [-180, 180]."""
    lat = float(lat)
    lon = float(lon)
    if not (-90.0 <= lat <= 90.0) or not _isfinite(lon):
        raise ValueError(f"invalid coordinates lat={lat!r} lon={lon!r}")
    if not -180.0 <= lon <= 180.0:
        lon = (lon + 180.0) % 360.0 - 180.0
    return lat, lon


def _hav_threshold(radius_m: float) -> float:
    """sin²(r / 2R): a haversine value h is within radius r iff h <= this (monotone, no asin needed)."""
    half = radius_m / _TWO_R
    if half >= math.pi / 2:
        return 1.0
    s = _sin(half)
    return s * s


class GeoIndex:
    """Immutable spatial index of places and zones; see the module docstring for the design.

    Build with :meth:`GeoIndex.build`. ``len(index)`` is the number of places; ``index.version`` is the
    caller's version number (e.g. the database's places/zones version) so processes can tell stale indexes.
    """

    __slots__ = (
        "_cos_lat",
        "_fcells",
        "_fextra",
        "_fgrid",
        "_fhuge",
        "_fhuge_np",
        "_fkey",
        "_flevels",
        "_fsimple",
        "_ids",
        "_ids_np",
        "_lat_r",
        "_lon_r",
        "_max_radius",
        "_pcells",
        "_pgrid",
        "_places",
        "_pos",
        "_radius",
        "_radius_np",
        "_zcells",
        "_zgrid",
        "_zkey",
        "_zone_areas",
        "_zone_boundaries",
        "_zone_geoms",
        "_zone_ids",
        "_zone_pos",
        "_zone_specs",
        "_zone_types",
        "version",
    )

    def __setattr__(self, name, value):
        raise AttributeError("GeoIndex is immutable; build a new one")

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        places: Iterable[PlaceSpec],
        zones: Iterable[ZoneSpec] = (),
        version: int = 0,
        *,
        fence_cell_m: float = DEFAULT_FENCE_CELL_M,
        point_cell_m: float = DEFAULT_POINT_CELL_M,
        zone_cell_m: float = DEFAULT_ZONE_CELL_M,
    ) -> GeoIndex:
        """Build an index from plain data (WGS-84).

        Raises ValueError on duplicate ids, coordinates out of range, negative or non-finite radii, or a
        zone without area. Self-intersecting zone rings are repaired with ``shapely.make_valid``. A zone
        ring that jumps more than 180° in longitude between two vertices is read as crossing the
        antimeridian and split there.
        """
        self = object.__new__(cls)
        put = object.__setattr__
        put(self, "version", int(version))
        # Millions of small containers, none cyclic: the cyclic GC would rescan them over and over.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._build_places(list(places), put, fence_cell_m, point_cell_m)
            self._build_zones(list(zones), put, zone_cell_m)
        finally:
            if gc_was_enabled:
                gc.enable()
        return self

    def _build_places(self, specs, put, fence_cell_m, point_cell_m):
        norm: list[PlaceSpec] = []
        seen: set[int] = set()
        for p in specs:
            pid = int(p.id)
            if pid in seen:
                raise ValueError(f"duplicate place id {pid}")
            seen.add(pid)
            lat, lon = check_point(p.lat, p.lon)
            r = float(p.radius_m)
            if not (r >= 0.0 and _isfinite(r)):
                raise ValueError(f"place {pid}: invalid radius_m {p.radius_m!r}")
            norm.append(PlaceSpec(pid, lat, lon, r))
        # Positions in id order, so sorting (distance, position) pairs breaks distance ties by id.
        norm.sort(key=lambda p: p.id)
        pos = {p.id: i for i, p in enumerate(norm)}
        n = len(norm)
        lat = np.fromiter((p.lat for p in norm), np.float64, n)
        lon = np.fromiter((p.lon for p in norm), np.float64, n)
        rad = np.fromiter((p.radius_m for p in norm), np.float64, n)
        ids = np.fromiter((p.id for p in norm), np.int64, n)
        lat_r = np.radians(lat)
        lon_r = np.radians(lon)
        cos_lat = np.cos(lat_r)
        half = np.minimum(rad / _TWO_R, math.pi / 2)
        thr = np.sin(half) ** 2
        thr[half >= math.pi / 2] = 1.0
        # One packed record per place (see _REC), copied into every cell it is in.
        records = np.empty(n, _REC_DTYPE)
        records["a"] = lat_r * 0.5  # half angles: the haversine needs no "* 0.5" per candidate
        records["o"] = lon_r * 0.5
        records["c"] = cos_lat
        records["t"] = thr
        records["i"] = np.arange(n)

        # Fences by size class: most places (radius <= 20 cells) in the fine grid; big campuses in a coarse
        # one; continent-sized fences in a plain list. Keeps the fine grid small whatever the data.
        fine_max = 20.0 * fence_cell_m
        coarse_max = 1000.0 * fence_cell_m
        fine = np.flatnonzero(rad <= fine_max)
        coarse = np.flatnonzero((rad > fine_max) & (rad <= coarse_max))
        huge = np.flatnonzero(rad > coarse_max)
        levels = [_FenceLevel(grid(float(fence_cell_m)), records, lat, lon, rad, fine)]
        if len(coarse):
            levels.append(_FenceLevel(grid(32.0 * fence_cell_m), records, lat, lon, rad, coarse))
        pgrid = grid(float(point_cell_m))
        pkeys = pgrid.keys_np(lat, lon)
        porder = np.argsort(pkeys, kind="stable")
        pu, ps, pc = _group(pkeys[porder])
        pcells = _cells(records, porder, pu, ps, pc)

        put(self, "_places", tuple(norm))
        put(self, "_pos", pos)
        put(self, "_ids", ids.tolist())
        put(self, "_ids_np", ids)
        put(self, "_lat_r", lat_r)
        put(self, "_lon_r", lon_r)
        put(self, "_cos_lat", cos_lat)
        put(self, "_radius", rad.tolist())
        put(self, "_radius_np", rad)
        put(self, "_max_radius", float(rad.max()) if n else 0.0)
        put(self, "_fgrid", levels[0].grid)
        put(self, "_fcells", levels[0].cells)
        put(self, "_flevels", tuple(levels))
        put(self, "_fextra", tuple(levels[1:]))
        put(self, "_fhuge", records[huge].tobytes())
        put(self, "_fsimple", len(levels) == 1 and not len(huge))
        put(self, "_fkey", _key_params(levels[0].grid))
        put(self, "_fhuge_np", huge)
        put(self, "_pgrid", pgrid)
        put(self, "_pcells", pcells)

    def _build_zones(self, specs, put, zone_cell_m):
        seen: set[int] = set()
        prepared = []
        for z in specs:
            zid = int(z.id)
            if zid in seen:
                raise ValueError(f"duplicate zone id {zid}")
            seen.add(zid)
            geom = _zone_geometry(z)
            prepared.append((_equal_area_m2(geom), zid, z, geom))
        prepared.sort(key=lambda t: (t[0], t[1]))  # smallest area first: zone_at takes the first hit
        geoms = [t[3] for t in prepared]
        boundaries = [g.boundary for g in geoms]
        for g in geoms:
            shapely.prepare(g)
        for b in boundaries:
            shapely.prepare(b)
        zgrid = grid(float(zone_cell_m))
        zcells: dict[int, list] = {}
        if geoms:
            # cells per polygon part, so a zone split at the antimeridian doesn't span the whole globe
            part_zone, part_bounds = [], []
            for j, g in enumerate(geoms):
                for part in shapely.get_parts(g):
                    part_zone.append(j)
                    part_bounds.append(part.bounds)
            pitem, pkeys = _cells_for_bounds(zgrid, np.array(part_bounds, dtype=np.float64))
            pairs = np.unique(np.column_stack((np.asarray(part_zone, dtype=np.int64)[pitem], pkeys)), axis=0)
            item, keys = pairs[:, 0], pairs[:, 1]
            xmin, ymin, xmax, ymax = _key_bounds(zgrid, keys)
            boxes = shapely.box(xmin, ymin, xmax, ymax)
            garr = np.array(geoms, dtype=object)
            barr = np.array(boundaries, dtype=object)
            touch = shapely.intersects(barr[item], boxes)
            cx = (xmin + xmax) / 2
            cy = (ymin + ymax) / 2
            centre_in = shapely.contains_xy(garr[item], cx, cy)
            edges = _cell_edges(geoms, item, touch, xmin, ymin, xmax, ymax, cx, cy, centre_in.tolist())
            # item is ascending (zones in area order), so both lists of a cell come out sorted by area.
            for j, k, t, c, e in zip(item.tolist(), keys.tolist(), touch.tolist(), centre_in.tolist(), edges,
                                     strict=True):
                if t:
                    zcells.setdefault(k, ([], []))[1].append((geoms[j], j, *e))
                elif c:
                    zcells.setdefault(k, ([], []))[0].append(j)
            centres = dict(zip(keys.tolist(), zip(cx.tolist(), cy.tolist(), strict=True), strict=True))
        put(self, "_zgrid", zgrid)
        put(self, "_zkey", _key_params(zgrid))
        # cell -> (zones covering it entirely, ((geometry, zone, kind, ux1, uy1, k1, ux2, uy2, k2), ...) of
        # the zones whose border crosses it, cell centre lon, lat); see _cell_edges
        put(self, "_zcells", {k: (tuple(f), tuple(p), *centres[k]) for k, (f, p) in zcells.items()})
        put(self, "_zone_geoms", geoms)
        put(self, "_zone_boundaries", boundaries)
        put(self, "_zone_ids", [t[1] for t in prepared])
        put(self, "_zone_specs", [t[2] for t in prepared])
        put(self, "_zone_types", [str(t[2].zone_type) for t in prepared])
        put(self, "_zone_areas", [t[0] for t in prepared])
        put(self, "_zone_pos", {t[1]: j for j, t in enumerate(prepared)})

    # -- small accessors ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._places)

    def __repr__(self) -> str:
        return f"<GeoIndex v{self.version}: {len(self._places)} places, {len(self._zone_ids)} zones>"

    @property
    def zone_count(self) -> int:
        """Number of zones."""
        return len(self._zone_ids)

    def place(self, place_id: int) -> PlaceSpec:
        """The (normalised) PlaceSpec with this id; KeyError if unknown."""
        return self._places[self._pos[place_id]]

    def zone(self, zone_id: int) -> ZoneSpec:
        """The ZoneSpec with this id; KeyError if unknown."""
        return self._zone_specs[self._zone_pos[zone_id]]

    def has_place(self, place_id: int) -> bool:
        """True if a place with this id is in the index."""
        return place_id in self._pos

    def distance_to_place_m(self, place_id: int, lat: float, lon: float) -> float:
        """Great-circle metres from (lat, lon) degrees to the place; KeyError if unknown."""
        i = self._pos[place_id]
        return self._dist(i, lat * _DEG, lon * _DEG, _cos(lat * _DEG))

    def _dist(self, i: int, qa: float, qo: float, qc: float) -> float:
        s1 = _sin((float(self._lat_r[i]) - qa) * 0.5)
        s2 = _sin((float(self._lon_r[i]) - qo) * 0.5)
        h = s1 * s1 + qc * float(self._cos_lat[i]) * s2 * s2
        return _TWO_R * _asin(_sqrt(h if h < 1.0 else 1.0))

    # -- place queries ------------------------------------------------------------------------------
    def _fence_raw(self, lat: float, lon: float, _sin=_sin, _asin=_asin, _sqrt=_sqrt,
                   _cos=_cos, _unpack=_unpack) -> list[tuple[float, int]]:
        """(distance_m, place_index) for every place whose own radius contains the point. Hot path:
        expects an already-validated point; unsorted.

        Written for CPython's interpreter: the cell key is computed inline (no method call), math
        functions are bound as locals, records hold half angles; this loop is most of a fence check."""
        inv, rmax, ncols = self._fkey
        r = int((lat + 90.0) * inv)
        if r > rmax:
            r = rmax
        n = ncols[r]
        cell = self._fcells.get(r * _KEY_MUL + int((lon + 180.0) * n / 360.0) % n)
        if not self._fsimple:
            cell = b"".join([cell or b""] + [level.cells.get(level.grid.key(lat, lon), b"")
                                              for level in self._fextra] + [self._fhuge])
        if not cell:
            return []
        qa = lat * _HALF_DEG
        qo = lon * _HALF_DEG
        qc = _cos(lat * _DEG)
        out = []
        for a, o, c, thr, i in _unpack(cell):
            s1 = _sin(a - qa)
            s2 = _sin(o - qo)
            h = s1 * s1 + qc * c * s2 * s2
            if h <= thr:
                out.append((_TWO_R * _asin(_sqrt(h if h < 1.0 else 1.0)), i))
        return out

    def _within_raw(self, lat: float, lon: float, radius_m: float) -> list[tuple[float, int]]:
        """(distance_m, place_index) for places within radius_m of the point; unsorted."""
        n = len(self._places)
        if n == 0:
            return []
        thr_q = _hav_threshold(radius_m)
        qa = lat * _DEG
        qo = lon * _DEG
        qc = _cos(qa)
        grid = self._pgrid
        if grid.count_cap_cells(lat, radius_m) > max(256, n // 8):
            s1 = np.sin((self._lat_r - qa) * 0.5)
            s2 = np.sin((self._lon_r - qo) * 0.5)
            h = np.minimum(s1 * s1 + qc * self._cos_lat * s2 * s2, 1.0)
            sel = np.nonzero(h <= thr_q)[0]
            d = _TWO_R * np.arcsin(np.sqrt(h[sel]))
            return list(zip(d.tolist(), sel.tolist(), strict=True))
        out = []
        cells = self._pcells
        qa2 = qa * 0.5
        qo2 = qo * 0.5
        for k in grid.cover_cap(lat, lon, radius_m):
            cell = cells.get(k)
            if cell is None:
                continue
            for a, o, c, _thr, i in _unpack(cell):
                s1 = _sin(a - qa2)
                s2 = _sin(o - qo2)
                h = s1 * s1 + qc * c * s2 * s2
                if h <= thr_q:
                    out.append((_TWO_R * _asin(_sqrt(h if h < 1.0 else 1.0)), i))
        return out

    def _hits(self, raw: list[tuple[float, int]]) -> list[PlaceHit]:
        ids = self._ids
        raw.sort()  # by distance, then position = id order
        return [_place_hit(ids[i], d) for d, i in raw]

    def places_within(self, lat: float, lon: float, radius_m: float) -> list[PlaceHit]:
        """Places whose point is within ``radius_m`` metres (great circle) of (lat, lon) degrees,
        nearest first (ties by id)."""
        lat, lon = check_point(lat, lon)
        radius_m = float(radius_m)
        if not radius_m >= 0.0:
            raise ValueError("radius_m must be >= 0")
        return self._hits(self._within_raw(lat, lon, radius_m))

    def nearest(self, lat: float, lon: float, k: int = 1) -> list[PlaceHit]:
        """The ``k`` places nearest to (lat, lon) degrees, nearest first (ties by id)."""
        lat, lon = check_point(lat, lon)
        k = min(int(k), len(self._places))
        if k <= 0:
            return []
        r = self._pgrid.cell_m
        half_circumference = math.pi * EARTH_RADIUS_M
        while True:
            raw = self._within_raw(lat, lon, r)
            if len(raw) >= k or r >= half_circumference:
                return self._hits(raw)[:k]
            r = min(r * 4.0, half_circumference)

    def fences_at(self, lat: float, lon: float, extra_m: float = 0.0) -> list[PlaceHit]:
        """Places whose own fence (``radius_m + extra_m``) contains (lat, lon) degrees, nearest first.

        ``extra_m`` may be negative (a shrunken fence, e.g. "certainly inside given the accuracy").
        """
        lat, lon = check_point(lat, lon)
        extra_m = float(extra_m)
        rad = self._radius
        if extra_m <= 0.0:
            raw = self._fence_raw(lat, lon)
            if extra_m < 0.0:
                raw = [(d, i) for d, i in raw if d <= rad[i] + extra_m]
        else:
            raw = [(d, i) for d, i in self._within_raw(lat, lon, self._max_radius + extra_m)
                   if d <= rad[i] + extra_m]
        return self._hits(raw)

    # -- batched place queries ----------------------------------------------------------------------
    def fences_at_batch(self, lats, lons) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectorised :meth:`fences_at` (extra_m = 0) for many fixes at once.

        ``lats``/``lons``: 1-D arrays of degrees. Returns ``(fix_index, place_id, distance_m)`` arrays,
        one row per (fix, containing place), sorted by fix index then distance.
        """
        lats = np.asarray(lats, dtype=np.float64)
        lons = np.asarray(lons, dtype=np.float64)
        if lats.shape != lons.shape or lats.ndim != 1:
            raise ValueError("lats and lons must be 1-D arrays of the same length")
        if len(lats) and (not np.all(np.abs(lats) <= 90.0) or not np.all(np.isfinite(lons))):
            raise ValueError("invalid coordinates in batch")
        lons = np.where(np.abs(lons) <= 180.0, lons, (lons + 180.0) % 360.0 - 180.0)
        if len(self._places) == 0 or len(lats) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
        fixes, cands = [], []
        for level in self._flevels:
            f, c = level.candidates(lats, lons)
            fixes.append(f)
            cands.append(c)
        if len(self._fhuge_np):
            fixes.append(np.repeat(np.arange(len(lats), dtype=np.int64), len(self._fhuge_np)))
            cands.append(np.tile(self._fhuge_np, len(lats)))
        fix = np.concatenate(fixes)
        cand = np.concatenate(cands)
        qa = np.radians(lats)[fix]
        qo = np.radians(lons)[fix]
        s1 = np.sin((self._lat_r[cand] - qa) * 0.5)
        s2 = np.sin((self._lon_r[cand] - qo) * 0.5)
        h = np.minimum(s1 * s1 + np.cos(qa) * self._cos_lat[cand] * s2 * s2, 1.0)
        d = _TWO_R * np.arcsin(np.sqrt(h))
        keep = d <= self._radius_np[cand]
        fix, cand, d = fix[keep], cand[keep], d[keep]
        order = np.lexsort((d, fix))
        return fix[order], self._ids_np[cand[order]], d[order]

    # -- zone queries -------------------------------------------------------------------------------
    def _zone_idx_at(self, lat: float, lon: float) -> list[int]:
        """Zone positions (area order, smallest first) containing the validated point.

        Zones whose border crosses the point's cell: when one edge or one corner of the zone crosses the
        cell (three quarters of the cases), one or two side-of-line tests in plain Python answer (see
        :func:`_cell_edges`); GEOS answers the rest, and any point within ~0.1 mm of an edge's line."""
        inv, rmax, ncols = self._zkey
        r = int((lat + 90.0) * inv)
        if r > rmax:
            r = rmax
        n = ncols[r]
        entries = self._zcells.get(r * _KEY_MUL + int((lon + 180.0) * n / 360.0) % n)
        if entries is None:
            return []
        full, part, cx, cy = entries
        if not part:
            return list(full)
        x = lon - cx
        y = lat - cy
        if lon >= 180.0:  # lon 180 lies in column 0 (at -180), far from its centre: let GEOS answer
            part = [(e[0], e[1], *_GEOS) for e in part]
        out = []
        for g, j, kind, u1, w1, k1, u2, w2, k2 in part:
            if kind:
                v = u1 * y - w1 * x + k1
                if not -_EDGE_EPS <= v <= _EDGE_EPS:
                    if kind == 1:
                        if v > 0.0:
                            out.append(j)
                        continue
                    v2 = u2 * y - w2 * x + k2
                    if not -_EDGE_EPS <= v2 <= _EDGE_EPS:
                        if (v > 0.0 and v2 > 0.0) if kind == 2 else (v > 0.0 or v2 > 0.0):
                            out.append(j)
                        continue
            if _intersects_xy(g, lon, lat):
                out.append(j)
        if full:
            out += full
            out.sort()
        return out

    def _probe(self, lat: float, lon: float) -> tuple[list[tuple[float, int]], list[int]]:
        """``(_fence_raw, _zone_idx_at)`` of a validated point: what the fence tracker needs per fix."""
        return self._fence_raw(lat, lon), self._zone_idx_at(lat, lon)

    def zone_at(self, lat: float, lon: float) -> ZoneHit | None:
        """The smallest-area zone containing (lat, lon) degrees (holes respected), or None."""
        lat, lon = check_point(lat, lon)
        inv, rmax, ncols = self._zkey
        r = int((lat + 90.0) * inv)
        if r > rmax:
            r = rmax
        n = ncols[r]
        entries = self._zcells.get(r * _KEY_MUL + int((lon + 180.0) * n / 360.0) % n)
        if entries is None:
            return None
        full, part, cx, cy = entries
        best = full[0] if full else len(self._zone_ids)
        x = lon - cx
        y = lat - cy
        for e in part:
            if e[1] > best:
                break
            if _part_contains(e, x, y, lon, lat):
                best = e[1]
                break
        if best == len(self._zone_ids):
            return None
        return ZoneHit(self._zone_ids[best], self._zone_types[best])

    def zones_at(self, lat: float, lon: float) -> list[ZoneHit]:
        """Every zone containing (lat, lon) degrees, smallest area first."""
        lat, lon = check_point(lat, lon)
        zi, zt = self._zone_ids, self._zone_types
        return [ZoneHit(zi[j], zt[j]) for j in self._zone_idx_at(lat, lon)]

    def zone_at_batch(self, lats, lons) -> np.ndarray:
        """Vectorised :meth:`zone_at`: zone id per fix (int64), -1 where no zone contains it."""
        lats = np.asarray(lats, dtype=np.float64)
        lons = np.asarray(lons, dtype=np.float64)
        lons = np.where(np.abs(lons) <= 180.0, lons, (lons + 180.0) % 360.0 - 180.0)
        out = np.full(len(lats), -1, dtype=np.int64)
        if not self._zcells or len(lats) == 0:
            return out
        keys = self._zgrid.keys_np(lats, lons)
        ukeys, inverse = np.unique(keys, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(len(ukeys) + 1))
        zids = self._zone_ids
        for u, k in enumerate(ukeys.tolist()):
            entries = self._zcells.get(k)
            if entries is None:
                continue
            members = order[bounds[u] : bounds[u + 1]]
            todo = members
            full, part = entries[0], entries[1]
            merged = sorted([(j, None) for j in full] + [(e[1], e[0]) for e in part], key=lambda t: t[0])
            for j, g in merged:
                if g is None:
                    out[todo] = zids[j]
                    break
                inside = shapely.intersects_xy(g, lons[todo], lats[todo])
                out[todo[inside]] = zids[j]
                todo = todo[~inside]
                if len(todo) == 0:
                    break
        return out

    def zone_edge_within(self, zone_id: int, lat: float, lon: float, dist_m: float) -> bool:
        """True if the zone's boundary (shell or a hole) passes within ``dist_m`` metres of (lat, lon).

        Used by the fence tracker to tell "clearly inside/outside" from "the accuracy circle straddles
        the edge". Exact up to the local flat-Earth approximation (relative error ~1e-4 at 1 km); near
        a pole it answers True (uncertain) rather than guess. KeyError if the zone is unknown.
        """
        if dist_m <= 0.0:
            return False
        boundary = self._zone_boundaries[self._zone_pos[zone_id]]
        dlat = dist_m / (EARTH_RADIUS_M * _DEG) * 1.01
        coslat = _cos(lat * _DEG)
        if coslat < 1e-3:
            return True
        dlon = dlat / coslat
        if dlon >= 90.0:
            return True
        parts = []
        for shift in (0.0, 360.0, -360.0):  # boxes that cross ±180° also look on the other side
            x0, x1 = lon - dlon + shift, lon + dlon + shift
            if x1 < -180.0 or x0 > 180.0:
                continue
            clip = shapely.clip_by_rect(boundary, x0, lat - dlat, x1, lat + dlat)
            if not clip.is_empty:
                parts.append((clip, shift))
        if not parts:
            return False
        kx = coslat * EARTH_RADIUS_M * _DEG
        ky = EARTH_RADIUS_M * _DEG
        origin = shapely.Point(0.0, 0.0)
        for clip, shift in parts:

            def to_local(xy, shift=shift):
                return np.column_stack(((xy[:, 0] - shift - lon) * kx, (xy[:, 1] - lat) * ky))

            if shapely.distance(origin, shapely.transform(clip, to_local)) <= dist_m:
                return True
        return False


# -- helpers ------------------------------------------------------------------------------------------
class _FenceLevel:
    """One fence grid: each of ``members`` (place positions) is listed in every cell its circle touches."""

    __slots__ = ("cells", "counts", "grid", "keys", "places", "starts")

    def __init__(self, grid: Grid, records, lat, lon, rad, members: np.ndarray):
        item, keys = grid.cover_caps(lat[members], lon[members], rad[members])
        order = np.argsort(keys, kind="stable")
        self.grid = grid
        self.places = members[item[order]].astype(np.int64)
        self.keys, self.starts, self.counts = _group(keys[order])
        self.cells = _cells(records, self.places, self.keys, self.starts, self.counts)

    def candidates(self, lats: np.ndarray, lons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(fix index, place position) for every place listed in each fix's cell (vectorised)."""
        if len(self.keys) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        keys = self.grid.keys_np(lats, lons)
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        cnt = np.where(self.keys[pos] == keys, self.counts[pos], 0)
        fix = np.repeat(np.arange(len(lats), dtype=np.int64), cnt)
        return fix, self.places[np.repeat(self.starts[pos], cnt) + _ranges(cnt)]


def _key_params(g: Grid) -> tuple[float, int, list[int]]:
    """What an inlined :meth:`Grid.key` needs: (rows per degree, last row, columns per row)."""
    return g.inv_row_deg, g.nrows - 1, g.ncols


def _cells(records: np.ndarray, members: np.ndarray, ukeys, starts, counts) -> dict[int, bytes]:
    """key -> packed place records (:data:`_REC`) of ``members`` (place positions sorted by key) grouped
    by key. Within a cell the places keep their order in ``members``."""
    buf = memoryview(records[members]).cast("B")
    size = _REC.size
    ends = ((starts + counts) * size).tolist()
    return {k: buf[s:e].tobytes()
            for k, s, e in zip(ukeys.tolist(), (starts * size).tolist(), ends, strict=True)}


def _group(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unique keys, start offsets, counts) of an already sorted key array."""
    if len(sorted_keys) == 0:
        z = np.zeros(0, np.int64)
        return z, z, z
    change = np.flatnonzero(np.diff(sorted_keys)) + 1
    starts = np.concatenate(([0], change)).astype(np.int64)
    counts = np.diff(np.concatenate((starts, [len(sorted_keys)]))).astype(np.int64)
    return sorted_keys[starts], starts, counts


def _cells_for_bounds(grid: Grid, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(item, key) for every grid cell overlapping each lon/lat bounding box (minx, miny, maxx, maxy)."""
    minx, miny, maxx, maxy = bounds.T
    r_lo = np.minimum(((miny + 90.0) * grid.inv_row_deg).astype(np.int64), grid.nrows - 1)
    r_hi = np.minimum(((maxy + 90.0) * grid.inv_row_deg).astype(np.int64), grid.nrows - 1)
    nrow = r_hi - r_lo + 1
    item = np.repeat(np.arange(len(bounds), dtype=np.int64), nrow)
    rows = r_lo[item] + _ranges(nrow)
    n = grid.ncols_np[rows]
    c_lo = np.clip(np.floor((minx[item] + 180.0) * n / 360.0).astype(np.int64), 0, n - 1)
    c_hi = np.clip(np.floor((maxx[item] + 180.0) * n / 360.0).astype(np.int64), 0, n - 1)
    ncol = c_hi - c_lo + 1
    item2 = np.repeat(item, ncol)
    cols = np.repeat(c_lo, ncol) + _ranges(ncol)
    return item2, np.repeat(rows, ncol) * (1 << 24) + cols


def _key_bounds(grid: Grid, keys: np.ndarray):
    rows = keys >> 24
    cols = keys & ((1 << 24) - 1)
    n = grid.ncols_np[rows]
    lat0 = -90.0 + rows * grid.row_deg
    return (-180.0 + cols * 360.0 / n, lat0, -180.0 + (cols + 1) * 360.0 / n, lat0 + grid.row_deg)


_EDGE_EPS = 1e-9
"""Degrees (~0.1 mm): closer than this to an edge line, the pure-Python zone test defers to GEOS, so float
rounding never decides a point-in-zone answer."""
_GEOS = (0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def _part_contains(entry, x: float, y: float, lon: float, lat: float) -> bool:
    """One ``part`` entry of a zone cell (see _cell_edges): does its zone contain the point? x, y: the
    point minus the cell centre. Same logic as the inlined loop in ``GeoIndex._zone_idx_at``."""
    g, _, kind, u1, w1, k1, u2, w2, k2 = entry
    if kind and lon < 180.0:
        v = u1 * y - w1 * x + k1
        if not -_EDGE_EPS <= v <= _EDGE_EPS:
            if kind == 1:
                return v > 0.0
            v2 = u2 * y - w2 * x + k2
            if not -_EDGE_EPS <= v2 <= _EDGE_EPS:
                return (v > 0.0 and v2 > 0.0) if kind == 2 else (v > 0.0 or v2 > 0.0)
    return _intersects_xy(g, lon, lat)


def _segments(geom) -> np.ndarray:
    """(m, 4) array of the straight edges (lon_a, lat_a, lon_b, lat_b) of a (multi)polygon, oriented so
    that the zone's interior is on the left of every edge (shells counter-clockwise, holes clockwise)."""
    out = []
    for line in shapely.get_parts(shapely.orient_polygons(geom, exterior_cw=False).boundary):
        xy = shapely.get_coordinates(line)
        if len(xy) >= 2:
            out.append(np.column_stack((xy[:-1], xy[1:])))
    return np.concatenate(out) if out else np.zeros((0, 4))


def _cell_edges(geoms, item, touch, xmin, ymin, xmax, ymax, cx, cy, centre_in) -> list:
    """How to test points of a cell against a zone whose border crosses it, without GEOS when simple.

    Per (zone ``item[e]``, cell ``e``) pair: ``(kind, ux1, uy1, k1, ux2, uy2, k2)``. ``kind`` 1: a single
    edge crosses the cell, so inside the cell the zone is a half-plane: inside iff ``ux1*y - uy1*x + k1 > 0``
    (x, y: the point's lon, lat minus the cell centre's; the signed distance in degrees from the edge's
    line, positive on the zone's side). ``kind`` 2 / 3: exactly two consecutive edges meet the cell, a
    convex / reflex corner: inside iff both / either of the two such tests hold. ``kind`` 0: ask GEOS
    (more edges, or anything unusual). Edges are chosen by bounding box, a superset of those meeting the
    cell, so the shape claimed for the cell is never missing an edge; the build cross-checks it against
    GEOS's answer for the cell centre.
    """
    out = [_GEOS] * len(item)
    sel = np.flatnonzero(touch)
    if len(sel) == 0:
        return out
    pad = 1e-7
    zones = item[sel]
    starts = np.flatnonzero(np.r_[True, zones[1:] != zones[:-1]])
    ends = np.r_[starts[1:], len(sel)]
    rows_all, segs_all = [], []
    for s0, s1 in zip(starts.tolist(), ends.tolist(), strict=True):
        rows = sel[s0:s1]
        seg = _segments(geoms[int(item[rows[0]])])
        if len(seg) == 0:
            continue
        sx0 = np.minimum(seg[:, 0], seg[:, 2])
        sx1 = np.maximum(seg[:, 0], seg[:, 2])
        sy0 = np.minimum(seg[:, 1], seg[:, 3])
        sy1 = np.maximum(seg[:, 1], seg[:, 3])
        hit = ((sx0[None, :] <= xmax[rows, None] + pad) & (sx1[None, :] >= xmin[rows, None] - pad)
               & (sy0[None, :] <= ymax[rows, None] + pad) & (sy1[None, :] >= ymin[rows, None] - pad))
        ri, si = np.nonzero(hit)
        rows_all.append(rows[ri])
        segs_all.append(seg[si])
    if not rows_all:
        return out
    row = np.concatenate(rows_all)
    seg = np.concatenate(segs_all)
    count = np.bincount(row, minlength=len(item))
    keep = count[row] <= 2
    row, seg = row[keep], seg[keep]
    ax = seg[:, 0] - cx[row]
    ay = seg[:, 1] - cy[row]
    bx = seg[:, 2] - cx[row]
    by = seg[:, 3] - cy[row]
    with np.errstate(divide="ignore", invalid="ignore"):
        length = np.hypot(bx - ax, by - ay)
        ux = (bx - ax) / length
        uy = (by - ay) / length
    k = uy * ax - ux * ay  # signed distance of the cell centre from the edge's line
    ok = (length > 0) & (np.abs(k) > 10 * _EDGE_EPS)
    cols = (row.tolist(), ok.tolist(), ux.tolist(), uy.tolist(), k.tolist(), seg.tolist())
    pending: dict[int, tuple] = {}
    for r, good, u, w, kk, sg in zip(*cols, strict=True):
        if not good:
            pending[r] = None
            continue
        if count[r] == 1:
            if (kk > 0.0) == centre_in[r]:
                out[r] = (1, u, w, kk, 0.0, 0.0, 0.0)
            continue
        first = pending.get(r, ())
        if first == ():
            pending[r] = (u, w, kk, sg)
            continue
        if first is None:
            continue
        u1, w1, k1, s1 = first
        if s1[2:] == sg[:2]:  # first edge ends where the second starts
            turn = u1 * w - w1 * u
        elif sg[2:] == s1[:2]:
            turn = u * w1 - w * u1
        else:
            continue  # two separate edges
        if turn == 0.0:
            continue
        kind = 2 if turn > 0.0 else 3
        centre = (k1 > 0.0 and kk > 0.0) if kind == 2 else (k1 > 0.0 or kk > 0.0)
        if centre == centre_in[r]:
            out[r] = (kind, u1, w1, k1, u, w, kk)
    return out


def _ring(coords, zid) -> list[tuple[float, float]]:
    ring = []
    for pt in coords:
        x, y = float(pt[0]), float(pt[1])
        if not (-90.0 <= y <= 90.0) or not _isfinite(x):
            raise ValueError(f"zone {zid}: invalid vertex (lon={x!r}, lat={y!r})")
        if not -180.0 <= x <= 180.0:
            x = (x + 180.0) % 360.0 - 180.0
        ring.append((x, y))
    return ring


def _zone_geometry(spec: ZoneSpec):
    """Valid shapely (Multi)Polygon in lon/lat, split at the antimeridian when the ring crosses it."""
    zid = spec.id
    rings = [_ring(spec.shell, zid)] + [_ring(h, zid) for h in spec.holes]
    if len(rings[0]) < 3:
        raise ValueError(f"zone {zid}: shell needs at least 3 vertices")
    crosses = any(
        abs(r[i + 1][0] - r[i][0]) > 180.0 for r in rings for i in range(len(r) - 1)
    ) or any(abs(r[0][0] - r[-1][0]) > 180.0 for r in rings)
    if crosses:
        rings = [[(x + 360.0 if x < 0.0 else x, y) for x, y in r] for r in rings]
    geom = shapely.Polygon(rings[0], [r for r in rings[1:] if len(r) >= 3])
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
        polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.union_all(polys) if polys else shapely.Polygon()
    if crosses:
        east = shapely.intersection(geom, shapely.box(0.0, -90.0, 180.0, 90.0))
        west = shapely.transform(shapely.intersection(geom, shapely.box(180.0, -90.0, 540.0, 90.0)),
                                 lambda xy: xy - np.array([360.0, 0.0]))
        geom = shapely.union(east, west)
    if geom.is_empty or geom.area == 0.0:
        raise ValueError(f"zone {zid}: polygon has no area")
    return geom


def _equal_area_m2(geom) -> float:
    """Area in m² via Lambert's cylindrical equal-area projection of the vertices (sphere, mean R)."""
    def proj(xy):
        return np.column_stack((np.radians(xy[:, 0]) * EARTH_RADIUS_M,
                                np.sin(np.radians(xy[:, 1])) * EARTH_RADIUS_M))

    return float(shapely.transform(geom, proj).area)
