"""Run every benchmark module and write bench/results/latest.json.

Usage (from the repository root)::

    .venv/bin/python -m bench.run            # all modules: bench/bench_*.py
    .venv/bin/python -m bench.run geo        # only bench/bench_geo.py
    python bench/run.py                      # same, without -m

Adding a benchmark: create ``bench/bench_<name>.py`` with ``run() -> list[dict]``. Each dict is one result:

    {"name": str, "value": float, "unit": str,
     "baseline": str | None, "baseline_value": float | None, "ratio": float | None}

``ratio`` is ``baseline_value / value`` — for times, how many times faster we are than the baseline —
and is filled in here when a module leaves it out. A module that raises is reported and skipped; the run
exits non-zero but still writes the results of the others.
"""

from __future__ import annotations

import importlib
import json
import math
import platform
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results" / "latest.json"
FIELDS = ("name", "value", "unit", "baseline", "baseline_value", "ratio")


def discover(only: list[str] | None = None) -> list[str]:
    """Module names (``bench_x``) of bench/bench_*.py, sorted; filtered by ``only`` (x or bench_x)."""
    names = sorted(p.stem for p in BENCH_DIR.glob("bench_*.py"))
    if only:
        wanted = {n if n.startswith("bench_") else f"bench_{n}" for n in only}
        unknown = wanted - set(names)
        if unknown:
            raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; have {', '.join(names)}")
        names = [n for n in names if n in wanted]
    return names


def normalise(row: dict, module: str) -> dict:
    """Check one result row and fill in defaults (baseline None, ratio computed)."""
    missing = {"name", "value", "unit"} - row.keys()
    if missing:
        raise ValueError(f"{module}: result {row!r} lacks {sorted(missing)}")
    out = {k: row.get(k) for k in FIELDS}
    out["value"] = float(out["value"])
    if out["baseline_value"] is not None:
        out["baseline_value"] = float(out["baseline_value"])
        if out["ratio"] is None and out["value"]:
            out["ratio"] = out["baseline_value"] / out["value"]
    if out["ratio"] is not None:
        out["ratio"] = float(out["ratio"])
    for k in ("value", "baseline_value", "ratio"):
        if out[k] is not None and not math.isfinite(out[k]):
            out[k] = None
    return out


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        if x == 0:
            return "0"
        if abs(x) >= 1e5 or abs(x) < 1e-3:
            return f"{x:.3g}"
        return f"{x:,.3f}".rstrip("0").rstrip(".") if abs(x) < 100 else f"{x:,.1f}"
    return str(x)


def print_table(rows: list[dict]) -> None:
    """A readable table of results."""
    headers = ("name", "value", "unit", "baseline", "baseline value", "ratio")
    table = [(r["name"], _fmt(r["value"]), r["unit"], r["baseline"] or "-", _fmt(r["baseline_value"]),
              _fmt(r["ratio"]) + ("×" if r["ratio"] is not None else "")) for r in rows]
    widths = [max(len(h), *(len(t[i]) for t in table)) if table else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for t in table:
        print("  ".join((c.rjust(w) if i in (1, 4, 5) else c.ljust(w)) for i, (c, w) in
                        enumerate(zip(t, widths, strict=True))))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks named in argv (default: all); write results/latest.json; 1 if any failed."""
    argv = sys.argv[1:] if argv is None else argv
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    rows: list[dict] = []
    failed = []
    started = time.perf_counter()
    for name in discover(argv):
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            rows.extend(normalise(r, name) for r in module.run())
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"== {name} done in {time.perf_counter() - t0:.1f} s", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print()
    print_table(rows)
    print(f"\n{len(rows)} results in {time.perf_counter() - started:.0f} s on {platform.python_implementation()} "
          f"{platform.python_version()} ({platform.machine()}); written to {RESULTS.relative_to(ROOT)}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
