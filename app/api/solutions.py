from flask import g

from app.api import bp, json_body, login_required
from app.schemas import load
from app.schemas.solutions import CompareIn, CompareOut
from app.services import discounts, health, scenarios
from app.services import solutions as solution_service


@bp.post("/solutions/compare")
@login_required
def compare_solutions():
    data = load(CompareIn(), json_body())
    discount_cny = data.pop("discount_cny", None)
    place_id = data.pop("place_id", None)
    result = solution_service.compare(**{**data, "locale": data.get("locale") or g.user.locale})
    result = discounts.apply(result, user=g.user, discount_cny=discount_cny)
    tracks, why = scenarios.shopper_talk_tracks(user=g.user, category=data["category"],
                                                budget_cny=int(data["budget_max"]), shopper_type=data["shopper_type"])
    if place_id is not None:
        health.record_comparison(user=g.user, place_id=place_id, request=data,
                                 option_keys=[o["key"] for o in result.get("options", ())])
    return CompareOut().dump({**result, "talk_tracks": tracks, "talk_track_why": why})
