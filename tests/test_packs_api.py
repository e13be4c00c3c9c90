"""The manager API for content packs: listing, creating, editing, diff, scoping and audit (issue 4)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.conftest import DEMO_PASSWORD
from tests.test_auth import assert_error_shape

MANAGER = "manager@demo.battlemap"
REVIEWER = "manager2@demo.battlemap"  # the second pair of eyes in shanghai
ADMIN = "admin@demo.battlemap"
PACK = "procurement-led-hospitals"
API = "/api/v1"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def small_pack(key: str = "night-clinic-visits", *, region: str = "shanghai", roles=("rep",),
               skill_levels=None, prefix: str = "nc") -> dict:
    """A minimal valid pack body with its own component ids."""
    audience = {"roles": list(roles), **({"skill_levels": list(skill_levels)} if skill_levels else {})}
    return {
        "id": key, "name": "夜间门诊拜访作战包", "description": "晚间门诊时段拜访科室主任的打法。",
        "region": region, "zone_types": ["procurement_led"], "categories": ["tier3_hospital"],
        "audience": audience,
        "talk_tracks": [{
            "id": f"{prefix}-tt-evening-open", "title": "晚间门诊后的五分钟", "stage": "discovery",
            "lines": ["主任，门诊刚结束，我只占您五分钟。", "想确认一下明年超声更新的论证时间。"],
            "objections": [
                {"objection": "现在太晚了。", "response": "那我约您下周二上午十点，带好材料。"},
                {"objection": "预算还没批。", "response": "我先把论证需要的参数表发给您。"},
                {"objection": "你们太贵。", "response": "我们按五年总拥有成本给您算一遍。"},
            ],
        }],
        "compliance_notes": [{"id": f"{prefix}-cn-hours", "title": "拜访时段", "text": "不在诊疗时间打扰医生。"}],
    }


def add_user(app, email: str, *, role: str, region: str, skill_level: str | None = None,
             manages: tuple[str, ...] = ()) -> int:
    """A user of ``region`` (a manager of ``manages``); the password is the demo one. A user the demo already
    has (e.g. manager2, once the demo ships it) is kept as it is."""
    from app.models import Region, User, UserRegion
    from app.services.auth import hash_password

    with app.app_context():
        existing = db.session.scalar(select(User.id).where(User.email == email))
        if existing is not None:
            return existing
        regions = {r.key: r.id for r in db.session.scalars(select(Region))}
        user = User(email=email, name=email.split("@")[0], role=role, skill_level=skill_level, tags=[],
                    region_id=regions[region], password_hash=hash_password(DEMO_PASSWORD))
        db.session.add(user)
        db.session.flush()
        db.session.add_all(UserRegion(user_id=user.id, region_id=regions[r]) for r in manages)
        db.session.commit()
        return user.id


def second_review(app, region: str = "shanghai", on: bool = True) -> None:
    """Turn the region's second pair of eyes on (the demo's setting) or off."""
    from app.models import Region

    with app.app_context():
        db.session.scalar(select(Region).where(Region.key == region)).second_review = on
        db.session.commit()


class Packs:
    """Calls to the packs API as one user; ``reviewer`` (another manager) approves what ``release`` publishes."""

    def __init__(self, client, auth, email: str = MANAGER, reviewer: "Packs | None" = None):
        self.client = client
        self.email = email
        self.headers = auth.headers(email)
        self.reviewer = reviewer

    def get(self, path: str, **query):
        return self.client.get(API + path, headers=self.headers, query_string=query)

    def post(self, path: str, json=None):
        return self.client.post(API + path, headers=self.headers, json=json)

    def body(self, key: str = PACK, number: int = 1) -> dict:
        response = self.get(f"/packs/{key}/versions/{number}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["body"]

    def new_version(self, body: dict, key: str = PACK, **extra) -> int:
        response = self.post(f"/packs/{key}/versions", {"body": body, **extra})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["number"]

    def step(self, number: int, action: str, key: str = PACK, json=None):
        return self.post(f"/packs/{key}/versions/{number}/{action}", json)

    def approve(self, number: int, key: str = PACK):
        """The reviewer approves the version (the second pair of eyes)."""
        response = self.reviewer.step(number, "approve", key)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def release(self, number: int, key: str = PACK):
        """submit, the reviewer approves, then publish."""
        assert self.step(number, "submit", key).status_code == 200
        if self.reviewer is not None:
            self.approve(number, key)
        response = self.step(number, "publish", key)
        assert response.status_code == 200, response.get_json()
        return response.get_json()


def reviewed_manager(app, client, auth) -> Packs:
    """The shanghai manager, with shanghai's second review on and manager2 as the reviewer."""
    add_user(app, REVIEWER, role="manager", region="shanghai", manages=("shanghai",))
    second_review(app)
    return Packs(client, auth, reviewer=Packs(client, auth, REVIEWER))


