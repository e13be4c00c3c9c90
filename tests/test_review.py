"""The manager's console on the server (issue 9): the second pair of eyes, review comments, the pack list's
filters, validation with the CLI's messages, YAML in and out, reusable components and the audience."""

from datetime import timedelta

import pytest
import yaml
from sqlalchemy import select

from app import jobs
from app.extensions import db
from content_packs import PACKS_DIR
from tests.test_auth import assert_error_shape
from tests.test_packs_api import (
    ADMIN,
    MANAGER,
    PACK,
    REVIEWER,
    Packs,
    add_user,
    iso,
    reviewed_manager,
    second_review,
    small_pack,
    utcnow,
)


@pytest.fixture
def manager(app, client, auth):
    return reviewed_manager(app, client, auth)


@pytest.fixture
def reviewer(manager):
    return manager.reviewer


def name_of(app, email: str) -> str:
    from app.models import User

    with app.app_context():
        return db.session.scalar(select(User.name).where(User.email == email))


def draft(manager, **changes) -> int:
    return manager.new_version({**manager.body(), **changes})


def submitted(manager, **changes) -> int:
    number = draft(manager, **changes)
    assert manager.step(number, "submit").status_code == 200
    return number


def status_of(app, number: int, key: str = PACK) -> str:
    from app.services.pack_queries import find_pack, version_of

    with app.app_context():
        return version_of(find_pack(key), number).status


# ---------------------------------------------------------------------------------------------------------
# The second pair of eyes


def test_the_author_cannot_publish_their_own_version(app, manager):
    """The same manager submits and tries to publish: 403 second_reviewer_required, and nothing goes live."""
    number = submitted(manager, name="改名")
    error = assert_error_shape(manager.step(number, "publish"), 403, "second_reviewer_required")
    assert "approve" in error["message"]
    assert status_of(app, number) == "in_review"
    version = manager.get(f"/packs/{PACK}/versions/{number}").get_json()
    assert version["review"] == {"required": True, "approved": False, "can_publish": False}
    assert version["created_by"]["name"] == "周海峰" and version["submitted_by"]["name"] == "周海峰"
    assert version["approved_by"] is None and version["approved_at"] is None


def test_the_author_cannot_approve_and_another_manager_can(app, manager, reviewer):
    """Approve: not by the author (403), by manager2 (200, audited); then the author may publish."""
    number = submitted(manager, name="改名")
    assert_error_shape(manager.step(number, "approve"), 403, "second_reviewer_required")
    reviewers_view = reviewer.get(f"/packs/{PACK}/versions/{number}").get_json()["review"]
    assert reviewers_view == {"required": True, "approved": False, "can_publish": True}, \
        "a different manager may publish it directly"
    approved = reviewer.step(number, "approve", json={"note": "话术准确"}).get_json()
    assert approved["status"] == "in_review" and approved["approved_by"]["name"] == name_of(app, REVIEWER)
    assert approved["approved_at"] and approved["review"]["approved"] is True
    assert manager.get(f"/packs/{PACK}/versions/{number}").get_json()["review"]["can_publish"] is True
    published = manager.step(number, "publish")
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    entry = next(e for e in manager.get("/audit", pack=PACK).get_json()["items"] if e["action"] == "version.approved")
    assert entry["actor"]["email"] == REVIEWER and entry["to_version"] == number
    assert entry["detail"] == {"via": "approve", "note": "话术准确"}


def test_publishing_by_another_manager_counts_as_their_approval(app, manager, reviewer):
    number = submitted(manager, name="改名")
    published = reviewer.step(number, "publish").get_json()
    assert published["status"] == "published"
    assert published["approved_by"]["name"] == name_of(app, REVIEWER)
    actions = [e["action"] for e in manager.get("/audit", pack=PACK).get_json()["items"][:2]]
    assert actions == ["version.published", "version.approved"]


def test_a_submitter_who_did_not_write_it_is_an_author_too(app, client, auth, manager, reviewer):
    """manager2 submits manager's draft: neither of them may publish alone; the admin may."""
    number = draft(manager, name="改名")
    reviewer.step(number, "submit")
    assert_error_shape(reviewer.step(number, "publish"), 403, "second_reviewer_required")
    assert_error_shape(manager.step(number, "publish"), 403, "second_reviewer_required")
    assert Packs(client, auth, ADMIN).step(number, "publish").status_code == 200


def test_approve_is_for_in_review_versions_only(manager, reviewer):
    number = draft(manager, name="改名")
    error = assert_error_shape(reviewer.step(number, "approve"), 409, "invalid_transition")
    assert error["fields"] == {"status": ["draft"]} and "submit it for review first" in error["message"]
    assert_error_shape(reviewer.step(1, "approve"), 409, "invalid_transition")


