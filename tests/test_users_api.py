"""Users and the team (docs/team.md): who sees and changes whom, creating users, password strength, deactivation."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Region, User, UserRegion
from tests.test_auth import assert_error_shape

ADMIN = "admin@demo.battlemap"
MANAGER = "manager@demo.battlemap"  # shanghai
MANAGER2 = "manager2@demo.battlemap"  # shanghai, leads 浦东网格
HZ_MANAGER = "manager.hz@demo.battlemap"
REP = "rep@demo.battlemap"  # shanghai, 徐汇网格
HZ_REP = "rep.hz@demo.battlemap"
USER_FIELDS = {"id", "email", "name", "role", "region", "grid", "skill_level", "tags", "active", "locale",
               "discount_limit_cny", "is_grid_leader", "created_at"}
STRONG = "Xuhui-2026-field"


def new_user(**changes):
    return {"email": "new.rep@demo.battlemap", "name": "吴磊", "password": STRONG, "role": "rep",
            "region": "shanghai", **changes}


def user_id(app, email):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def listed(client, auth, email=MANAGER, query=""):
    response = client.get(f"/api/v1/users{query}", headers=auth.headers(email))
    assert response.status_code == 200, response.get_json()
    return {u["email"]: u for u in response.get_json()["items"]}


def test_a_manager_lists_the_people_of_their_region_only(client, auth):
    """Does a Shanghai manager see Shanghai's reps, guide and managers (not the admin, not Hangzhou), in the
    documented shape and never a password hash?"""
    people = listed(client, auth)
    assert {REP, "rep3@demo.battlemap", "guide@demo.battlemap", MANAGER, MANAGER2} <= set(people)
    assert not {ADMIN, HZ_MANAGER, HZ_REP} & set(people)
    rep = people[REP]
    assert set(rep) >= USER_FIELDS and not {"password", "password_hash"} & set(rep)
    assert (rep["region"], rep["grid"], rep["role"], rep["active"]) == ("shanghai", "sh-xuhui", "rep", True)
    assert people["rep3@demo.battlemap"]["is_grid_leader"] is True and rep["is_grid_leader"] is False
    assert people[MANAGER2]["is_grid_leader"] is True
    assert rep["created_at"].endswith("Z") and rep["discount_limit_cny"] == 5_000
    everyone = listed(client, auth, ADMIN)
    assert {ADMIN, HZ_MANAGER, HZ_REP} <= set(everyone)


@pytest.mark.parametrize(("query", "expected"), [
    ("?grid=sh-xuhui", {REP, "rep2@demo.battlemap", "rep3@demo.battlemap"}),
    ("?grid=sh-pudong&role=rep", {"rep4@demo.battlemap", "rep5@demo.battlemap"}),
    ("?role=manager", {MANAGER, MANAGER2}),
    ("?q=%E5%BC%A0%E6%99%93", {"rep2@demo.battlemap"}),  # 张晓
    ("?q=REP5", {"rep5@demo.battlemap"}),
    ("?region=shanghai&role=guide", {"guide@demo.battlemap"}),
    ("?active=false", set()),
])
def test_filters(client, auth, query, expected):
    assert set(listed(client, auth, query=query)) == expected


def test_listing_is_refused_to_reps_and_out_of_region(client, auth):
    """Is a rep refused (403), and a Shanghai manager asking for Hangzhou (403), and an unknown region 422?"""
    assert_error_shape(client.get("/api/v1/users", headers=auth.headers(REP)), 403, "forbidden")
    assert_error_shape(client.get("/api/v1/users?region=hangzhou", headers=auth.headers(MANAGER)), 403)
    error = assert_error_shape(client.get("/api/v1/users?region=mars", headers=auth.headers(MANAGER)), 422)
    assert "region" in error["fields"]
    assert_error_shape(client.get("/api/v1/users?active=maybe", headers=auth.headers(MANAGER)), 400)
    assert_error_shape(client.get("/api/v1/users"), 401)


def test_get_one_user(client, auth, app):
    """Can a manager read a rep of their region, but not one of another region (403) or nobody (404)?"""
    response = client.get(f"/api/v1/users/{user_id(app, REP)}", headers=auth.headers(MANAGER))
    assert response.status_code == 200 and response.get_json()["email"] == REP
    assert_error_shape(client.get(f"/api/v1/users/{user_id(app, HZ_REP)}", headers=auth.headers(MANAGER)), 403)
    assert_error_shape(client.get("/api/v1/users/99999", headers=auth.headers(MANAGER)), 404, "user_not_found")
    assert_error_shape(client.get(f"/api/v1/users/{user_id(app, REP)}", headers=auth.headers(REP)), 403)


def test_a_manager_creates_a_rep_in_a_grid_who_can_log_in(client, auth, app):
    """POST /users: 201 with the user, Location, audited; the new rep logs in with the password."""
    response = client.post("/api/v1/users", json=new_user(grid="sh-pudong", skill_level="junior",
                                                          tags=[" 医疗器械 ", "医疗器械", "新人"]),
                           headers=auth.headers(MANAGER))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) >= USER_FIELDS and "password" not in body
    assert response.headers["Location"] == f"/api/v1/users/{body['id']}"
    assert (body["grid"], body["region"], body["skill_level"], body["tags"]) == (
        "sh-pudong", "shanghai", "junior", ["医疗器械", "新人"])
    assert body["discount_limit_cny"] == 5_000 and body["active"] is True
    assert auth.login("new.rep@demo.battlemap", STRONG).status_code == 200
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.created")).one()
        assert entry.target_id == body["id"] and entry.actor_id == user_id(app, MANAGER)


def test_an_admin_creates_a_manager_who_manages_the_region(client, auth, app):
    response = client.post("/api/v1/users", json=new_user(email="m.hz2@demo.battlemap", role="manager",
                                                          region="hangzhou"), headers=auth.headers(ADMIN))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["discount_limit_cny"] == 50_000
    with app.app_context():
        managed = db.session.scalars(select(Region.key).join(UserRegion, UserRegion.region_id == Region.id)
                                     .where(UserRegion.user_id == response.get_json()["id"])).all()
    assert managed == ["hangzhou"]
    people = listed(client, auth, HZ_MANAGER)
    assert "m.hz2@demo.battlemap" in people


@pytest.mark.parametrize(("who", "body", "status", "code"), [
    (REP, new_user(), 403, "forbidden"),
    (MANAGER, new_user(role="manager"), 403, "forbidden"),
    (MANAGER, new_user(role="admin"), 403, "forbidden"),
    (MANAGER, new_user(region="hangzhou"), 403, "forbidden"),
    (MANAGER, new_user(region="mars"), 422, "invalid_values"),
    (MANAGER, new_user(region=None), 422, "invalid_values"),
    (MANAGER, new_user(grid="no-such-grid"), 422, "invalid_values"),
    (HZ_MANAGER, new_user(region="hangzhou", grid="sh-xuhui"), 422, "invalid_values"),
    (MANAGER, new_user(email=REP.upper()), 409, "user_exists"),
    (MANAGER, new_user(discount_limit_cny=80_000), 422, "invalid_values"),
    (MANAGER, new_user(counter_type="moon"), 422, "invalid_values"),
    (MANAGER, new_user(skill_level="wizard"), 422, "invalid_values"),
    (MANAGER, new_user(email="not-an-email"), 422, "invalid_values"),
    (MANAGER, {"name": "x"}, 400, "malformed_request"),
    (MANAGER, None, 400, "malformed_request"),
])
def test_bad_creates_answer_in_the_error_shape(client, auth, who, body, status, code):
    """Are roles above the manager's, other regions, unknown references, taken emails and broken bodies refused?"""
    response = client.post("/api/v1/users", json=body, headers=auth.headers(who))
    error = assert_error_shape(response, status, code)
    if code == "invalid_values":
        assert error["fields"]


