"""``flask packs import|export`` and ``flask scheduler run`` (issue 4)."""

import shutil
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, PackVersion
from content_packs import PACKS_DIR, parse_pack
from tests.test_multiprocess import server  # noqa: F401 (fixture)
from tests.test_packs_api import PACK, Packs, iso, reviewed_manager, utcnow


def version_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PackVersion))


def stored(app, key: str = PACK) -> dict[int, tuple[str, dict]]:
    from app.services.pack_queries import find_pack

    with app.app_context():
        pack = find_pack(key)
        rows = db.session.scalars(select(PackVersion).where(PackVersion.pack_id == pack.id))
        return {v.number: (v.status, v.body) for v in rows}


def copy_pack(tmp_path: Path, key: str = PACK) -> Path:
    folder = tmp_path / "packs"
    folder.mkdir(exist_ok=True)
    return Path(shutil.copy(PACKS_DIR / f"{key}.yaml", folder / f"{key}.yaml"))


def test_importing_the_shipped_packs_again_changes_nothing(app, runner):
    """Is `flask packs import` idempotent: the demo already holds every shipped pack, so no new version?"""
    before = version_count(app)
    shipped = len(list(PACKS_DIR.glob("*.yaml")))
    for _ in range(2):
        result = runner.invoke(args=["packs", "import"])
        assert result.exit_code == 0, result.output
        assert f"{shipped} packs read, 0 new versions, 0 published." in result.output
        assert result.output.count("unchanged, published") == shipped
        assert f"[{shipped}/{shipped}]" in result.output
    assert version_count(app) == before


def test_import_adds_a_version_only_when_the_body_changed(app, runner, tmp_path):
    """A changed file → one new draft; importing it again → nothing; --publish → that draft goes live."""
    path = copy_pack(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("description: ", "description: 2027 修订。", 1), encoding="utf-8")

    result = runner.invoke(args=["packs", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{PACK}: v2 created, draft" in result.output
    versions = stored(app)
    assert {n: s for n, (s, _) in versions.items()} == {1: "published", 2: "draft"}
    assert versions[2][1]["description"].startswith("2027 修订。")

    result = runner.invoke(args=["packs", "import", str(path)])
    assert "v2 unchanged, draft" in result.output and "0 new versions" in result.output

    result = runner.invoke(args=["packs", "import", "--publish", str(path.parent)])
    assert result.exit_code == 0, result.output
    assert "v2 unchanged, published" in result.output and "1 published" in result.output
    assert {n: s for n, (s, _) in stored(app).items()} == {1: "superseded", 2: "published"}
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.to_version == 2)))
    assert "version.created" in actions and "version.published" in actions


def test_a_broken_file_names_the_path_and_imports_nothing(app, runner, tmp_path):
    path = copy_pack(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("stage: prospecting", "stage: lunch", 1), encoding="utf-8")
    other = copy_pack(tmp_path, "community-retail")
    other.write_text(other.read_text(encoding="utf-8").replace("description: ", "description: 新。", 1),
                     encoding="utf-8")
    before = version_count(app)
    result = runner.invoke(args=["packs", "import", str(path.parent)])
    assert result.exit_code != 0
    assert f"{PACK}.yaml: talk_tracks[0].stage: Must be one of" in result.output
    assert version_count(app) == before


def test_a_rule_broken_against_the_database_imports_nothing(app, runner, tmp_path):
    """Moving a pack to another region is refused with the path, and nothing of the batch is kept."""
    changed = copy_pack(tmp_path, "community-retail")
    changed.write_text(changed.read_text(encoding="utf-8").replace("description: ", "description: 新。", 1),
                       encoding="utf-8")
    moved = copy_pack(tmp_path)
    moved.write_text(moved.read_text(encoding="utf-8").replace("region: shanghai", "region: hangzhou"),
                     encoding="utf-8")
    before = version_count(app)
    result = runner.invoke(args=["packs", "import", str(changed), str(moved)])
    assert result.exit_code != 0
    assert f"{PACK}.yaml: region: A pack cannot move to another region" in result.output
    assert "Nothing imported." in result.output
    assert version_count(app) == before


