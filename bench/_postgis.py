"""PostGIS for the baseline: install the package if missing, create a database of its own, load places.

Nothing here is used by the product; it exists to measure ``ST_DWithin`` on a GiST-indexed geography
column through one persistent connection — the best case for a database round trip.
"""

from __future__ import annotations

import os
import shutil
import subprocess

BENCH_DB = "battlemap_bench"
PG_PACKAGE = "postgresql-15-postgis-3"


def _conninfo(dbname: str) -> str:
    host = os.environ.get("BENCH_PGHOST", "127.0.0.1")
    port = os.environ.get("BENCH_PGPORT", "5432")
    user = os.environ.get("BENCH_PGUSER", "postgres")
    return f"host={host} port={port} user={user} dbname={dbname} connect_timeout=5"


def _postgis_available(conn) -> bool:
    row = conn.execute("select count(*) from pg_available_extensions where name = 'postgis'").fetchone()
    return bool(row and row[0])


def ensure_postgis() -> tuple[object | None, str]:
    """Return (connection to the bench database with PostGIS, "") or (None, reason it is unavailable).

    Installs the Debian package with apt-get when PostGIS is missing (needs root), then creates the
    database ``battlemap_bench`` and the extension in it.
    """
    try:
        import psycopg
    except ImportError:
        return None, "psycopg is not installed"
    try:
        admin = psycopg.connect(_conninfo(os.environ.get("BENCH_PGADMINDB", "postgres")), autocommit=True)
    except Exception as exc:  # any connection problem just skips the baseline
        return None, f"cannot connect to PostgreSQL: {exc}"
    with admin:
        if not _postgis_available(admin):
            reason = _apt_install()
            if reason:
                return None, reason
            if not _postgis_available(admin):
                return None, f"{PG_PACKAGE} installed but PostgreSQL does not list postgis"
        exists = admin.execute("select 1 from pg_database where datname = %s", (BENCH_DB,)).fetchone()
        if not exists:
            admin.execute(f'create database "{BENCH_DB}"')
    conn = psycopg.connect(_conninfo(BENCH_DB), autocommit=True)
    conn.execute("create extension if not exists postgis")
    return conn, ""


def _apt_install() -> str:
    """Install PostGIS via apt; returns "" on success or the reason it failed."""
    if shutil.which("apt-get") is None:
        return "PostGIS is missing and apt-get is not available"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return "PostGIS is missing and installing it needs root"
    print(f"  installing {PG_PACKAGE} with apt-get (one-time) ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", PG_PACKAGE]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        upd = subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True, timeout=600)
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600) if upd.returncode == 0 else upd
    if res.returncode != 0:
        return f"apt-get install {PG_PACKAGE} failed: {res.stderr.strip()[-300:]}"
    return ""


def load_places(conn, ids, lats, lons, radii) -> None:
    """(Re)create table bench_places(id, radius_m, geog geography(Point,4326)) with a GiST index."""
    conn.execute("drop table if exists bench_places")
    conn.execute("create table bench_places (id bigint primary key, radius_m double precision not null, "
                 "geog geography(Point, 4326) not null)")
    with conn.cursor() as cur, cur.copy("copy bench_places (id, radius_m, geog) from stdin") as copy:
        for i, la, lo, r in zip(ids, lats, lons, radii, strict=True):
            copy.write_row((int(i), float(r), f"SRID=4326;POINT({lo!r} {la!r})"))
    conn.execute("create index bench_places_geog on bench_places using gist (geog)")
    conn.execute("analyze bench_places")


FENCE_SQL = (
    "select id, ST_Distance(geog, q) as d from bench_places, "
    "(select ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography as q) as p "
    "where ST_DWithin(geog, q, %s) and ST_Distance(geog, q) <= radius_m order by d"
)
