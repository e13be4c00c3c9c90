"""`flask geo replay` and `flask places import` against the demo database."""

import json
import shutil

from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Place, Zone
from app.services.geo_state import snapshot
from geo import haversine_m, wgs84_to_bd09, wgs84_to_gcj02
from tests.conftest import make_config, place_by_category

T0 = 1_763_800_000_000


def write_track(path, rows):
    path.write_text("rep_id,ts,lat,lon,accuracy_m\n" + "".join(f"{r},{t},{la},{lo},{a}\n" for r, t, la, lo, a in rows),
                    encoding="utf-8")
    return path


def test_replay_prints_one_json_line_per_event_and_is_deterministic(runner, app, tmp_path):
    """Why did rep 7 get (or not get) the card? The replay answers the same way every time."""
    hospital = place_by_category(app, "tier3_hospital")
    far = hospital.lat + 0.03
    track = write_track(tmp_path / "track.csv", [
        (7, T0, far, hospital.lon, 10),
        (7, T0 + 600_000, hospital.lat, hospital.lon, 10),       # walks in: enter
        (7, T0 + 300_000, hospital.lat, hospital.lon, 10),       # late, out of order: drop
        (7, T0 + 700_000, hospital.lat, hospital.lon, 900),      # poor accuracy: drop
        (7, T0 + 1_200_000, far, hospital.lon, 10),              # leaves: exit
    ])
    first = runner.invoke(args=["geo", "replay", str(track)])
    assert first.exit_code == 0, first.output
    events = [json.loads(line) for line in first.output.splitlines()]
    assert all(set(e) == {"rep_id", "ts", "event", "place_id", "zone_id", "reason"} for e in events)
    place_events = [(e["event"], e["ts"]) for e in events if e["place_id"] == hospital.id]
    assert ("enter", T0 + 600_000) in place_events
    assert ("exit", T0 + 1_200_000) in place_events
    drops = {e["ts"]: e["reason"] for e in events if e["event"] == "drop"}
    assert set(drops) == {T0 + 300_000, T0 + 700_000}
    assert all(drops.values())
    assert runner.invoke(args=["geo", "replay", str(track)]).output == first.output


