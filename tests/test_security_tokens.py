"""Tokens: a unique id each, an hour of access plus a rotating refresh token, logout, and revocation when a
password changes or an account is deactivated — refused on HTTP and at /field connect (docs/security.md)."""

import time

import pytest

from app.extensions import db, socketio
from app.models import AuthSession
from tests.conftest import DEMO_PASSWORD
from tests.test_auth import assert_error_shape

PLACES = "/api/v1/places?lat=31.2&lon=121.4"
NEW_PASSWORD = "Fengl1n-hospital-visit"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(client, email="rep@demo.battlemap", password=DEMO_PASSWORD) -> dict:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def refresh(client, refresh_token: str):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


def connects(app, token: str) -> bool:
    sock = socketio.test_client(app, namespace="/field", auth={"token": token})
    connected = sock.is_connected("/field")
    if connected:
        sock.disconnect("/field")
    return connected


def test_login_answers_an_access_token_a_refresh_token_and_their_lifetimes(client):
    body = login(client)
    assert {"token", "user", "refresh_token", "expires_in", "refresh_expires_in", "token_type"} <= set(body)
    assert body["expires_in"] == 3600
    assert 30 * 24 * 3600 - 60 <= body["refresh_expires_in"] <= 30 * 24 * 3600
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"] != body["token"]


def test_two_logins_in_the_same_second_get_different_tokens(client, app):
    """Are two logins at once two sessions with their own tokens, both working? (issue 11: they were equal)"""
    first, second = login(client), login(client)
    assert first["token"] != second["token"]
    assert first["refresh_token"] != second["refresh_token"]
    for body in (first, second):
        assert client.get(PLACES, headers=bearer(body["token"])).status_code == 200
    with app.app_context():
        assert db.session.query(AuthSession).filter_by(user_id=first["user"]["id"]).count() == 2


def test_a_refresh_token_is_not_an_access_token(client):
    body = login(client)
    assert_error_shape(client.get(PLACES, headers=bearer(body["refresh_token"])), 401, "token_invalid")
    assert_error_shape(refresh(client, body["token"]), 401, "token_invalid")


@pytest.mark.parametrize("config_overrides", [{"ACCESS_TOKEN_TTL_S": 1}])
def test_an_expired_access_token_is_refreshed_into_a_new_pair(client, app, config_overrides):
    """After the access token's hour, does the refresh token give a working pair, without a password?"""
    body = login(client)
    time.sleep(2.1)
    assert_error_shape(client.get(PLACES, headers=bearer(body["token"])), 401, "token_expired")
    assert not connects(app, body["token"])
    answer = refresh(client, body["refresh_token"])
    assert answer.status_code == 200, answer.get_json()
    fresh = answer.get_json()
    assert fresh["user"]["id"] == body["user"]["id"]
    assert fresh["refresh_token"] != body["refresh_token"]
    assert client.get(PLACES, headers=bearer(fresh["token"])).status_code == 200
    assert connects(app, fresh["token"])


@pytest.mark.parametrize("config_overrides", [{"REFRESH_GRACE_S": 0}])
def test_a_refresh_token_used_twice_ends_the_whole_session(client, config_overrides):
    """A refresh token someone kept a copy of: its second use ends the session, the thief's and the owner's."""
    body = login(client)
    rotated = refresh(client, body["refresh_token"]).get_json()
    time.sleep(0.01)
    assert_error_shape(refresh(client, body["refresh_token"]), 401, "token_revoked")
    assert_error_shape(client.get(PLACES, headers=bearer(rotated["token"])), 401, "token_revoked")
    assert_error_shape(refresh(client, rotated["refresh_token"]), 401, "token_revoked")


def test_the_previous_refresh_token_still_works_briefly_when_an_answer_was_lost(client):
    """A phone whose refresh answer was lost on a bad network retries with the old token and carries on."""
    body = login(client)
    assert refresh(client, body["refresh_token"]).status_code == 200  # the answer never reached the phone
    retried = refresh(client, body["refresh_token"])
    assert retried.status_code == 200
    assert client.get(PLACES, headers=bearer(retried.get_json()["token"])).status_code == 200


def test_logout_revokes_the_access_and_the_refresh_token(client, app):
    """After logout, is the old token refused everywhere — HTTP, refresh and /field connect?"""
    body = login(client)
    other = login(client)
    assert connects(app, body["token"])
    assert client.post("/api/v1/auth/logout", headers=bearer(body["token"])).status_code == 204
    error = assert_error_shape(client.get(PLACES, headers=bearer(body["token"])), 401, "token_revoked")
    assert error["message"]
    assert_error_shape(refresh(client, body["refresh_token"]), 401, "token_revoked")
    assert not connects(app, body["token"])
    assert client.get(PLACES, headers=bearer(other["token"])).status_code == 200, "only that login ended"
    assert client.post("/api/v1/auth/logout", headers=bearer(body["token"])).status_code == 204, "idempotent"


