"""Is geo a pure core that the Flask app can import without dragging the app in?"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PUBLIC = (
    "GeoIndex", "PlaceSpec", "ZoneSpec", "PlaceHit", "ZoneHit", "FenceTracker", "FenceSettings", "Fix",
    "FenceEvent", "haversine_m", "to_wgs84", "wgs84_to_gcj02", "gcj02_to_wgs84", "wgs84_to_bd09",
    "bd09_to_wgs84", "read_track_csv", "replay",
)


def test_importing_geo_does_not_import_flask_sqlalchemy_or_app():
    """Does `import geo` stay free of Flask, SQLAlchemy and the app package?"""
    code = (
        "import sys, geo\n"
        f"missing = [n for n in {PUBLIC!r} if not hasattr(geo, n)]\n"
        "assert not missing, missing\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'app'))\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_public_names_are_exported():
    """Does geo.__all__ list every name the app imports?"""
    import geo

    assert set(PUBLIC) <= set(geo.__all__)
