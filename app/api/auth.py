from flask import current_app, g, request

from app.api import bearer_token, bp, json_body, login_required
from app.extensions import limiter
from app.schemas import load
from app.schemas.auth import LoginIn, LoginOut, LogoutIn, MeIn, RefreshIn, UserOut
from app.services import auth as auth_service


def _login_limit() -> str:
    count, window = current_app.config["LOGIN_RATE_LIMIT"]
    return f"{count} per {window} second"


def _login_key() -> str:
    """Throttle guesses per address and account, so one office behind a NAT can still log in together."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return f"login:{request.remote_addr}:{str(email).strip().lower()}"


@bp.post("/auth/login")
@limiter.limit(_login_limit, key_func=_login_key)
def login():
    data = load(LoginIn(), json_body())
    tokens, user = auth_service.authenticate(email=data["email"], password=data["password"])
    return _tokens_out(tokens, user)


@bp.post("/auth/refresh")
def refresh_tokens():
    """Not rate-limited: a refresh token cannot be guessed, and a whole office behind one address comes back
    online together in the morning."""
    data = load(RefreshIn(), json_body())
    tokens, user = auth_service.refresh(refresh_token=data["refresh_token"])
    return _tokens_out(tokens, user)


@bp.post("/auth/logout")
def logout():
    """No ``login_required``: an expired access token (or the refresh token alone) may still end its session."""
    data = load(LogoutIn(), json_body() or {})
    auth_service.logout(token=bearer_token(), refresh_token=data.get("refresh_token"),
                        everywhere=data["everywhere"])
    return "", 204


def _tokens_out(tokens: auth_service.Tokens, user) -> dict:
    return LoginOut().dump({"token": tokens.token, "refresh_token": tokens.refresh_token,
                            "expires_in": tokens.expires_in, "refresh_expires_in": tokens.refresh_expires_in,
                            "user": user})


@bp.patch("/auth/me")
@login_required
def update_me():
    data = load(MeIn(), json_body())
    return UserOut().dump(auth_service.update_me(user=g.user, **data))
