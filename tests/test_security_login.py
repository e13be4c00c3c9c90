"""Log-in against guessing: the same work whether or not the email exists, and a lockout per email after
repeated failures that doubles and says nothing about which accounts exist (docs/security.md)."""

import statistics
import time
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import LoginFailure, User, utcnow
from app.services import auth as auth_service
from tests.conftest import DEMO_PASSWORD
from tests.test_auth import assert_error_shape

REP = "rep@demo.battlemap"
NOBODY = "nobody.here@demo.battlemap"


@pytest.fixture
def config_overrides():
    # the per-address rate limit stays out of the way; the lockout under test comes after 3 failures
    return {"LOGIN_RATE_LIMIT": (1000, 60), "LOGIN_LOCK_AFTER": 3, "LOGIN_LOCK_BASE_S": 30, "LOGIN_LOCK_MAX_S": 900}


def attempt(client, email, password="wrong-password"):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def unlock(app, email):
    """Let the lock run out (as the clock would) without waiting for it."""
    with app.app_context():
        row = db.session.get(LoginFailure, email)
        row.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()


def test_an_unknown_email_costs_the_same_password_check(client, app, monkeypatch):
    """Is a password checked — against a hash made like the real ones — even when the email is unknown?"""
    checked = []
    real_check = auth_service.check_password_hash

    def recording(pwhash, password):
        checked.append(pwhash.split("$", 1)[0])
        return real_check(pwhash, password)

    monkeypatch.setattr(auth_service, "check_password_hash", recording)
    with app.app_context():
        method = db.session.query(User.password_hash).filter_by(email=REP).scalar().split("$", 1)[0]
    assert_error_shape(attempt(client, NOBODY), 401, "invalid_credentials")
    assert_error_shape(attempt(client, REP), 401, "invalid_credentials")
    assert checked == [method, method]


def test_an_unknown_email_answers_about_as_slowly_as_a_real_one(client):
    """The finding: 6 ms for an unknown email, 150 ms for a real one. Now within a factor of two either way."""
    def median_ms(email):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            assert attempt(client, email).status_code == 401
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    attempt(client, "warm.up@demo.battlemap")
    known, unknown = median_ms(REP), median_ms(NOBODY)
    assert 0.5 < unknown / known < 2.0, (known, unknown)


def test_failures_in_a_row_lock_the_email_even_for_the_right_password(client, app):
    for _ in range(3):
        assert_error_shape(attempt(client, REP), 401, "invalid_credentials")
    locked = attempt(client, REP, DEMO_PASSWORD)
    error = assert_error_shape(locked, 429, "login_locked")
    assert 25 <= error["retry_after_s"] <= 30
    assert int(locked.headers["Retry-After"]) >= error["retry_after_s"], "the rate limiter may ask for longer"
    unlock(app, REP)
    assert attempt(client, REP, DEMO_PASSWORD).status_code == 200
    assert attempt(client, REP).status_code == 401, "a success starts the count afresh"
    assert attempt(client, REP, DEMO_PASSWORD).status_code == 200


def test_the_lock_doubles_with_each_further_failure(client, app):
    for _ in range(3):
        attempt(client, REP)
    waits = []
    for _ in range(3):
        unlock(app, REP)
        assert attempt(client, REP).status_code == 401
        waits.append(assert_error_shape(attempt(client, REP), 429, "login_locked")["retry_after_s"])
    assert [round(w / 30) for w in waits] == [2, 4, 8]


def test_a_lock_says_nothing_about_whether_the_account_exists(client):
    for email in (REP, NOBODY):
        for _ in range(3):
            assert_error_shape(attempt(client, email), 401, "invalid_credentials")
        assert_error_shape(attempt(client, email), 429, "login_locked")


def test_other_accounts_are_not_locked(client):
    for _ in range(3):
        attempt(client, REP)
    assert attempt(client, REP, DEMO_PASSWORD).status_code == 429
    assert attempt(client, "rep2@demo.battlemap", DEMO_PASSWORD).status_code == 200
