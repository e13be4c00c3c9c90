"""Log-in, tokens, sessions and the current user (docs/security.md).

A login opens a server-side session (``AuthSession``) and answers two signed tokens that name it: an *access
token* (``ACCESS_TOKEN_TTL_S``, sent as ``Authorization: Bearer``; also the /field connect token) and a *refresh
token* (``POST /auth/refresh``; rotated on every use, the session ends after ``REFRESH_TOKEN_TTL_S`` unused and
``SESSION_MAX_AGE_S`` at the latest). Every token carries a random id (``jti``), so two logins in the same
second never share a token. Ending the session — logout, a password change or a deactivation
(``revoke_user_sessions``), an old refresh token used again — refuses both of its tokens at once.

A login takes as long for an unknown email as for a real one (the password is checked against a dummy hash),
and ``LOGIN_LOCK_AFTER`` failures in a row for one email lock that email for ``LOGIN_LOCK_BASE_S``, doubling
with each further failure up to ``LOGIN_LOCK_MAX_S`` (429 ``login_locked`` with ``Retry-After``). Unknown
emails are counted and locked the same way, so the lockout tells nobody whether an account exists.
"""

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.errors import Forbidden, RateLimited, Unauthorized
from app.extensions import db
from app.models import AuthSession, LoginFailure, User, utcnow

_SALTS = {"access": "battlemap-auth", "refresh": "battlemap-refresh"}
_FAILURES_KEPT = timedelta(days=1)


class UserInactive(Unauthorized):
    """A deactivated user: no log-in, and tokens issued before the deactivation stop working."""

    code, message = "user_inactive", "This account has been deactivated; ask your manager."


class TokenRevoked(Unauthorized):
    """The token's session was ended: logout, a password change, a deactivation or a reused refresh token."""

    code, message = "token_revoked", "This login was ended; log in again."


class LoginLocked(RateLimited):
    """Too many failed logins in a row for this email: wait ``retry_after_s`` seconds."""

    code, message = "login_locked", "Too many failed logins for this account; wait and try again."

    def __init__(self, retry_after_s: int):
        super().__init__()
        self.detail = {"retry_after_s": retry_after_s}
        self.headers = {"Retry-After": str(retry_after_s)}


@dataclass(frozen=True)
class Tokens:
    """What a login or a refresh answers; ``expires_in`` / ``refresh_expires_in`` in seconds from now."""

    token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    session_id: str


@dataclass(frozen=True)
class Identity:
    user: User
    session_id: str


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALTS[kind])


def hash_password(password: str) -> str:
    return generate_password_hash(password)


@cache
def _dummy_hash() -> str:
    """A hash made like every real one, of a password nobody knows: unknown emails cost the same check."""
    return generate_password_hash(secrets.token_urlsafe(24))


# ── log-in ───────────────────────────────────────────────────────────────────────────────────

def authenticate(*, email: str, password: str) -> tuple[Tokens, User]:
    """Open a session for valid credentials; raise ``invalid_credentials`` (401), ``user_inactive`` (401) or
    ``login_locked`` (429). Commits."""
    key = email.strip().lower()
    _refuse_if_locked(key)
    user = db.session.scalar(select(User).where(func.lower(User.email) == key))
    matches = check_password_hash(user.password_hash if user is not None else _dummy_hash(), password)
    if user is None or not matches:
        _note_failure(key)
        raise Unauthorized("Wrong email or password.", code="invalid_credentials")
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == key))
    if not user.active:
        db.session.commit()
        raise UserInactive()
    tokens = _open_session(user)
    db.session.commit()
    return tokens, user


def issue_token(user: User) -> str:
    """Open a session for ``user`` without a password (benchmarks, scripts) and return its access token. Commits."""
    tokens = _open_session(user)
    db.session.commit()
    return tokens.token


def _refuse_if_locked(key: str) -> None:
    row = db.session.get(LoginFailure, key)
    if row is not None and row.locked_until is not None:
        wait = (row.locked_until - utcnow()).total_seconds()
        if wait > 0:
            raise LoginLocked(math.ceil(wait))