def test_replay_reports_a_bad_file(runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("rep,when\n1,2\n", encoding="utf-8")
    result = runner.invoke(args=["geo", "replay", str(bad)])
    assert result.exit_code != 0
    assert "rep_id" in result.output


def test_import_converts_gcj02_and_bd09_to_wgs84(runner, app, tmp_path, client, auth):
    """Places exported from Amap (GCJ-02) or Baidu (BD-09) land at their true WGS-84 position."""
    truth = (31.2397, 121.4998)  # 东方明珠一带, WGS-84
    gcj = wgs84_to_gcj02(*truth)
    bd = wgs84_to_bd09(*truth)
    for crs, (lat, lon), key in (("gcj02", gcj, "pearl-gcj"), ("bd09", bd, "pearl-bd")):
        csv_file = tmp_path / f"{crs}.csv"
        csv_file.write_text("key,name,category,lat,lon,radius_m,tags\n"
                            f"{key},陆家嘴KA门店,ka_supermarket,{lat},{lon},300,新店|旗舰\n", encoding="utf-8")
        result = runner.invoke(args=["places", "import", str(csv_file), "--crs", crs, "--region", "shanghai"])
        assert result.exit_code == 0, result.output
        assert "1 places created" in result.output
    with app.app_context():
        for key in ("pearl-gcj", "pearl-bd"):
            place = db.session.scalar(select(Place).where(Place.key == key))
            assert haversine_m(place.lat, place.lon, *truth) < 1.0
            assert place.tags == ["新店", "旗舰"] and place.radius_m == 300
    items = client.get(f"/api/v1/places?lat={truth[0]}&lon={truth[1]}&radius_m=50", headers=auth.headers()).get_json()
    assert {"陆家嘴KA门店"} == {i["name"] for i in items["items"]}, "the index was rebuilt with the new places"


def test_import_updates_by_key_and_rejects_bad_rows_whole(runner, app, tmp_path):
    hospital = place_by_category(app, "tier3_hospital")
    update = tmp_path / "update.csv"
    update.write_text(f"key,name,category,lat,lon\n{hospital.key},新名字,tier3_hospital,{hospital.lat},{hospital.lon}\n",
                      encoding="utf-8")
    assert "1 updated" in runner.invoke(args=["places", "import", str(update)]).output
    bad = tmp_path / "bad.csv"
    bad.write_text("key,name,category,lat,lon\n"
                   "good-one,好店,community_grocery,31.2,121.4\n"
                   "bad-one,坏店,moon_base,31.2,121.4\n"
                   "worse,更坏,community_grocery,95,121.4\n", encoding="utf-8")
    result = runner.invoke(args=["places", "import", str(bad)])
    assert result.exit_code != 0
    assert "line 3" in result.output and "line 4" in result.output
    with app.app_context():
        assert db.session.scalar(select(Place.name).where(Place.id == hospital.id)) == "新名字"
        assert db.session.scalar(select(Place).where(Place.key == "good-one")) is None


def test_another_process_sees_imported_places_without_a_restart(demo_template, tmp_path):
    """Two apps on one database: a place imported through one is found by the other on its next look."""
    path = tmp_path / "shared.db"
    shutil.copy(demo_template, path)
    first = create_app(make_config(f"sqlite:///{path}"))
    second = create_app(make_config(f"sqlite:///{path}"))
    with second.app_context():
        before = snapshot().index
        assert not before.places_within(30.95, 121.25, 100)
    csv_file = tmp_path / "new.csv"
    csv_file.write_text("key,name,category,lat,lon\nsongjiang-new,松江新店,community_grocery,30.95,121.25\n",
                        encoding="utf-8")
    assert first.test_cli_runner().invoke(args=["places", "import", str(csv_file)]).exit_code == 0
    with second.app_context():
        after = snapshot().index
        assert after.version > before.version
        assert len(after.places_within(30.95, 121.25, 100)) == 1
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def square(lat, lon, half_deg=0.005):
    ring = [[lon - half_deg, lat - half_deg], [lon + half_deg, lat - half_deg], [lon + half_deg, lat + half_deg],
            [lon - half_deg, lat + half_deg], [lon - half_deg, lat - half_deg]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(key, geometry, zone_type="community_retail", name="松江新城社区商圈"):
    return {"type": "Feature", "id": key, "geometry": geometry,
            "properties": {"key": key, "name": name, "zone_type": zone_type, "color": "#f00"}}


def test_zones_import_converts_gcj02_and_swaps_the_index(runner, app, tmp_path):
    """A zone drawn on an Amap (GCJ-02) map lands at its true place, and the index finds it at once."""
    centre = (31.03, 121.22)  # 松江, outside every demo zone
    gcj_centre = wgs84_to_gcj02(*centre)
    doc = {"type": "FeatureCollection", "features": [feature("songjiang-retail", square(*gcj_centre))]}
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with app.app_context():
        assert snapshot().zone_for(*centre) is None
    result = runner.invoke(args=["zones", "import", str(path), "--region", "shanghai", "--crs", "gcj02"])
    assert result.exit_code == 0, result.output
    assert "1 zones created" in result.output
    with app.app_context():
        zone = snapshot().zone_for(*centre)
        assert zone is not None and zone.type == "community_retail" and zone.name == "松江新城社区商圈"
    again = runner.invoke(args=["zones", "import", str(path), "--region", "shanghai", "--crs", "gcj02"])
    assert "0 zones created, 1 updated" in again.output


def test_zones_import_rejects_bad_features_whole(runner, app, tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[121.2, 31.0], [121.3, 31.1], [121.3, 31.0], [121.2, 31.1],
                                                  [121.2, 31.0]]]}
    doc = {"type": "FeatureCollection", "features": [
        feature("fine-zone", square(31.05, 121.25)),
        feature("bad-type", square(31.06, 121.26), zone_type="moon_base"),
        feature("bowtie", bowtie),
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.2, 31.0]}, "properties": {}},
    ]}
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(args=["zones", "import", str(path), "--region", "shanghai"])
    assert result.exit_code != 0
    for where in ("features[1]", "features[2]", "features[3]"):
        assert where in result.output
    assert "features[0]" not in result.output
    with app.app_context():
        assert db.session.scalar(select(Zone).where(Zone.key == "fine-zone")) is None
