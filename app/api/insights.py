"""The manager's dashboard numbers and the weekly digests (docs/learning.md)."""

from flask import g, request

from app.api import bp, login_required
from app.schemas import load
from app.schemas.insights import DigestListOut, DigestOut, DigestQueryIn, InsightsOut, InsightsQueryIn
from app.services import digests as digest_service
from app.services import insights as insight_service


@bp.get("/insights")
@login_required
def get_insights():
    query = load(InsightsQueryIn(), request.args.to_dict())
    return InsightsOut().dump(insight_service.insights(user=g.user, region_key=query.get("region"),
                                                       days=query["days"]))


@bp.get("/digests")
@login_required
def list_digests():
    query = load(DigestQueryIn(), request.args.to_dict())
    items = digest_service.list_digests(user=g.user, region_key=query.get("region"), limit=query["limit"])
    return DigestListOut().dump({"items": items})


@bp.get("/digests/<int:digest_id>")
@login_required
def get_digest(digest_id: int):
    return DigestOut().dump(digest_service.get_digest(user=g.user, digest_id=digest_id))