@pytest.fixture
def manager(app, client, auth):
    return reviewed_manager(app, client, auth)


@pytest.fixture
def admin(client, auth):
    return Packs(client, auth, ADMIN)


@pytest.fixture
def hangzhou_manager(app, client, auth):
    add_user(app, "hz-manager@demo.battlemap", role="manager", region="hangzhou", manages=("hangzhou",))
    return Packs(client, auth, "hz-manager@demo.battlemap")


def region_pack_keys(app, region: str) -> set[str]:
    """The keys of the region's packs in the database (the demo's shipped packs and any a test added)."""
    from app.models import ContentPack, Region

    with app.app_context():
        return set(db.session.scalars(select(ContentPack.key).join(Region, Region.id == ContentPack.region_id)
                                      .where(Region.key == region)))


def test_manager_lists_the_packs_of_their_region(app, manager):
    """Does a manager see every shanghai pack with its live version and version counts?"""
    response = manager.get("/packs")
    assert response.status_code == 200
    items = {p["id"]: p for p in response.get_json()["items"]}
    assert set(items) == region_pack_keys(app, "shanghai") and len(items) >= 7 and PACK in items
    assert items[PACK]["live_version"] == 1
    assert items[PACK]["latest_version"] == 1
    assert items[PACK]["status_counts"] == {"published": 1}
    assert items[PACK]["region"] == "shanghai"
    assert [p["id"] for p in manager.get("/packs", region="shanghai").get_json()["items"]] == sorted(items)


def test_filtering_by_a_region_not_managed_is_forbidden(manager):
    assert_error_shape(manager.get("/packs", region="hangzhou"), 403, "forbidden")
    assert_error_shape(manager.get("/packs", region="atlantis"), 422, "invalid_values")


ENDPOINTS = [
    ("get", "/packs", None),
    ("post", "/packs", {"body": small_pack()}),
    ("get", f"/packs/{PACK}", None),
    ("get", f"/packs/{PACK}/versions", None),
    ("get", f"/packs/{PACK}/versions/1", None),
    ("post", f"/packs/{PACK}/versions", {"body": small_pack(PACK)}),
    ("post", f"/packs/{PACK}/versions/1/submit", None),
    ("post", f"/packs/{PACK}/versions/1/publish", None),
    ("post", f"/packs/{PACK}/versions/1/reject", None),
    ("post", f"/packs/{PACK}/versions/1/schedule", {"expires_at": "2099-01-01T00:00:00Z"}),
    ("post", f"/packs/{PACK}/rollback", {"version": 1}),
    ("get", f"/packs/{PACK}/diff", None),
    ("get", "/audit", None),
]


@pytest.mark.parametrize("email", ["rep@demo.battlemap", "guide@demo.battlemap"])
@pytest.mark.parametrize(("method", "path", "json"), ENDPOINTS)
def test_reps_and_guides_get_403_on_every_manager_endpoint(client, auth, email, method, path, json):
    """Can a rep or a store guide use any pack-management endpoint? (No.)"""
    headers = auth.headers(email)
    response = getattr(client, method)(API + path, headers=headers, json=json)
    assert_error_shape(response, 403, "forbidden")


def test_manager_endpoints_need_a_token(client):
    assert_error_shape(client.get(f"{API}/packs"), 401)


def test_create_pack_makes_draft_version_1(manager):
    """Does POST /packs store the body as draft v1, answer 201 with a Location, and audit it?"""
    response = manager.post("/packs", {"body": small_pack(), "note": "first cut"})
    assert response.status_code == 201, response.get_json()
    assert response.headers["Location"].endswith(f"{API}/packs/night-clinic-visits")
    pack = response.get_json()
    assert pack["id"] == "night-clinic-visits" and pack["region"] == "shanghai"
    assert pack["live_version"] is None
    assert [(v["number"], v["status"], v["note"]) for v in pack["versions"]] == [(1, "draft", "first cut")]
    body = manager.body("night-clinic-visits", 1)
    assert body["version"] == 1, "the server sets the body's version to the version number"
    assert body["talk_tracks"] == small_pack()["talk_tracks"]
    [entry] = manager.get("/audit", pack="night-clinic-visits").get_json()["items"]
    assert (entry["action"], entry["to_version"], entry["actor"]["email"]) == ("pack.created", 1, MANAGER)


