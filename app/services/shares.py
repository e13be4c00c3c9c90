"""Shares: a comparison frozen for the shopper, readable without login at ``/s/<token>`` for 7 days.

The snapshot keeps what the shopper needs (options, needs, budget range, category, channel, counter and
shopper type, when it was made) and nothing about the guide: no name, id, talk-track or its why. The row
remembers who made it (``created_by_id``), the public answer never does.
"""

import secrets
from datetime import datetime, timedelta

from app.errors import AppError, NotFound
from app.extensions import db
from app.models import ComparisonShare, User, utcnow
from app.schemas.solutions import OptionOut
from app.services import solutions

SHARE_TTL = timedelta(days=7)
SNAPSHOT_KEYS = ("budget_min", "budget_max", "needs", "category", "channel", "counter_type", "shopper_type", "fit",
                 "why", "closest")


class ShareNotFound(NotFound):
    code, message = "share_not_found", "No such share."


class ShareExpired(AppError):
    status, code, message = 410, "share_expired", "This share has expired."


def snapshot(result: dict, *, at: datetime) -> dict:
    """The shopper's view of a ``solutions.compare`` answer: only the listed keys and the dumped options."""
    return {**{k: result.get(k) for k in SNAPSHOT_KEYS},
            "options": OptionOut(many=True).dump(result["options"]),
            "generated_at": at.isoformat(timespec="seconds") + "Z"}


def create_share(*, user: User, data: dict) -> ComparisonShare:
    """Run the comparison for ``data`` (a loaded ``CompareIn``) and store its snapshot under a new token."""
    # The shopper sees list prices: a discount is the guide's to offer (and, above their authority, to have
    # approved) before anything is shown as the price.
    data = {k: v for k, v in data.items() if k not in ("discount_cny", "place_id")}
    result = solutions.compare(**{**data, "locale": data.get("locale") or user.locale})
    now = utcnow()
    share = ComparisonShare(token=secrets.token_urlsafe(16), created_by_id=user.id, created_at=now,
                            expires_at=now + SHARE_TTL, snapshot=snapshot(result, at=now))
    db.session.add(share)
    db.session.commit()
    return share


def public_share(token: str) -> ComparisonShare:
    """The share for ``token``: ``share_not_found`` (404) when there is none, ``share_expired`` (410) after
    its 7 days."""
    share = db.session.get(ComparisonShare, token) if len(token) <= 64 else None
    if share is None:
        raise ShareNotFound()
    if share.expires_at <= utcnow():
        raise ShareExpired()
    return share