@pytest.mark.parametrize(("password", "reasons"), [
    ("Ab1-short", ["too_short"]),
    ("abcdefghijkl", ["one_class"]),
    ("1234567890", ["one_class", "common"]),
    ("password123", ["common"]),
    ("new.rep-2026!", ["contains_email"]),
    ("短", ["too_short", "one_class"]),
])
def test_weak_passwords_are_refused_with_the_reasons(client, auth, app, password, reasons):
    """Is a short, one-kind, common or email-based password answered 422 weak_password naming the field?"""
    response = client.post("/api/v1/users", json=new_user(password=password), headers=auth.headers(MANAGER))
    error = assert_error_shape(response, 422, "weak_password")
    assert error["reasons"] == reasons and error["min_length"] == 10
    assert len(error["fields"]["password"]) == len(reasons)
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "new.rep@demo.battlemap")) is None


def test_a_manager_changes_a_reps_level_tags_grid_and_name(client, auth, app):
    """PATCH: does a manager's change land, leave the rest alone, and get audited with the fields?"""
    rep_id = user_id(app, REP)
    response = client.patch(f"/api/v1/users/{rep_id}", json={"skill_level": "senior", "tags": ["集采经验"],
                                                              "grid": "sh-pudong", "name": "李明远"},
                            headers=auth.headers(MANAGER))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["skill_level"], body["tags"], body["grid"], body["name"]) == ("senior", ["集采经验"], "sh-pudong",
                                                                             "李明远")
    assert body["email"] == REP and body["role"] == "rep"
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.updated")).one()
        assert entry.detail["fields"] == ["grid", "name", "skill_level", "tags"]
    assert client.patch(f"/api/v1/users/{rep_id}", json={"grid": None}, headers=auth.headers(MANAGER)) \
        .get_json()["grid"] is None