def test_body_errors_name_the_path_inside_the_body_and_the_rule(manager):
    """Does a broken pack body say where (body.talk_tracks[0].objections) and which rule was broken?"""
    body = small_pack()
    body["talk_tracks"][0]["objections"] = body["talk_tracks"][0]["objections"][:2]
    body["talk_tracks"][0]["stage"] = "lunch"
    error = assert_error_shape(manager.post("/packs", {"body": body}), 422, "invalid_values")
    assert error["fields"]["body.talk_tracks[0].objections"] == ["Length must be at least 3"]
    assert error["fields"]["body.talk_tracks[0].stage"][0].startswith("Must be one of: prospecting")
    assert "body.talk_tracks[0]" in error["message"]
    assert manager.get("/packs/night-clinic-visits").status_code == 404


def test_unreadable_pack_requests_are_400(manager):
    assert_error_shape(manager.post("/packs", None), 400, "malformed_request")
    error = assert_error_shape(manager.post("/packs", {"body": {**small_pack(), "colour": "red"}}), 400)
    assert error["fields"] == {"body.colour": ["Unknown field"]}
    assert_error_shape(manager.post("/packs", {"body": "id: x"}), 400, "malformed_request")


def test_a_component_id_of_another_pack_is_refused(manager):
    """Component ids are unique across packs: reusing one of the demo pack's ids names that pack."""
    body = small_pack()
    demo_track_id = manager.body()["talk_tracks"][0]["id"]
    body["talk_tracks"][0]["id"] = demo_track_id
    error = assert_error_shape(manager.post("/packs", {"body": body}), 422, "invalid_values")
    assert PACK in error["fields"]["body.talk_tracks[0].id"][0]


def test_creating_an_existing_pack_is_a_conflict(manager):
    body = manager.body()
    assert_error_shape(manager.post("/packs", {"body": body}), 409, "pack_exists")


def test_unknown_region_is_invalid(manager):
    error = assert_error_shape(manager.post("/packs", {"body": small_pack(region="atlantis")}), 422)
    assert "body.region" in error["fields"]


def test_new_version_is_a_draft_based_on_the_latest(manager):
    """Does an edit become draft v2 based on v1, leaving v1 live and unchanged?"""
    body = manager.body()
    original_first_line = body["talk_tracks"][0]["lines"][0]
    body["talk_tracks"][0]["lines"][0] = "科长您好，今天只想确认一下明年的预算申报节点。"
    response = manager.post(f"/packs/{PACK}/versions", {"body": body, "note": "shorter opener"})
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/packs/{PACK}/versions/2")
    created = response.get_json()
    assert (created["number"], created["status"], created["based_on"], created["live"]) == (2, "draft", 1, False)
    assert created["body"]["version"] == 2
    assert manager.body(PACK, 1)["talk_tracks"][0]["lines"][0] == original_first_line
    assert manager.get(f"/packs/{PACK}").get_json()["live_version"] == 1


def test_new_version_rules(manager):
    """An edit keeps the pack's id and region, names an existing base and changes something."""
    body = manager.body()
    assert_error_shape(manager.post(f"/packs/{PACK}/versions", {"body": body}), 422, "invalid_values")
    error = assert_error_shape(manager.post(f"/packs/{PACK}/versions", {"body": {**body, "region": "hangzhou"}}), 422)
    assert "body.region" in error["fields"]
    error = assert_error_shape(manager.post(f"/packs/{PACK}/versions", {"body": {**body, "id": "other"}}), 422)
    assert "body.id" in error["fields"]
    error = assert_error_shape(manager.post(f"/packs/{PACK}/versions",
                                            {"body": {**body, "name": "新"}, "based_on": 9}), 422)
    assert "based_on" in error["fields"]
    assert_error_shape(manager.post("/packs/no-such-pack/versions", {"body": small_pack("no-such-pack")}), 404)
    assert_error_shape(manager.get(f"/packs/{PACK}/versions/9"), 404, "not_found")