def _note_failure(key: str) -> None:
    """Count a failed login for ``key``; from the ``LOGIN_LOCK_AFTER``-th in a row on, lock it (doubling)."""
    config = current_app.config
    now = utcnow()
    for _attempt in range(2):  # a concurrent first failure for the same email inserts first: count on its row
        try:
            row = db.session.get(LoginFailure, key)
            if row is None:
                row = LoginFailure(email=key, failures=0, last_failed_at=now)
                db.session.add(row)
            elif (now - row.last_failed_at).total_seconds() > config["LOGIN_FAILURE_WINDOW_S"]:
                row.failures, row.locked_until = 0, None
            row.failures += 1
            row.last_failed_at = now
            over = row.failures - config["LOGIN_LOCK_AFTER"]
            if over >= 0:
                wait = min(config["LOGIN_LOCK_BASE_S"] * 2 ** min(over, 32), config["LOGIN_LOCK_MAX_S"])
                row.locked_until = now + timedelta(seconds=wait)
            db.session.execute(delete(LoginFailure).where(LoginFailure.last_failed_at < now - _FAILURES_KEPT))
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()


# ── sessions and tokens ──────────────────────────────────────────────────────────────────────

def _open_session(user: User) -> Tokens:
    now = utcnow()
    session = AuthSession(id=secrets.token_hex(16), user_id=user.id, created_at=now, refreshed_at=now,
                          expires_at=_idle_limit(now, now), refresh_gen=0)
    db.session.add(session)
    return _tokens(session)


def _idle_limit(now: datetime, created_at: datetime) -> datetime:
    config = current_app.config
    return min(now + timedelta(seconds=config["REFRESH_TOKEN_TTL_S"]),
               created_at + timedelta(seconds=config["SESSION_MAX_AGE_S"]))


def _tokens(session: AuthSession) -> Tokens:
    base = {"uid": session.user_id, "sid": session.id}
    access = _serializer("access").dumps({**base, "jti": secrets.token_urlsafe(12)})
    refresh = _serializer("refresh").dumps({**base, "jti": secrets.token_urlsafe(12), "gen": session.refresh_gen})
    refresh_left = int((session.expires_at - utcnow()).total_seconds())
    return Tokens(token=access, refresh_token=refresh, session_id=session.id,
                  expires_in=min(current_app.config["ACCESS_TOKEN_TTL_S"], max(refresh_left, 0)),
                  refresh_expires_in=max(refresh_left, 0))


def _read(token: str | None, kind: str, *, check_age: bool = True) -> dict:
    """The payload of a token of ``kind`` (access | refresh); 401 when missing, forged, malformed or expired."""
    if not token:
        raise Unauthorized("Send a token: Authorization: Bearer <token>.", code="token_missing")
    if not isinstance(token, str) or len(token) > 4096:
        raise Unauthorized("The token is not valid.", code="token_invalid")
    ttl = current_app.config["ACCESS_TOKEN_TTL_S" if kind == "access" else "REFRESH_TOKEN_TTL_S"]
    try:
        data = _serializer(kind).loads(token, max_age=ttl if check_age else None)
    except SignatureExpired as err:
        raise Unauthorized("The token has expired; log in again.", code="token_expired") from err
    except BadSignature as err:
        raise Unauthorized("The token is not valid.", code="token_invalid") from err
    if not (isinstance(data, dict) and isinstance(data.get("uid"), int) and isinstance(data.get("sid"), str)
            and isinstance(data.get("jti"), str) and (kind == "access" or isinstance(data.get("gen"), int))):
        raise Unauthorized("The token is not valid.", code="token_invalid")  # e.g. a token from before sessions
    return data


def _live_session(data: dict) -> AuthSession:
    session = db.session.get(AuthSession, data["sid"])
    if session is None or session.user_id != data["uid"]:
        raise Unauthorized("The token is not valid.", code="token_invalid")
    if session.revoked_at is not None:
        owner = db.session.get(User, session.user_id)
        if owner is not None and not owner.active:
            raise UserInactive()  # the clearer reason while the account stays deactivated
        raise TokenRevoked()
    if session.expires_at <= utcnow():
        raise Unauthorized("The token has expired; log in again.", code="token_expired")
    return session


