"""Offline bundle and events outbox benchmarks (docs/sync-and-events.md).

1. Bundle size (gzip) for the demo territory (rep@demo.battlemap) and for a 2,000-place territory with
   realistic context (3 procurement notices, 2 contacts, 1 competitor move per place, Chinese text), target
   ≤ 500 KB; baseline: the same places as a list of full popup payloads (one ``compose_popup`` per place), gzip.
2. Delta after one pack edit (one talk-track title changed and published), target ≤ 10 KB; baseline: the full
   bundle.
3. Replaying 1,000 outbox events against a real server (``python wsgi.py`` on a copy of the demo database) in
   batches of 100, then the same 1,000 again: time (target ≤ 2 s each) and duplicate rows stored (must be 0);
   baseline: one request per event.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.bench_scenarios import _demo_app

SYNTHETIC_PLACES = 2000
REPLAY_EVENTS = 1000
REPLAY_BATCH = 100
REP = "rep@demo.battlemap"
PACK = "procurement-led-hospitals"

_ORGS = ["彩超", "监护仪", "内镜", "呼吸机", "血液透析机", "DR", "CT", "麻醉机", "输液泵", "除颤仪", "生化分析仪"]
_UNITS = ["设备科", "采购中心", "超声科", "ICU", "急诊科", "检验科", "放射科", "院办", "护理部", "信息科"]
_ROLES = ["设备科科长", "超声科主任", "采购办主任", "分管副院长", "护士长", "信息科主任", "店长", "采购经理"]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_COMPETITORS = ["康瑞医疗", "恒泰影像", "云医通", "华康生物", "迈科仪器"]
_MOVES = ["以低于市场价15%报价参与院内议价", "提出免费投放两台设备换取耗材绑定", "邀请科室主任参加学术会议",
          "推出三年延保和驻场工程师", "以区域平台打包方式参与集采"]


def _gzip_len(value) -> int:
    return len(gzip.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(),
                             compresslevel=6, mtime=0))


def _add_synthetic_places(app, count: int, rng: random.Random) -> None:
    """``count`` places in the demo rep's region, scattered around the demo places (so they fall in its zones)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import CompetitorMove, Contact, Place, ProcurementNotice, User
    from app.services.geo_state import bump_version

    today = date.today()
    with app.app_context():
        region_id = db.session.scalar(select(User.region_id).where(User.email == REP))
        seeds = list(db.session.execute(select(Place.lat, Place.lon, Place.category)).all())
        for i in range(count):
            lat, lon, category = rng.choice(seeds)
            kind = rng.choice(["人民医院", "社区卫生服务中心", "专科医院", "生鲜超市"])
            place = Place(key=f"synth-{i:05d}", name=f"上海市第{i + 1}{kind}",
                          category=category, lat=lat + rng.uniform(-0.01, 0.01), lon=lon + rng.uniform(-0.01, 0.01),
                          radius_m=rng.choice([300.0, 500.0]), address=f"上海市某区某路{rng.randint(1, 2000)}号",
                          tags=rng.sample(["重点客户", "新院区", "集采中标", "高端客群", "社区团购"], 2),
                          stage=rng.choice(["discovery", "proposal", "negotiation"]),
                          budget_cny=rng.randint(5, 500) * 10_000, region_id=region_id)
            for n in range(3):
                kit = rng.choice(_ORGS)
                place.notices.append(ProcurementNotice(
                    title=f"{place.name}{kit}采购项目（第{rng.randint(1, 9)}包）招标公告",
                    published_on=today - timedelta(days=rng.randint(1, 80)),
                    amount_cny=rng.randint(20, 900) * 10_000,
                    summary=f"采购{kit}{rng.randint(1, 12)}台，要求{rng.choice(_UNITS)}论证，"
                            f"交付期{rng.randint(30, 120)}天，含{rng.randint(1, 5)}年保修与培训。",
                    source="上海政府采购网"))
                if n < 2:
                    place.contacts.append(Contact(
                        name=f"{rng.choice(_SURNAMES)}{rng.choice(['主任', '科长', '经理', '老师'])}",
                        role=rng.choice(_ROLES), consent=rng.random() < 0.6,
                        background=f"从业{rng.randint(5, 25)}年，关注{rng.choice(_ORGS)}的临床效率与售后响应，"
                                   f"曾主导{rng.randint(1, 6)}次设备论证。",
                        phone_masked=f"138****{rng.randint(1000, 9999)}"))
            place.competitor_moves.append(CompetitorMove(
                competitor=rng.choice(_COMPETITORS), move=rng.choice(_MOVES),
                observed_on=today - timedelta(days=rng.randint(1, 60))))
            db.session.add(place)
        bump_version()
        db.session.commit()


def _bundle(client, headers, since: str | None = None) -> tuple[dict, int, float]:
    t0 = time.perf_counter()
    response = client.get("/api/v1/sync/bundle", headers={**headers, "Accept-Encoding": "gzip"},
                          query_string={"since": since} if since else {})
    elapsed = time.perf_counter() - t0
    assert response.status_code == 200, response.status_code
    return json.loads(gzip.decompress(response.data)), len(response.data), elapsed


