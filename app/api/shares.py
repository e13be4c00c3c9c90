"""Shares of a comparison (issue 8): a guide makes one; the shopper reads it without login."""

from flask import g

from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.catalog import ShareCreatedOut, ShareOut
from app.schemas.solutions import CompareIn
from app.services import shares


@bp.post("/solutions/shares")
@login_required
def create_share():
    share = shares.create_share(user=g.user, data=load(CompareIn(), json_body()))
    url = f"/s/{share.token}"
    body = ShareCreatedOut().dump({"token": share.token, "url": url, "expires_at": share.expires_at,
                                   "comparison": share.snapshot})
    return body, 201, {"Location": url}


@bp.get("/public/shares/<token>")
def get_public_share(token: str):
    """No login: the token is the permission."""
    share = shares.public_share(token)
    return ShareOut().dump({"comparison": share.snapshot, "expires_at": share.expires_at})
