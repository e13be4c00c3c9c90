from flask import request

from app.api import bp, login_required
from app.schemas import load
from app.schemas.places import NearbyIn, NearbyOut, PlaceDetailOut
from app.services import places as place_service


@bp.get("/places")
@login_required
def list_places():
    query = load(NearbyIn(), request.args.to_dict())
    return NearbyOut().dump({"items": place_service.nearby(**query)})


@bp.get("/places/<int:place_id>")
@login_required
def get_place(place_id: int):
    place = place_service.get_place(place_id)
    return PlaceDetailOut().dump(
        {"place": place, "zone": place_service.zone_of(place), "context": place_service.context_of(place)}
    )