def _popups_baseline(app) -> int:
    """gzip size of one full popup per territory place (what the PWA would hold without the bundle's refs)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User
    from app.services.scenarios import compose_popup, rep_facts
    from app.services.sync import territory

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == REP))
        rep = rep_facts(user)
        popups = [compose_popup(rep=rep, place_id=row.id, distance_m=None, record=False) for row in territory(user)]
    return _gzip_len(popups)


def _edit_pack(app, track_id: str) -> None:
    """One pack edit: the title of a talk-track the rep is shown, submitted and published by the manager."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User
    from app.services import pack_lifecycle, pack_queries

    with app.app_context():
        manager = db.session.scalar(select(User).where(User.email == "manager@demo.battlemap"))
        admin = db.session.scalar(select(User).where(User.email == "admin@demo.battlemap"))
        live = pack_queries.live_version(pack_queries.find_pack(PACK))
        body = json.loads(json.dumps(live.body))
        track = next(t for t in body["talk_tracks"] if t["id"] == track_id)
        track["title"] += "（修订）"
        version = pack_lifecycle.create_version(user=manager, key=PACK, body=body, based_on=live.number)
        pack_lifecycle.submit_version(user=manager, key=PACK, number=version.number)
        pack_lifecycle.approve_version(user=admin, key=PACK, number=version.number)  # the second pair of eyes
        pack_lifecycle.publish_version(user=manager, key=PACK, number=version.number)


def _size_rows(label: str, app, client, headers) -> list[dict]:
    full, full_bytes, full_s = _bundle(client, headers)
    baseline = _popups_baseline(app)
    places = len(full["upserts"]["places"])
    shown = next(ref for card in full["upserts"]["cards"].values() for ref in card["components"]["talk_tracks"]
                 if ref.startswith(f"{PACK}/"))
    _edit_pack(app, shown.split("/")[2])
    delta, delta_bytes, delta_s = _bundle(client, headers, since=full["version"])
    changed = {s: len(v) for s, v in delta["upserts"].items() if v}
    return [
        {"name": f"bundle gzip, {label} ({places} places; target ≤ 500 KB)", "value": round(full_bytes / 1024, 1),
         "unit": "KiB", "baseline": "one full popup per place, gzip", "baseline_value": round(baseline / 1024, 1)},
        {"name": f"bundle build + gzip time, {label}", "value": round(full_s * 1000, 1), "unit": "ms",
         "baseline": None, "baseline_value": None, "ratio": None},
        {"name": f"delta build + gzip time (place cards cached), {label}", "value": round(delta_s * 1000, 1),
         "unit": "ms", "baseline": None, "baseline_value": None, "ratio": None},
        {"name": f"delta after one pack edit, {label} (target ≤ 10 KB; changed {changed})",
         "value": round(delta_bytes / 1024, 2), "unit": "KiB", "baseline": "full bundle, gzip",
         "baseline_value": round(full_bytes / 1024, 1)},
    ]


def _replay_rows(db_path: Path, place_ids: list[int]) -> list[dict]:
    import requests

    # ServerProcess logs to a file: running_server's unread pipe fills up after ~1,000 request log lines.
    from tests.servers import restartable_server

    at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def outbox(n: int) -> list[dict]:
        return [{"id": str(uuid.uuid4()), "type": "visit", "at": at, "place_id": place_ids[i % len(place_ids)],
                 "data": {"note": "拜访设备科，确认明年超声更新论证时间", "next_step": "周二送参数表"}}
                for i in range(n)]

    with restartable_server(db_path, SECRET_KEY="bench-sync") as server:
        session = requests.Session()
        token = session.post(f"{server.base}/api/v1/auth/login",
                             json={"email": REP, "password": "demo-password"}, timeout=10).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        def send(events: list[dict], batch: int) -> tuple[float, dict]:
            counts: dict[str, int] = {}
            t0 = time.perf_counter()
            for start in range(0, len(events), batch):
                response = session.post(f"{server.base}/api/v1/events", headers=headers,
                                        json={"events": events[start:start + batch]}, timeout=30)
                response.raise_for_status()
                for result in response.json()["results"]:
                    counts[result["status"]] = counts.get(result["status"], 0) + 1
            return time.perf_counter() - t0, counts

        events = outbox(REPLAY_EVENTS)
        first_s, first = send(events, REPLAY_BATCH)
        again_s, again = send(events, REPLAY_BATCH)
        single_s, single = send(outbox(REPLAY_EVENTS), 1)
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        ids = [e["id"] for e in events]
        marks = ",".join("?" * len(ids))
        rows = conn.execute(f"SELECT COUNT(*) FROM events WHERE id IN ({marks})", ids).fetchone()[0]
    assert first == {"accepted": REPLAY_EVENTS} and again == {"duplicate": REPLAY_EVENTS}, (first, again)
    assert single == {"accepted": REPLAY_EVENTS}, single
    return [
        {"name": f"replay {REPLAY_EVENTS} events in batches of {REPLAY_BATCH}, real server (target ≤ 2 s)",
         "value": round(first_s, 3), "unit": "s", "baseline": "one request per event",
         "baseline_value": round(single_s, 3)},
        {"name": f"replay the same {REPLAY_EVENTS} again (all duplicate)", "value": round(again_s, 3), "unit": "s",
         "baseline": "one request per event", "baseline_value": round(single_s, 3)},
        {"name": "duplicate rows stored after replaying twice (must be 0)", "value": rows - REPLAY_EVENTS,
         "unit": "rows", "baseline": None, "baseline_value": None, "ratio": None},
    ]


def run() -> list[dict]:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Place

    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        app = _demo_app(tmp, STATE_POLL_S=0.0)
        with app.app_context():
            place_ids = list(db.session.scalars(select(Place.id)))
            db.session.remove()
            db.engine.dispose()
        server_db = tmp / "server.db"
        shutil.copy(tmp / "bench.db", server_db)
        rows = _replay_rows(server_db, place_ids)

        client = app.test_client()
        token = client.post("/api/v1/auth/login", json={"email": REP, "password": "demo-password"}).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        rows = _size_rows("demo territory", app, client, headers) + rows
        _add_synthetic_places(app, SYNTHETIC_PLACES, rng)
        rows[4:4] = _size_rows(f"demo + {SYNTHETIC_PLACES:,} synthetic places", app, client, headers)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
