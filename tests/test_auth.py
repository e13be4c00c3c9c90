"""Log-in and tokens (the core-loop contract)."""

import pytest


def assert_error_shape(response, status: int, code: str | None = None):
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert {"code", "message", "fields"} <= set(error), "the error shape (extra keys may say more)"
    assert error["message"]
    if code:
        assert error["code"] == code
    return error


def names_field(error: dict, field: str) -> bool:
    """Does ``error["fields"]`` (flat paths, docs/api.md) name ``field`` itself or something inside it?"""
    return any(path == field or path.startswith((f"{field}.", f"{field}[")) for path in error["fields"])


def test_login_returns_token_and_user(auth):
    """Can a demo rep log in and get a token with their profile?"""
    response = auth.login()
    assert response.status_code == 200
    body = response.get_json()
    assert body["token"]
    assert {"id", "name", "email", "role"} <= set(body["user"])
    assert body["user"]["email"] == "rep@demo.battlemap"
    assert body["user"]["role"] == "rep"


def test_wrong_password_is_401(auth):
    """Is a wrong password refused with the error shape?"""
    assert_error_shape(auth.login(password="nope"), 401, "invalid_credentials")


def test_unknown_email_is_401(auth):
    assert_error_shape(auth.login(email="nobody@demo.battlemap"), 401, "invalid_credentials")


def test_passwords_are_hashed(app):
    """Does the database hold a hash, never the password?"""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User

    with app.app_context():
        hashes = db.session.scalars(select(User.password_hash)).all()
    assert hashes and all("demo-password" not in h and len(h) > 40 for h in hashes)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"password": "x"}, "email"),
        ({"email": "rep@demo.battlemap"}, "password"),
        ({"email": 12, "password": "x"}, "email"),
    ],
)
def test_malformed_login_is_400_with_fields(client, payload, field):
    """Is a missing or mistyped field answered 400 naming the field?"""
    error = assert_error_shape(client.post("/api/v1/auth/login", json=payload), 400, "malformed_request")
    assert field in error["fields"]


def test_non_json_login_is_400(client):
    response = client.post("/api/v1/auth/login", data="email=rep", content_type="text/plain")
    assert_error_shape(response, 400, "malformed_request")


def test_invalid_email_is_422(client):
    error = assert_error_shape(
        client.post("/api/v1/auth/login", json={"email": "not-an-email", "password": "x"}), 422, "invalid_values"
    )
    assert "email" in error["fields"]


def test_login_is_rate_limited(auth):
    """Does hammering the login end in 429 with the error shape?"""
    statuses = [auth.login(password="wrong").status_code for _ in range(8)]
    assert statuses[0] == 401
    assert statuses[-1] == 429
    assert_error_shape(auth.login(password="wrong"), 429, "rate_limited")


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic abc"])
def test_api_needs_a_valid_token(client, header):
    """Is every API call without a valid bearer token refused with 401?"""
    headers = {"Authorization": header} if header else {}
    assert_error_shape(client.get("/api/v1/places?lat=31.2&lon=121.4", headers=headers), 401)


def test_token_signed_with_another_key_is_refused(app, client):
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("other-key", salt="battlemap-auth").dumps({"uid": 1})
    response = client.get("/api/v1/places?lat=31.2&lon=121.4", headers={"Authorization": f"Bearer {forged}"})
    assert_error_shape(response, 401, "token_invalid")


def test_user_chooses_their_locale(client, auth):
    """Can a user store the language they read, and see it in their profile next time they log in?"""
    assert auth.login().get_json()["user"]["locale"] == "zh", "the demo speaks Chinese by default"
    headers = auth.headers()
    response = client.patch("/api/v1/auth/me", json={"locale": "en"}, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["email"] == "rep@demo.battlemap" and body["locale"] == "en"
    assert auth.login().get_json()["user"]["locale"] == "en"
    assert client.patch("/api/v1/auth/me", json={"locale": "zh"}, headers=headers).get_json()["locale"] == "zh"


@pytest.mark.parametrize(("payload", "status"), [({"locale": "fr"}, 422), ({"locale": "EN"}, 422),
                                                 ({}, 400), ({"locale": 3}, 400), (None, 400)])
def test_only_supported_locales_are_stored(client, auth, payload, status):
    headers = auth.headers()
    response = client.patch("/api/v1/auth/me", json=payload, headers=headers) if payload is not None else \
        client.patch("/api/v1/auth/me", data="x", content_type="text/plain", headers=headers)
    error = assert_error_shape(response, status)
    if payload:
        assert "locale" in error["fields"]
    assert auth.login().get_json()["user"]["locale"] == "zh", "nothing changed"


def test_changing_the_locale_needs_a_token(client):
    assert_error_shape(client.patch("/api/v1/auth/me", json={"locale": "en"}), 401, "token_missing")
