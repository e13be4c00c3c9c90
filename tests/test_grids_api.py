"""Grids (网格作战单元, docs/team.md): a region's units with a leader, places and a discount limit."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Place, User
from tests.test_auth import assert_error_shape

ADMIN = "admin@demo.battlemap"
MANAGER = "manager@demo.battlemap"  # shanghai
HZ_MANAGER = "manager.hz@demo.battlemap"
GRID_FIELDS = {"key", "name", "region", "leader", "leader_name", "discount_limit_cny", "rep_count", "place_count"}


def user_id(app, email):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def place_keys(app, prefix):
    with app.app_context():
        return sorted(db.session.scalars(select(Place.key).where(Place.key.startswith(prefix))))


def grid_of(app, place_key):
    with app.app_context():
        return db.session.scalar(select(Place.grid_id).where(Place.key == place_key))


def test_a_manager_lists_the_grids_of_their_region(client, auth, app):
    """Does a Shanghai manager see 徐汇网格 and 浦东网格 with leader, counts and limit — Hangzhou's manager none?"""
    response = client.get("/api/v1/grids", headers=auth.headers(MANAGER))
    assert response.status_code == 200
    grids = {g["key"]: g for g in response.get_json()["items"]}
    assert set(grids) == {"sh-xuhui", "sh-pudong"}
    xuhui = grids["sh-xuhui"]
    assert set(xuhui) >= GRID_FIELDS
    assert (xuhui["name"], xuhui["region"], xuhui["leader"], xuhui["leader_name"]) == (
        "徐汇网格", "shanghai", user_id(app, "rep3@demo.battlemap"), "王建国")
    assert xuhui["rep_count"] == 3 and xuhui["place_count"] == 5 and xuhui["discount_limit_cny"] == 50_000
    assert grids["sh-pudong"]["leader_name"] == "孙雅琴"
    assert client.get("/api/v1/grids", headers=auth.headers(HZ_MANAGER)).get_json()["items"] == []
    assert len(client.get("/api/v1/grids", headers=auth.headers(ADMIN)).get_json()["items"]) == 2
    assert client.get("/api/v1/grids?region=shanghai", headers=auth.headers(ADMIN)).get_json()["items"]


def test_one_grid_lists_its_places(client, auth):
    body = client.get("/api/v1/grids/sh-xuhui", headers=auth.headers(MANAGER)).get_json()
    assert len(body["place_keys"]) == body["place_count"] == 5
    assert "sh-zhongshan-hospital" in body["place_keys"]


@pytest.mark.parametrize(("who", "method", "path", "status"), [
    ("rep@demo.battlemap", "get", "/api/v1/grids", 403),
    ("rep3@demo.battlemap", "patch", "/api/v1/grids/sh-xuhui", 403),
    (HZ_MANAGER, "get", "/api/v1/grids/sh-xuhui", 403),
    (HZ_MANAGER, "patch", "/api/v1/grids/sh-xuhui", 403),
    (HZ_MANAGER, "get", "/api/v1/grids?region=shanghai", 403),
    (MANAGER, "get", "/api/v1/grids/no-such-grid", 404),
    (MANAGER, "patch", "/api/v1/grids/no-such-grid", 404),
    (MANAGER, "get", "/api/v1/grids?region=mars", 422),
])
def test_who_may_see_and_change_grids(client, auth, who, method, path, status):
    response = getattr(client, method)(path, json={"name": "x"} if method == "patch" else None,
                                       headers=auth.headers(who))
    error = assert_error_shape(response, status)
    if status == 404:
        assert error["code"] == "grid_not_found"


def test_a_manager_creates_a_grid_with_a_leader_and_places(client, auth, app):
    """POST /grids: 201 + Location; the rep leader joins the grid; the places move in; audited."""
    manager = auth.headers(MANAGER)
    keys = place_keys(app, "sh-aes-")[:3]
    guide = user_id(app, "guide@demo.battlemap")
    body = {"key": "sh-jingan", "name": "静安网格", "region": "shanghai", "leader": guide}
    assert_error_shape(client.post("/api/v1/grids", json=body, headers=manager), 422)
    rep5 = user_id(app, "rep5@demo.battlemap")
    assert_error_shape(client.post("/api/v1/grids", json={**body, "leader": rep5}, headers=manager),
                       422)  # rep5 belongs to 浦东网格
    client.patch(f"/api/v1/users/{rep5}", json={"grid": None}, headers=manager)
    response = client.post("/api/v1/grids", json={**body, "leader": rep5, "place_keys": keys,
                                                  "discount_limit_cny": 20_000}, headers=manager)
    assert response.status_code == 201, response.get_json()
    grid = response.get_json()
    assert response.headers["Location"] == "/api/v1/grids/sh-jingan"
    assert (grid["leader"], grid["leader_name"], grid["rep_count"], grid["place_count"]) == (rep5, "刘洋", 1, 3)
    assert grid["place_keys"] == keys and grid["discount_limit_cny"] == 20_000
    person = client.get(f"/api/v1/users/{rep5}", headers=manager).get_json()
    assert person["grid"] == "sh-jingan" and person["is_grid_leader"] is True
    with app.app_context():
        assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "grid.created")).one()
    again = client.post("/api/v1/grids", json={**body, "leader": None}, headers=manager)
    assert_error_shape(again, 409, "grid_exists")