def test_diff_names_components_and_lines_that_changed(manager):
    """Does the diff list added, removed and changed components, and the changed lines of a talk-track?"""
    body = manager.body()
    track = body["talk_tracks"][0]
    old_line = track["lines"][0]
    track["lines"][0] = "科长您好，今天只想确认预算申报节点。"
    track["objections"][1]["response"] = "我们先把参数表发给您。"
    removed = body["counters"].pop()
    body["local_cases"].append({"id": "pl-case-new", "title": "新案例", "place_category": "tier3_hospital",
                                "summary": "做了什么", "result": "结果"})
    body["name"] = "集采主导型·三甲医院作战包（修订）"
    manager.new_version(body)

    response = manager.get(f"/packs/{PACK}/diff", **{"from": 1, "to": 2})
    assert response.status_code == 200
    diff = response.get_json()
    assert (diff["pack_id"], diff["from"], diff["to"]) == (PACK, 1, 2)
    assert diff["components"]["added"] == [{"kind": "local_cases", "id": "pl-case-new", "title": "新案例"}]
    assert [(c["kind"], c["id"]) for c in diff["components"]["removed"]] == [("counters", removed["id"])]
    [changed] = diff["components"]["changed"]
    assert (changed["kind"], changed["id"]) == ("talk_tracks", track["id"])
    fields = {f["field"]: f for f in changed["fields"]}
    assert set(fields) == {"lines", "objections"}
    assert f"-{old_line}" in fields["lines"]["lines"]
    assert "+科长您好，今天只想确认预算申报节点。" in fields["lines"]["lines"]
    assert any(line.startswith("+") and "我们先把参数表发给您。" in line for line in fields["objections"]["lines"])
    assert diff["pack"] == [{"field": "name", "from": "集采主导型·三甲医院作战包", "to": body["name"]}]
    assert diff["summary"] == {"pack_fields": 1, "added": 1, "removed": 1, "changed": 1}
    assert manager.get(f"/packs/{PACK}/diff").get_json() == diff, "default: latest against its base"
    reverse = manager.get(f"/packs/{PACK}/diff", **{"from": 2, "to": 1}).get_json()
    assert [c["id"] for c in reverse["components"]["added"]] == [removed["id"]]


def test_diff_of_the_first_version_needs_a_from(manager):
    manager.post("/packs", {"body": small_pack()})
    assert_error_shape(manager.get("/packs/night-clinic-visits/diff"), 422, "invalid_values")
    assert_error_shape(manager.get(f"/packs/{PACK}/diff", to=7), 404)


def test_manager_of_another_region_gets_403(app, manager, hangzhou_manager):
    """Can a hangzhou manager read or change a shanghai pack? (No — and vice versa.)"""
    body = manager.body()
    manager.new_version({**body, "name": "改名"})
    for response in (
        hangzhou_manager.get(f"/packs/{PACK}"),
        hangzhou_manager.get(f"/packs/{PACK}/versions/1"),
        hangzhou_manager.get(f"/packs/{PACK}/diff"),
        hangzhou_manager.post(f"/packs/{PACK}/versions", {"body": {**body, "name": "又改名"}}),
        hangzhou_manager.step(2, "submit"),
        hangzhou_manager.step(2, "publish"),
        hangzhou_manager.step(1, "schedule", json={"expires_at": "2099-01-01T00:00:00Z"}),
        hangzhou_manager.post(f"/packs/{PACK}/rollback", {"version": 1}),
        hangzhou_manager.get("/audit", pack=PACK),
        hangzhou_manager.post("/packs", {"body": small_pack()}),
    ):
        assert_error_shape(response, 403, "forbidden")
    shanghai = region_pack_keys(app, "shanghai")
    assert not {p["id"] for p in hangzhou_manager.get("/packs").get_json()["items"]} & shanghai
    assert not {e["pack_id"] for e in hangzhou_manager.get("/audit").get_json()["items"]} & shanghai

    created = hangzhou_manager.post("/packs", {"body": small_pack("west-lake-clinics", region="hangzhou",
                                                                  prefix="wl")})
    assert created.status_code == 201
    assert {p["id"] for p in hangzhou_manager.get("/packs").get_json()["items"]} == \
        region_pack_keys(app, "hangzhou") and "west-lake-clinics" in region_pack_keys(app, "hangzhou")
    assert_error_shape(manager.get("/packs/west-lake-clinics"), 403, "forbidden")
    assert "west-lake-clinics" not in {p["id"] for p in manager.get("/packs").get_json()["items"]}