def test_without_second_review_the_author_publishes(app, manager):
    """A region that does not ask for a second pair of eyes keeps the one-manager flow."""
    second_review(app, on=False)
    number = submitted(manager, name="改名")
    version = manager.get(f"/packs/{PACK}/versions/{number}").get_json()
    assert version["review"] == {"required": False, "approved": False, "can_publish": True}
    assert manager.step(number, "publish").status_code == 200


def test_the_author_cannot_schedule_publishing_without_approval(app, manager, reviewer):
    """Scheduling is publishing later: the author needs approval; another manager's schedule is their approval."""
    number = submitted(manager, name="改名")
    at = iso(utcnow() + timedelta(hours=1))
    assert_error_shape(manager.step(number, "schedule", json={"publish_at": at}), 403, "second_reviewer_required")
    expiry = manager.step(number, "schedule", json={"expires_at": iso(utcnow() + timedelta(days=9))})
    assert expiry.status_code == 200, "an expiry publishes nothing"
    scheduled = reviewer.step(number, "schedule", json={"publish_at": at}).get_json()
    assert scheduled["publish_at"] == at and scheduled["approved_by"]["name"] == name_of(app, REVIEWER)


def test_the_job_skips_a_due_version_nobody_else_approved(app, manager, reviewer, field):
    """Scheduled while the region had no second review, then the region turned it on: the job waits until
    someone other than the author approves, and publishes on its next run."""
    second_review(app, on=False)
    number = submitted(manager, name="改名")
    publish_at = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
    assert manager.step(number, "schedule", json={"publish_at": iso(publish_at)}).status_code == 200
    second_review(app, on=True)
    sock = field("rep@demo.battlemap")
    with app.app_context():
        assert jobs.publish_due_versions(now=publish_at + timedelta(minutes=1)) == []
    assert status_of(app, number) == "in_review"
    assert not [m for m in sock.get_received("/field") if m["name"] == "pack.updated"]
    reviewer.step(number, "approve")
    with app.app_context():
        [change] = jobs.publish_due_versions(now=publish_at + timedelta(minutes=2))
    assert change.version == number and status_of(app, number) == "published"


def test_every_transition_is_in_one_table():
    """Does every status have a hint, and does every step name statuses that exist?"""
    from app.models import PACK_STATUSES
    from app.services.pack_lifecycle import HINTS, TRANSITIONS, VersionStatus

    assert set(HINTS) == set(VersionStatus) and {s.value for s in VersionStatus} == set(PACK_STATUSES)
    assert {"submit", "approve", "reject", "publish", "schedule_publish", "schedule_expiry", "rollback",
            "expire"} <= set(TRANSITIONS)
    assert TRANSITIONS["publish"].sources == (VersionStatus.IN_REVIEW,)
    assert TRANSITIONS["rollback"].target is VersionStatus.PUBLISHED


# ---------------------------------------------------------------------------------------------------------
# Review comments


def test_reviewers_comment_per_component(app, manager, reviewer):
    number = submitted(manager, name="改名")
    track_id = manager.body(PACK, number)["talk_tracks"][0]["id"]
    response = reviewer.post(f"/packs/{PACK}/versions/{number}/comments",
                             {"component_id": track_id, "body": "第二句太长，建议拆开。"})
    assert response.status_code == 201, response.get_json()
    comment = response.get_json()
    assert comment["component_id"] == track_id and comment["body"] == "第二句太长，建议拆开。"
    assert comment["author"]["name"] == name_of(app, REVIEWER) and comment["created_at"].endswith("Z")
    whole = reviewer.post(f"/packs/{PACK}/versions/{number}/comments", {"body": "整体可以发布。"}).get_json()
    assert whole["component_id"] is None
    items = manager.get(f"/packs/{PACK}/versions/{number}/comments").get_json()["items"]
    assert [c["id"] for c in items] == [comment["id"], whole["id"]]
    entry = manager.get("/audit", pack=PACK).get_json()["items"][0]
    assert (entry["action"], entry["detail"]["component_id"]) == ("version.commented", None)


def test_a_comment_on_an_unknown_component_is_422(manager, reviewer):
    number = submitted(manager, name="改名")
    error = assert_error_shape(reviewer.post(f"/packs/{PACK}/versions/{number}/comments",
                                             {"component_id": "no-such-track", "body": "?"}), 422, "invalid_values")
    assert "component_id" in error["fields"]
    assert_error_shape(reviewer.post(f"/packs/{PACK}/versions/{number}/comments", {"body": "   "}), 422)
    assert_error_shape(reviewer.post(f"/packs/{PACK}/versions/{number}/comments", {}), 400)
    assert_error_shape(reviewer.get(f"/packs/{PACK}/versions/99/comments"), 404)