@pytest.mark.parametrize("config_overrides", [{"ACCESS_TOKEN_TTL_S": 1}])
def test_logout_works_with_an_expired_access_token_or_the_refresh_token_alone(client, config_overrides):
    body = login(client)
    time.sleep(2.1)
    assert client.post("/api/v1/auth/logout", headers=bearer(body["token"])).status_code == 204
    assert_error_shape(refresh(client, body["refresh_token"]), 401, "token_revoked")
    second = login(client)
    assert client.post("/api/v1/auth/logout", json={"refresh_token": second["refresh_token"]}).status_code == 204
    assert_error_shape(refresh(client, second["refresh_token"]), 401, "token_revoked")


def test_logout_everywhere_ends_every_login_of_the_user(client):
    phone, laptop = login(client), login(client)
    manager = login(client, "manager@demo.battlemap")
    response = client.post("/api/v1/auth/logout", json={"everywhere": True}, headers=bearer(phone["token"]))
    assert response.status_code == 204
    assert_error_shape(client.get(PLACES, headers=bearer(laptop["token"])), 401, "token_revoked")
    assert client.get(PLACES, headers=bearer(manager["token"])).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer forged"}])
def test_logout_needs_a_token_of_ours(client, headers):
    assert_error_shape(client.post("/api/v1/auth/logout", headers=headers), 401)


def test_a_password_change_revokes_every_token_of_the_user(client, app):
    """A manager resets a rep's password (a lost phone): do the rep's old tokens stop at once?"""
    rep = login(client)
    manager = login(client, "manager@demo.battlemap")
    sock = socketio.test_client(app, namespace="/field", auth={"token": rep["token"]})
    assert sock.is_connected("/field")
    response = client.patch(f"/api/v1/users/{rep['user']['id']}", json={"password": NEW_PASSWORD},
                            headers=bearer(manager["token"]))
    assert response.status_code == 200, response.get_json()
    assert_error_shape(client.get(PLACES, headers=bearer(rep["token"])), 401, "token_revoked")
    assert_error_shape(refresh(client, rep["refresh_token"]), 401, "token_revoked")
    assert not connects(app, rep["token"])
    ack = sock.emit("location", {"lat": 31.2, "lon": 121.4, "accuracy_m": 10}, namespace="/field", callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "token_revoked", "the open connection ends at its next fix"
    assert not sock.is_connected("/field")
    assert client.get(PLACES, headers=bearer(manager["token"])).status_code == 200, "the manager stays logged in"
    assert client.get(PLACES, headers=bearer(login(client, password=NEW_PASSWORD)["token"])).status_code == 200


def test_deactivation_revokes_the_tokens_for_good(client, app):
    """Deactivated and reactivated: do the tokens from before stay refused (ended, not just paused)?"""
    rep = login(client)
    manager = login(client, "manager@demo.battlemap")
    url = f"/api/v1/users/{rep['user']['id']}"
    assert client.patch(url, json={"active": False}, headers=bearer(manager["token"])).status_code == 200
    assert_error_shape(client.get(PLACES, headers=bearer(rep["token"])), 401, "user_inactive")
    assert not connects(app, rep["token"])
    assert client.patch(url, json={"active": True}, headers=bearer(manager["token"])).status_code == 200
    assert_error_shape(client.get(PLACES, headers=bearer(rep["token"])), 401, "token_revoked")
    assert_error_shape(refresh(client, rep["refresh_token"]), 401, "token_revoked")
    assert client.get(PLACES, headers=bearer(login(client)["token"])).status_code == 200


def test_a_refused_connect_answers_the_error_shape(app, client):
    """Is a refused /field connect's data the error shape, with the revocation's code (not a Python repr)?"""
    from flask_socketio import ConnectionRefusedError

    from app.realtime.field import FieldNamespace

    body = login(client)
    client.post("/api/v1/auth/logout", headers=bearer(body["token"]))
    assert not connects(app, body["token"])
    for auth, code in (({"token": body["token"]}, "token_revoked"), ({"token": 5}, "token_invalid"),
                       ({"token": ["a"]}, "token_invalid"), ("token", "token_missing"), ({}, "token_missing")):
        with app.test_request_context(), pytest.raises(ConnectionRefusedError) as caught:
            FieldNamespace("/field").on_connect(auth)
        error = caught.value.error_args["data"]["error"]
        assert error["code"] == code, auth
        assert set(error) >= {"code", "message", "fields"}


def test_a_connect_with_a_token_of_the_wrong_type_is_refused(app):
    """Was accepted before (a connection without a rep); now refused like any bad token."""
    for auth in ({"token": 5}, {"token": ["a"]}, {"token": {"x": 1}}):
        sock = socketio.test_client(app, namespace="/field", auth=auth)
        assert not sock.is_connected("/field"), auth
