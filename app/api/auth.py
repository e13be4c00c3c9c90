from flask import current_app, request

from app.api import bp, json_body
from app.extensions import limiter
from app.schemas import load
from app.schemas.auth import LoginIn, LoginOut
from app.services import auth as auth_service


def _login_limit() -> str:
    count, window = current_app.config["LOGIN_RATE_LIMIT"]
    return f"{count} per {window} second"


@bp.post("/auth/login")
@limiter.limit(_login_limit, key_func=lambda: f"login:{request.remote_addr}")
def login():
    data = load(LoginIn(), json_body())
    token, user = auth_service.authenticate(email=data["email"], password=data["password"])
    return LoginOut().dump({"token": token, "user": user})