# ---------------------------------------------------------------------------------------------------------
# The list and its filters


def test_the_list_shows_each_versions_status_and_filters(app, manager, reviewer):
    number = submitted(manager, name="改名")
    at = utcnow().replace(microsecond=0) + timedelta(days=1)
    reviewer.step(number, "schedule", json={"publish_at": iso(at)})
    manager.post("/packs", {"body": small_pack()})
    items = {p["id"]: p for p in manager.get("/packs").get_json()["items"]}
    assert items[PACK]["versions"] == [
        {"number": 1, "status": "published", "scheduled": False, "publish_at": None, "expires_at": None},
        {"number": number, "status": "in_review", "scheduled": True, "publish_at": iso(at), "expires_at": None}]
    assert items[PACK]["scheduled"] is True and items["night-clinic-visits"]["scheduled"] is False
    assert items[PACK]["grid"] is None

    def ids(**query):
        response = manager.get("/packs", **query)
        assert response.status_code == 200, response.get_json()
        return {p["id"] for p in response.get_json()["items"]}

    assert ids(status="scheduled") == {PACK}
    assert ids(status="draft") == {"night-clinic-visits"}
    assert PACK in ids(status="published") and "night-clinic-visits" not in ids(status="published")
    assert ids(zone_type="aesthetics_cluster") == {"aesthetics-cluster"}
    assert {PACK, "night-clinic-visits"} <= ids(zone_type="procurement_led")
    assert ids(zone_type="procurement_led", status="draft") == {"night-clinic-visits"}
    assert_error_shape(manager.get("/packs", status="lost"), 422)
    assert_error_shape(manager.get("/packs", grid="no-such-grid"), 422)


def test_a_trigger_rule_puts_a_pack_under_its_zone_type(client, auth, manager):
    """A rule for community_retail that shows a hospital pack lists that pack under community_retail too."""
    rule = {"name": "社区店也讲集采", "region": "shanghai", "event": "enter_place",
            "conditions": {"zone_types": ["community_retail"]},
            "show": [{"pack": PACK, "kind": "talk_tracks", "limit": 1}]}
    assert client.post("/api/v1/rules", json=rule, headers=auth.headers(MANAGER)).status_code == 201
    assert PACK in {p["id"] for p in manager.get("/packs", zone_type="community_retail").get_json()["items"]}


def test_the_grid_filter(app, manager):
    from app.models import ContentPack, Grid, Region

    with app.app_context():
        region = db.session.scalar(select(Region).where(Region.key == "shanghai"))
        grid = db.session.scalar(select(Grid).where(Grid.key == "review-test-grid")) or Grid(
            key="review-test-grid", name="测试网格", region_id=region.id)
        db.session.add(grid)
        db.session.flush()
        db.session.scalar(select(ContentPack).where(ContentPack.key == PACK)).grid_id = grid.id
        db.session.commit()
    items = manager.get("/packs", grid="review-test-grid").get_json()["items"]
    assert [(p["id"], p["grid"]) for p in items] == [(PACK, "review-test-grid")]


# ---------------------------------------------------------------------------------------------------------
# Validation with the CLI's messages, YAML in and out