def identify(token: str | None) -> Identity:
    """Resolve an access token to its user and session; 401 when missing, forged, expired or revoked
    (``token_revoked``), ``user_inactive`` for a deactivated user."""
    data = _read(token, "access")
    session = _live_session(data)
    return Identity(user=user_by_id(session.user_id), session_id=session.id)


def user_from_token(token: str | None) -> User:
    """The user of a valid access token (see ``identify``)."""
    return identify(token).user


def check_session(session_id: str) -> None:
    """Raise ``token_revoked`` / ``token_expired`` when the session has ended (an open /field connection's
    session, looked at again when users changed)."""
    session = db.session.get(AuthSession, session_id)
    if session is None:
        raise Unauthorized("Connect again with a valid token.", code="session_unknown")
    _live_session({"sid": session.id, "uid": session.user_id})


def refresh(*, refresh_token: str) -> tuple[Tokens, User]:
    """Rotate the session's refresh token: a new access and refresh token; the old refresh token stops working
    (it is still honoured for ``REFRESH_GRACE_S``, for a phone whose answer was lost). A refresh token older
    than that is a copy someone kept: the whole session is revoked. Commits."""
    data = _read(refresh_token, "refresh")
    session = _live_session(data)
    now = utcnow()
    current = data["gen"] == session.refresh_gen
    lost_answer = data["gen"] == session.refresh_gen - 1 and \
        (now - session.refreshed_at).total_seconds() <= current_app.config["REFRESH_GRACE_S"]
    if not (current or lost_answer):
        _revoke([session.id], "refresh_reused")
        db.session.commit()
        raise TokenRevoked()
    user = user_by_id(session.user_id)
    session.refresh_gen += 1
    session.refreshed_at = now
    session.expires_at = _idle_limit(now, session.created_at)
    tokens = _tokens(session)
    db.session.commit()
    return tokens, user


def logout(*, token: str | None = None, refresh_token: str | None = None, everywhere: bool = False) -> None:
    """End the session an access or refresh token of ours names (expired or not: ending access is always
    allowed), or with ``everywhere`` every session of its user. Already ended is fine. Commits."""
    data = None
    for value, kind in ((token, "access"), (refresh_token, "refresh")):
        if value:
            try:
                data = _read(value, kind, check_age=False)
                break
            except Unauthorized:
                continue
    if data is None:
        _read(token or refresh_token, "access", check_age=False)  # raises the reason (missing or invalid)
        return
    session = db.session.get(AuthSession, data["sid"])
    if session is None or session.user_id != data["uid"]:
        raise Unauthorized("The token is not valid.", code="token_invalid")
    if everywhere:
        revoke_user_sessions(session.user_id, "logout")
    else:
        _revoke([session.id], "logout")
    db.session.commit()


def revoke_user_sessions(user_id: int, reason: str) -> int:
    """End every open session of ``user_id`` (a password change, a deactivation); the caller commits.
    Returns how many ended."""
    ids = db.session.scalars(select(AuthSession.id).where(AuthSession.user_id == user_id,
                                                            AuthSession.revoked_at.is_(None))).all()
    _revoke(ids, reason)
    return len(ids)


def _revoke(session_ids, reason: str) -> None:
    if session_ids:
        db.session.execute(update(AuthSession).where(AuthSession.id.in_(list(session_ids)),
                                                     AuthSession.revoked_at.is_(None))
                           .values(revoked_at=utcnow(), revoked_reason=reason))


# ── users ────────────────────────────────────────────────────────────────────────────────────

def user_by_id(user_id: int | None) -> User:
    """The active user with this id; ``session_unknown`` (401) when there is none, ``user_inactive`` (401)
    when the account was deactivated (so every token of theirs stops working at once)."""
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        raise Unauthorized("Connect again with a valid token.", code="session_unknown")
    if not user.active:
        raise UserInactive()
    return user


def update_me(*, user: User, locale: str) -> User:
    """Store the user's own settings (today: the language they read ``why`` and errors in)."""
    user.locale = locale
    db.session.commit()
    return user


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
