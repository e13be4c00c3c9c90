"""Log-in, tokens and the current user."""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.errors import Forbidden, Unauthorized
from app.extensions import db
from app.models import User

_SALT = "battlemap-auth"


class UserInactive(Unauthorized):
    """A deactivated user: no log-in, and tokens issued before the deactivation stop working."""

    code, message = "user_inactive", "This account has been deactivated; ask your manager."


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def authenticate(*, email: str, password: str) -> tuple[str, User]:
    """Return ``(token, user)`` for valid credentials; raise ``Unauthorized`` otherwise."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not check_password_hash(user.password_hash, password):
        raise Unauthorized("Wrong email or password.", code="invalid_credentials")
    if not user.active:
        raise UserInactive()
    return issue_token(user), user


def issue_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id})


def user_from_token(token: str | None) -> User:
    """Resolve a bearer token to its user; raise ``Unauthorized`` when missing, forged or expired."""
    if not token:
        raise Unauthorized("Send a token: Authorization: Bearer <token>.", code="token_missing")
    try:
        data = _serializer().loads(token, max_age=current_app.config["TOKEN_MAX_AGE_S"])
    except SignatureExpired as err:
        raise Unauthorized("The token has expired; log in again.", code="token_expired") from err
    except BadSignature as err:
        raise Unauthorized("The token is not valid.", code="token_invalid") from err
    if not isinstance(data, dict):
        raise Unauthorized("The token is not valid.", code="token_invalid")
    return user_by_id(data.get("uid"))


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