@pytest.mark.parametrize(("body", "status"), [
    ({"key": "hz-a", "name": "上城网格", "region": "hangzhou"}, 403),
    ({"key": "x", "name": "x", "region": "mars"}, 422),
    ({"key": "Bad Key", "name": "x", "region": "shanghai"}, 422),
    ({"key": "sh-x", "name": "x", "region": "shanghai", "discount_limit_cny": 80_000}, 422),
    ({"key": "sh-x", "name": "x", "region": "shanghai", "discount_limit_cny": -1}, 422),
    ({"key": "sh-x", "name": "x", "region": "shanghai", "place_keys": ["hz-zju1-qingchun"]}, 422),
    ({"key": "sh-x", "name": "x", "region": "shanghai", "place_keys": ["no-such-place"]}, 422),
    ({"key": "sh-x", "name": "x", "region": "shanghai", "leader": 99999}, 422),
    ({"name": "x", "region": "shanghai"}, 400),
])
def test_bad_grids_are_refused(client, auth, body, status):
    """Another region (403), unknown region or places, a foreign place, a limit above the manager's own, a
    leader who does not exist: refused in the one error shape."""
    error = assert_error_shape(client.post("/api/v1/grids", json=body, headers=auth.headers(MANAGER)), status)
    if status == 422:
        assert error["fields"]


def test_a_manager_from_the_region_may_lead_and_one_from_elsewhere_may_not(client, auth, app):
    manager = auth.headers(MANAGER)
    hz = user_id(app, HZ_MANAGER)
    assert_error_shape(client.patch("/api/v1/grids/sh-xuhui", json={"leader": hz}, headers=manager),
                       422)
    response = client.patch("/api/v1/grids/sh-xuhui", json={"leader": user_id(app, MANAGER)},
                            headers=manager)
    assert response.status_code == 200 and response.get_json()["leader_name"] == "周海峰"
    cleared = client.patch("/api/v1/grids/sh-xuhui", json={"leader": None}, headers=manager)
    assert cleared.get_json()["leader"] is None


def test_patch_place_keys_sets_exactly_the_grids_places(client, auth, app):
    """PATCH place_keys replaces the grid's places; POST /places adds (taking a place from another grid)."""
    manager = auth.headers(MANAGER)
    xuhui = client.get("/api/v1/grids/sh-xuhui", headers=manager).get_json()["place_keys"]
    keep = xuhui[:2]
    response = client.patch("/api/v1/grids/sh-xuhui", json={"place_keys": keep, "name": "徐汇枫林网格"},
                            headers=manager)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["place_keys"] == sorted(keep) and response.get_json()["name"] == "徐汇枫林网格"
    assert grid_of(app, xuhui[-1]) is None
    pudong_place = client.get("/api/v1/grids/sh-pudong", headers=manager).get_json()["place_keys"][0]
    added = client.post("/api/v1/grids/sh-xuhui/places", json={"place_keys": [pudong_place, xuhui[-1]]},
                        headers=manager)
    assert added.status_code == 200, added.get_json()
    assert set(added.get_json()["place_keys"]) == {*keep, pudong_place, xuhui[-1]}
    assert pudong_place not in client.get("/api/v1/grids/sh-pudong", headers=manager).get_json()[
        "place_keys"]
    assert_error_shape(client.post("/api/v1/grids/sh-xuhui/places", json={"place_keys": []},
                                   headers=manager), 422)
    assert_error_shape(client.post("/api/v1/grids/sh-xuhui/places", json={"place_keys": ["hz-zju1-qingchun"]},
                                   headers=manager), 422)
    empty = client.patch("/api/v1/grids/sh-xuhui", json={"place_keys": []}, headers=manager)
    assert empty.get_json()["place_count"] == 0