def cli_messages(runner, tmp_path, text: str) -> dict[str, list[str]]:
    """What `flask packs validate` prints for ``text`` saved as <id>.yaml: location → messages."""
    folder = tmp_path / "validate"
    folder.mkdir(exist_ok=True)
    (folder / "night-clinic-visits.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(args=["packs", "validate", str(folder)])
    assert result.exit_code != 0
    out: dict[str, list[str]] = {}
    for line in result.output.splitlines():
        if line.startswith("Error: "):
            line = line[len("Error: "):]
        if ".yaml: " not in line:
            continue
        location, message = line.split(".yaml: ", 1)[1].split(": ", 1)
        out.setdefault(location, []).append(message)
    return out


def broken_pack() -> dict:
    body = small_pack()
    body["version"] = 1
    body["talk_tracks"][0]["objections"] = body["talk_tracks"][0]["objections"][:2]
    body["talk_tracks"][0]["stage"] = "lunch"
    body["compliance_notes"][0]["expires_on"] = "2027-02-30"
    return body


def test_validate_gives_exactly_the_messages_of_the_cli(runner, tmp_path, manager):
    """Does the console's check say what `flask packs validate` says, for JSON and for YAML, storing nothing?"""
    body = broken_pack()
    text = yaml.safe_dump(body, allow_unicode=True, sort_keys=False)
    expected = cli_messages(runner, tmp_path, text)
    assert expected["talk_tracks[0].objections"] == ["Length must be at least 3"]
    for payload in ({"body": body}, {"yaml": text}):
        response = manager.post("/packs/validate", payload)
        assert response.status_code == 200, response.get_json()
        answer = response.get_json()
        assert answer["valid"] is False and answer["errors"] == expected
        assert answer["message"].startswith("talk_tracks[0].") and "另有 2 处问题" in answer["message"]
    english = manager.post("/packs/validate", {"body": body, "locale": "en"}).get_json()["message"]
    assert english.endswith("(and 2 more)")
    assert manager.get("/packs/night-clinic-visits").status_code == 404, "nothing stored"
    ok = manager.post("/packs/validate", {"body": small_pack()}).get_json()
    assert ok == {"valid": True, "errors": {}, "message": None}


def test_validate_also_checks_the_database(manager):
    """An id another pack uses and an unknown region are problems too; a YAML syntax error names its line."""
    body = small_pack(region="atlantis")
    body["talk_tracks"][0]["id"] = manager.body()["talk_tracks"][0]["id"]
    errors = manager.post("/packs/validate", {"body": body}).get_json()["errors"]
    assert PACK in errors["talk_tracks[0].id"][0] and errors["region"] == ["Unknown region 'atlantis'"]
    broken = manager.post("/packs/validate", {"yaml": "id: x\n  name: [\n"}).get_json()
    assert broken["valid"] is False and next(iter(broken["errors"])).startswith("line ")
    assert manager.post("/packs/validate", {"body": manager.body()}).get_json()["valid"] is True, \
        "the pack's own live version is valid against itself"
    assert_error_shape(manager.post("/packs/validate", {}), 400)
    assert_error_shape(manager.post("/packs/validate", {"body": {}, "yaml": "x"}), 422)


def test_validate_never_names_another_regions_pack(app, client, auth, manager):
    hz = add_user(app, "hz-validate@demo.battlemap", role="manager", region="hangzhou", manages=("hangzhou",))
    assert hz
    other = Packs(client, auth, "hz-validate@demo.battlemap")
    assert other.post("/packs", {"body": small_pack("west-lake-clinics", region="hangzhou", prefix="wl")}
                      ).status_code == 201
    body = small_pack(prefix="wl")
    message = manager.post("/packs/validate", {"body": body}).get_json()["errors"]["talk_tracks[0].id"][0]
    assert "west-lake-clinics" not in message and "another pack" in message


def test_yaml_export_and_import_from_the_screen(app, runner, manager):
    """GET …/yaml is `flask packs export`; POST …/versions takes that YAML back (edited) as a new draft."""
    response = manager.get(f"/packs/{PACK}/versions/1/yaml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/yaml; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text == runner.invoke(args=["packs", "export", PACK, "--version", "1"]).output
    edited = text.replace("name: 集采主导型·三甲医院作战包", "name: 集采主导型·三甲医院作战包（YAML）", 1)
    created = manager.post(f"/packs/{PACK}/versions", {"yaml": edited, "note": "从 YAML 导入"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["body"]["name"] == "集采主导型·三甲医院作战包（YAML）"
    assert created.get_json()["note"] == "从 YAML 导入"
    new_pack = yaml.safe_dump(small_pack(), allow_unicode=True)
    assert manager.post("/packs", {"yaml": new_pack}).status_code == 201, "version may be left out"
    error = assert_error_shape(manager.post(f"/packs/{PACK}/versions",
                                            {"yaml": edited.replace("stage: ", "stage: lunch_", 1)}), 422)
    assert any(k.startswith("yaml.talk_tracks[") and k.endswith(".stage") for k in error["fields"])
    assert "yaml" in assert_error_shape(manager.post("/packs", {"yaml": "- just\n- a list\n"}), 422)["fields"]
    assert_error_shape(manager.post("/packs", {"note": "nothing"}), 400)


# ---------------------------------------------------------------------------------------------------------
# Reusable components


def test_components_of_the_managers_regions_to_copy(app, client, auth, manager):
    items = manager.get("/components").get_json()["items"]
    assert items and all(set(i) == {"pack", "kind", "id", "title", "component"} for i in items)
    track = next(i for i in items if i["id"] == "pl-tt-proposal-vbp")
    assert track["pack"] == {"key": PACK, "name": "集采主导型·三甲医院作战包", "version": 1}
    assert track["kind"] == "talk_tracks" and track["component"]["id"] == "pl-tt-proposal-vbp"
    counters = manager.get("/components", kind="counters").get_json()["items"]
    assert counters and {i["kind"] for i in counters} == {"counters"}
    found = manager.get("/components", q=track["title"][:4]).get_json()["items"]
    assert "pl-tt-proposal-vbp" in {i["id"] for i in found}
    add_user(app, "hz-comp@demo.battlemap", role="manager", region="hangzhou", manages=("hangzhou",))
    Packs(client, auth, "hz-comp@demo.battlemap").post(
        "/packs", {"body": small_pack("west-lake-clinics", region="hangzhou", prefix="wl")})
    assert "west-lake-clinics" not in {i["pack"]["key"] for i in manager.get("/components").get_json()["items"]}
    assert_error_shape(manager.get("/components", region="hangzhou"), 403, "forbidden")
    assert_error_shape(manager.get("/components", kind="jokes"), 422)
    assert_error_shape(client.get("/api/v1/components", headers=auth.headers("rep@demo.battlemap")), 403)


def test_a_copied_component_keeps_its_provenance_and_the_diff_shows_it(manager):
    """A counter copied from the hospital pack into another pack: valid with copied_from, shown in the diff."""
    counters = manager.get("/components", kind="counters").get_json()["items"]
    source = next(i for i in counters if i["pack"]["key"] == PACK)
    assert manager.post("/packs", {"body": small_pack()}).status_code == 201
    body = manager.body("night-clinic-visits", 1)
    copy = {**source["component"], "id": "nc-counter-copied",
            "copied_from": {"pack": PACK, "version": source["pack"]["version"], "id": source["id"]}}
    copy.pop("categories", None)
    number = manager.new_version({**body, "counters": [copy]}, key="night-clinic-visits")
    diff = manager.get("/packs/night-clinic-visits/diff", **{"from": 1, "to": number}).get_json()
    assert diff["components"]["added"] == [{"kind": "counters", "id": "nc-counter-copied", "title": copy["competitor"],
                                            "copied_from": copy["copied_from"]}]
    bad = {**copy, "copied_from": {"pack": PACK, "version": 0}}
    error = assert_error_shape(manager.post("/packs/night-clinic-visits/versions",
                                            {"body": {**body, "counters": [bad]}}), 400)
    assert "body.counters[0].copied_from.id" in error["fields"]


def test_shipped_packs_stay_valid_with_the_provenance_key(runner):
    result = runner.invoke(args=["packs", "validate", str(PACKS_DIR)])
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------------------------------------------------
# The audience before publishing (in one process; tests/test_presence.py crosses processes with Redis)


def test_audience_counts_the_reps_pack_updated_would_reach_and_who_is_online(app, manager, field):
    """As many reps as the publish would tell (the notifier's recipients), and of them those connected now."""
    number = submitted(manager, name="改名")
    url = f"/packs/{PACK}/versions/{number}/audience"
    assert manager.get(url).get_json() == {"reps": 5, "online": 0}
    field("rep@demo.battlemap")
    rep2 = field("rep2@demo.battlemap")
    field("guide@demo.battlemap")  # not in the pack's audience
    assert manager.get(url).get_json() == {"reps": 5, "online": 2}
    rep2.disconnect("/field")
    assert manager.get(url).get_json() == {"reps": 5, "online": 1}
    manager.approve(number)
    with app.app_context():
        from app.models import User
        from app.services import pack_lifecycle

        user = db.session.scalar(select(User).where(User.email == MANAGER))
        _, change = pack_lifecycle.publish_version(user=user, key=PACK, number=number)
    assert len(change.rep_ids) == 5, "the same computation as the publish"


def test_audience_of_a_narrower_version_still_counts_those_who_lose_it(manager):
    body = manager.body()
    number = manager.new_version({**body, "audience": {"roles": ["rep"], "skill_levels": ["senior"]}})
    assert manager.get(f"/packs/{PACK}/versions/{number}/audience").get_json()["reps"] == 5
    assert_error_shape(manager.get(f"/packs/{PACK}/versions/99/audience"), 404)



def test_openapi_describes_the_review_and_console_endpoints(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert "403" in paths["/api/v1/packs/{key}/versions/{number}/approve"]["post"]["responses"]
    assert {"get", "post"} <= set(paths["/api/v1/packs/{key}/versions/{number}/comments"])
    for path in ("/api/v1/packs/{key}/versions/{number}/yaml", "/api/v1/packs/{key}/versions/{number}/audience",
                 "/api/v1/components", "/api/v1/rules/options", "/api/v1/replay"):
        assert "get" in paths[path], path
    assert "post" in paths["/api/v1/packs/validate"]
