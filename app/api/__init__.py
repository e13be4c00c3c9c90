"""The HTTP API under /api/v1. Each module is thin: parse with a schema, call a service, dump."""

from functools import wraps

from flask import Blueprint, g, request

from app.services import auth as auth_service

bp = Blueprint("api", __name__)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def login_required(view):
    """Resolve the bearer token to ``g.user`` or answer 401."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.user = auth_service.user_from_token(bearer_token())
        return view(*args, **kwargs)

    return wrapper


def json_body():
    """The request's JSON body, or None when it is missing or not JSON (schemas answer 400 then)."""
    return request.get_json(silent=True)


import app.api.approvals  # noqa: E402  (discounts: docs/discounts.md)
import app.api.components  # noqa: E402  (reusable components: docs/packs-api.md)
import app.api.experiments  # noqa: E402  (the learning loop: docs/experiments.md)
import app.api.health  # noqa: E402  (process health and coaching: docs/learning.md)
import app.api.insights  # noqa: E402  (dashboard numbers and weekly digests: docs/learning.md)
import app.api.privacy  # noqa: E402  (duty, location history, contacts' consent: docs/privacy.md)
import app.api.replay  # noqa: E402, F401  (the console's replay: docs/replay.md)
from app.api import auth, events, grids, packs, places, products, rules, shares, solutions, sync, users  # noqa: E402, F401