@pytest.mark.parametrize(("who", "target", "body", "status"), [
    (MANAGER, MANAGER2, {"name": "x"}, 403),
    (MANAGER, MANAGER2, {"password": STRONG}, 403),
    (MANAGER, HZ_REP, {"skill_level": "senior"}, 403),
    (MANAGER, REP, {"role": "manager"}, 403),
    (MANAGER, REP, {"role": "admin"}, 403),
    (MANAGER, REP, {"region": "hangzhou"}, 403),
    (MANAGER, REP, {"grid": "nope"}, 422),
    (MANAGER, REP, {"discount_limit_cny": None}, 422),
    (MANAGER, REP, {"password": "weak"}, 422),
    (MANAGER, REP, {}, 422),
    (REP, REP, {"skill_level": "senior"}, 403),
    (ADMIN, ADMIN, {"active": False}, 422),
    (ADMIN, ADMIN, {"role": "rep"}, 422),
])
def test_forbidden_and_invalid_changes(client, auth, app, who, target, body, status):
    """Can a manager touch another manager, another region's rep, escalate a role? Can an admin lock
    themselves out? No."""
    response = client.patch(f"/api/v1/users/{user_id(app, target)}", json=body, headers=auth.headers(who))
    assert_error_shape(response, status)


def test_a_manager_switches_a_rep_to_guide_and_an_admin_may_do_anything(client, auth, app):
    """Rep → guide by a manager (the guide's limit follows the role); an admin sets any limit, even none."""
    rep_id = user_id(app, "rep2@demo.battlemap")
    guide = client.patch(f"/api/v1/users/{rep_id}", json={"role": "guide", "counter_type": "pharmacy"},
                         headers=auth.headers(MANAGER)).get_json()
    assert (guide["role"], guide["discount_limit_cny"], guide["counter_type"]) == ("guide", 500, "pharmacy")
    response = client.patch(f"/api/v1/users/{rep_id}", json={"discount_limit_cny": None, "role": "manager"},
                            headers=auth.headers(ADMIN))
    assert response.status_code == 200 and response.get_json()["discount_limit_cny"] is None
    assert response.get_json()["grid"] == "sh-xuhui"


def test_moving_a_rep_to_another_region_drops_the_old_grid_and_leadership(client, auth, app):
    """An admin moves the 徐汇 leader rep3 to Hangzhou: does the grid go, and does 徐汇网格 lose its leader?"""
    response = client.patch(f"/api/v1/users/{user_id(app, 'rep3@demo.battlemap')}", json={"region": "hangzhou"},
                            headers=auth.headers(ADMIN))
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["region"], response.get_json()["grid"]) == ("hangzhou", None)
    assert response.get_json()["is_grid_leader"] is False
    grid = client.get("/api/v1/grids/sh-xuhui", headers=auth.headers(MANAGER)).get_json()
    assert grid["leader"] is None and grid["leader_name"] is None


def test_a_deactivated_user_cannot_log_in_and_their_token_stops_working(client, auth, app):
    """Deactivate a rep: is their existing token refused (401 user_inactive), their log-in too, and does
    reactivating let them back in?"""
    headers = auth.headers(REP)
    assert client.get("/api/v1/places?lat=31.2&lon=121.45", headers=headers).status_code == 200
    rep_id = user_id(app, REP)
    response = client.patch(f"/api/v1/users/{rep_id}", json={"active": False}, headers=auth.headers(MANAGER))
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert_error_shape(client.get("/api/v1/places?lat=31.2&lon=121.45", headers=headers), 401, "user_inactive")
    assert_error_shape(auth.login(), 401, "user_inactive")
    assert REP in listed(client, auth, query="?active=false")
    client.patch(f"/api/v1/users/{rep_id}", json={"active": True}, headers=auth.headers(MANAGER))
    # the deactivation ended the old login for good (docs/security.md); a new log-in works
    assert_error_shape(client.get("/api/v1/places?lat=31.2&lon=121.45", headers=headers), 401, "token_revoked")
    assert client.get("/api/v1/places?lat=31.2&lon=121.45", headers=auth.headers(REP)).status_code == 200


def test_a_manager_resets_a_reps_password(client, auth, app):
    response = client.patch(f"/api/v1/users/{user_id(app, REP)}", json={"password": STRONG},
                            headers=auth.headers(MANAGER))
    assert response.status_code == 200
    assert auth.login(REP, STRONG).status_code == 200
    assert_error_shape(auth.login(REP), 401, "invalid_credentials")


def test_search_create_and_deactivate_on_postgresql(pg_app):
    """The same on PostgreSQL: a case-insensitive search with a literal ``_``, a create, a deactivation."""
    from tests.conftest import AuthActions

    client = pg_app.test_client()
    auth = AuthActions(client)
    manager = auth.headers(MANAGER)
    created = client.post("/api/v1/users", json=new_user(email="pg_rep@demo.battlemap"), headers=manager)
    assert created.status_code == 201, created.get_json()
    found = client.get("/api/v1/users?q=PG_REP", headers=manager).get_json()["items"]
    assert [u["email"] for u in found] == ["pg_rep@demo.battlemap"]
    assert client.get("/api/v1/users?q=pgxrep", headers=manager).get_json()["items"] == []
    patched = client.patch(f"/api/v1/users/{created.get_json()['id']}", json={"active": False}, headers=manager)
    assert patched.status_code == 200
    inactive = client.get("/api/v1/users?active=false", headers=manager).get_json()["items"]
    assert [u["email"] for u in inactive] == ["pg_rep@demo.battlemap"]
    assert_error_shape(auth.login("pg_rep@demo.battlemap", STRONG), 401, "user_inactive")