def test_admin_manages_every_region(app, admin, hangzhou_manager):
    hangzhou_manager.post("/packs", {"body": small_pack("west-lake-clinics", region="hangzhou", prefix="wl")})
    assert {p["id"] for p in admin.get("/packs").get_json()["items"]} == \
        region_pack_keys(app, "shanghai") | region_pack_keys(app, "hangzhou")
    assert admin.get("/packs/west-lake-clinics").status_code == 200
    assert hangzhou_manager.step(1, "submit", "west-lake-clinics").status_code == 200
    published = admin.step(1, "publish", "west-lake-clinics").get_json()
    assert published["status"] == "published", "an admin is a second pair of eyes in every region"
    assert published["approved_by"]["name"] == "系统管理员"


def test_audit_records_who_did_what_from_which_version(manager):
    """Is every change in the audit log, newest first, with actor, versions and detail?"""
    body = manager.body()
    number = manager.new_version({**body, "name": "改名"}, note="rename")
    manager.step(number, "submit", json={"note": "ready"})
    manager.step(number, "schedule", json={"expires_at": iso(utcnow() + timedelta(days=30))})
    manager.approve(number)
    manager.step(number, "publish")
    manager.post(f"/packs/{PACK}/rollback", {"version": 1})

    items = manager.get("/audit", pack=PACK).get_json()["items"]
    actions = [(e["action"], e["from_version"], e["to_version"], e["actor"]["email"]) for e in items[:6]]
    assert actions[:6] == [
        ("version.rolled_back", 2, 1, MANAGER),
        ("version.published", 1, 2, MANAGER),
        ("version.approved", None, 2, REVIEWER),
        ("version.scheduled", None, 2, MANAGER),
        ("version.submitted", None, 2, MANAGER),
        ("version.created", 1, 2, MANAGER),
    ]
    assert all(e["pack_id"] == PACK for e in items[:6])
    assert items[5]["detail"] == {"note": "rename"}
    assert items[3]["detail"]["before"]["expires_at"] is None and items[3]["detail"]["after"]["expires_at"]
    assert len(manager.get("/audit", pack=PACK, limit=2).get_json()["items"]) == 2
    assert_error_shape(manager.get("/audit", pack="no-such-pack"), 404)
    everything = manager.get("/audit").get_json()["items"]
    assert {e["id"] for e in items} <= {e["id"] for e in everything}


def test_schedule_rules(manager):
    """Are past times, expiry before publishing and unreadable times refused?"""
    number = manager.new_version({**manager.body(), "name": "改名"})
    assert_error_shape(manager.step(number, "schedule", json={"publish_at": iso(utcnow() + timedelta(hours=1))}),
                       409, "invalid_transition")
    manager.step(number, "submit")
    manager.approve(number)
    past = iso(utcnow() - timedelta(minutes=1))
    error = assert_error_shape(manager.step(number, "schedule", json={"publish_at": past}), 422, "invalid_values")
    assert "publish_at" in error["fields"]
    error = assert_error_shape(manager.step(number, "schedule", json={
        "publish_at": iso(utcnow() + timedelta(days=2)), "expires_at": iso(utcnow() + timedelta(days=1))}), 422)
    assert "expires_at" in error["fields"]
    assert_error_shape(manager.step(number, "schedule", json={"publish_at": "next tuesday"}), 400)
    assert_error_shape(manager.step(number, "schedule", json=["publish_at"]), 400)
    assert_error_shape(manager.step(number, "schedule", json={}), 422)

    publish_at = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    response = manager.step(number, "schedule", json={"publish_at": publish_at.isoformat() + "+08:00"})
    assert response.status_code == 200
    assert response.get_json()["publish_at"] == iso(publish_at - timedelta(hours=8)), "stored in UTC"
    assert manager.get(f"/packs/{PACK}").get_json()["pending_publish_at"] == iso(publish_at - timedelta(hours=8))
    cleared = manager.step(number, "schedule", json={"publish_at": None})
    assert cleared.get_json()["publish_at"] is None


def test_openapi_describes_the_pack_endpoints(client):
    spec = client.get("/openapi.json").get_json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/packs"])
    for path in ("/api/v1/packs/{key}/versions/{number}/publish", "/api/v1/packs/{key}/rollback",
                 "/api/v1/packs/{key}/versions/{number}/schedule"):
        assert "409" in paths[path]["post"]["responses"], path
    assert "/api/v1/packs/{key}/diff" in paths and "/api/v1/audit" in paths
    assert "Pack" in spec["components"]["schemas"]
