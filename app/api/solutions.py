from flask import g

from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.solutions import CompareIn, CompareOut
from app.services import scenarios
from app.services import solutions as solution_service


@bp.post("/solutions/compare")
@login_required
def compare_solutions():
    data = load(CompareIn(), json_body())
    result = solution_service.compare(**{**data, "locale": data.get("locale") or g.user.locale})
    tracks, why = scenarios.shopper_talk_tracks(user=g.user, category=data["category"],
                                                budget_cny=int(data["budget_max"]))
    return CompareOut().dump({**result, "talk_tracks": tracks, "talk_track_why": why})
