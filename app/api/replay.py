"""The console's replay: "why didn't I get the popup at 10:05?" (docs/replay.md)."""

from flask import g, request

from app.api import bp, login_required
from app.schemas import load
from app.schemas.replay import ReplayOut, ReplayQueryIn
from app.services import replay as replay_service


@bp.get("/replay")
@login_required
def replay_rep_day():
    query = load(ReplayQueryIn(), request.args.to_dict())
    return ReplayOut().dump(replay_service.replay_day(user=g.user, rep_id=query["rep_id"], day=query["date"]))
