from flask import current_app, g, request

from app.api import bp, json_body, login_required
from app.extensions import limiter
from app.schemas import load
from app.schemas.auth import LoginIn, LoginOut, MeIn, UserOut
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
    token, user = auth_service.authenticate(email=data["email"], password=data["password"])
    return LoginOut().dump({"token": token, "user": user})


@bp.patch("/auth/me")
@login_required
def update_me():
    data = load(MeIn(), json_body())
    return UserOut().dump(auth_service.update_me(user=g.user, **data))