def test_export_round_trips_through_validate_and_import(app, runner, client, auth, tmp_path):
    """Does an exported version validate, parse back to the identical body and re-import as no change?"""
    manager = Packs(client, auth)
    body = manager.body()
    body["talk_tracks"][0]["lines"].append("最后一句：'yes' 和 no、on: 都要原样保存。")
    body["compliance_notes"][0]["expires_on"] = "2028-02-29"
    number = manager.new_version(body)

    out = tmp_path / "export" / f"{PACK}.yaml"
    out.parent.mkdir()
    result = runner.invoke(args=["packs", "export", PACK, "--version", str(number), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert parse_pack(text) == stored(app)[number][1]

    result = runner.invoke(args=["packs", "validate", str(out.parent)])
    assert result.exit_code == 0 and "1 packs valid." in result.output
    before = version_count(app)
    result = runner.invoke(args=["packs", "import", str(out)])
    assert result.exit_code == 0 and f"v{number} unchanged" in result.output
    assert version_count(app) == before

    live = runner.invoke(args=["packs", "export", PACK])
    assert live.exit_code == 0
    assert parse_pack(live.output) == stored(app)[1][1], "default: the live version"
    assert runner.invoke(args=["packs", "export", "no-such-pack"]).exit_code != 0


def test_scheduler_run_once_runs_the_jobs(app, runner, client, auth):
    """Does `flask scheduler run --once` publish what is due? (publish_at is moved into the past directly.)"""
    manager = reviewed_manager(app, client, auth)
    number = manager.new_version({**manager.body(), "name": "改名"})
    manager.step(number, "submit")
    manager.approve(number)
    assert manager.step(number, "schedule", json={"publish_at": iso(utcnow() + timedelta(hours=1))}).status_code == 200
    from app.services.pack_queries import find_pack, version_of

    with app.app_context():
        version = version_of(find_pack(PACK), number)
        version.publish_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    result = runner.invoke(args=["scheduler", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "packs.publish_due: 1 changes" in result.output
    assert "packs.expire_due: 0 changes" in result.output
    assert "geo.purge_fixes: 0 changes" in result.output
    assert stored(app)[number][0] == "published"


def test_jobs_are_declared_with_stable_ids(app):
    """Does the scheduler hold each job once under its stable id, however often it is built?"""
    from apscheduler.schedulers.background import BackgroundScheduler

    from app.jobs import JOBS, build_scheduler

    scheduler = build_scheduler(app, BackgroundScheduler)
    assert not scheduler.running, "building a scheduler never starts it"
    ids = [job.id for job in JOBS]
    assert len(ids) == len(set(ids)) and {"packs.expire_due", "packs.publish_due", "geo.purge_fixes"} <= set(ids)
    scheduler.start(paused=True)  # jobs reach the job store; none runs
    try:
        assert sorted(job.id for job in scheduler.get_jobs()) == sorted(ids)
        for job in JOBS:  # reconciling at a restart replaces, never duplicates
            scheduler.add_job(print, "interval", seconds=60, id=job.id, replace_existing=True)
        assert len(scheduler.get_jobs()) == len(ids)
    finally:
        scheduler.shutdown(wait=False)


def test_the_scheduler_process_pushes_through_the_message_queue(server):  # noqa: F811 (fixture)
    """With REDIS_URL, does a publish made by `flask scheduler run` (its own process) reach a rep connected
    to the web process — and not a rep outside the pack's audience?"""
    import subprocess
    import sys
    import time

    import requests
    import socketio as sio_client

    from tests.servers import ROOT

    base = f"http://127.0.0.1:{server['port']}/api/v1"

    def token(email: str) -> str:
        return requests.post(f"{base}/auth/login", json={"email": email, "password": "demo-password"},
                             timeout=5).json()["token"]

    manager = {"Authorization": f"Bearer {token('manager@demo.battlemap')}"}
    admin = {"Authorization": f"Bearer {token('admin@demo.battlemap')}"}  # the second pair of eyes
    body = requests.get(f"{base}/packs/{PACK}/versions/1", headers=manager, timeout=5).json()["body"]
    created = requests.post(f"{base}/packs/{PACK}/versions", headers=manager, timeout=5,
                            json={"body": {**body, "name": "改名"}})
    assert created.status_code == 201, created.text
    requests.post(f"{base}/packs/{PACK}/versions/2/submit", headers=manager, timeout=5).raise_for_status()
    requests.post(f"{base}/packs/{PACK}/versions/2/approve", headers=admin, timeout=5).raise_for_status()
    # Whole seconds on the wire: aim 3 s ahead so a slow machine never sends a time already past.
    publish_at = utcnow() + timedelta(seconds=3)
    requests.post(f"{base}/packs/{PACK}/versions/2/schedule", headers=manager, timeout=5,
                  json={"publish_at": iso(publish_at)}).raise_for_status()

    received = {"rep": [], "guide": []}
    clients = []
    for name in received:
        client = sio_client.Client()
        client.on("pack.updated", received[name].append, namespace="/field")
        client.connect(f"http://127.0.0.1:{server['port']}", namespaces=["/field"], transports=["websocket"],
                       auth={"token": token(f"{name}@demo.battlemap")}, wait_timeout=10)
        clients.append(client)
    try:
        time.sleep(max(0.0, (publish_at - utcnow()).total_seconds()) + 0.2)  # let publish_at pass
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run", "--once"],
                                cwd=ROOT, env=server["env"], capture_output=True, text=True, timeout=60)
        assert "packs.publish_due: 1 changes" in result.stdout, result.stdout + result.stderr
        deadline = time.monotonic() + 10
        while not received["rep"] and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        assert received == {"rep": [{"pack_id": PACK, "version": 2}], "guide": []}
    finally:
        for client in clients:
            client.disconnect()
