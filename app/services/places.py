"""Places near a point, and one place with its context."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.errors import NotFound
from app.extensions import db
from app.models import Place
from app.services.geo_state import ZoneInfo, snapshot


@dataclass(frozen=True)
class NearbyPlace:
    place: Place
    distance_m: float
    zone: ZoneInfo | None


def nearby(*, lat: float, lon: float, radius_m: float) -> list[NearbyPlace]:
    """Places whose point lies within ``radius_m`` metres of (lat, lon), nearest first."""
    snap = snapshot()
    hits = snap.index.places_within(lat, lon, radius_m)
    if not hits:
        return []
    rows = db.session.scalars(select(Place).where(Place.id.in_([h.place_id for h in hits])))
    by_id = {p.id: p for p in rows}
    found = [(by_id[h.place_id], h.distance_m) for h in hits if h.place_id in by_id]
    return [NearbyPlace(place=p, distance_m=d, zone=snap.zone_for(p.lat, p.lon)) for p, d in found]


def get_place(place_id: int) -> Place:
    """The place with its context loaded; ``NotFound`` if there is none."""
    place = db.session.scalar(
        select(Place)
        .where(Place.id == place_id)
        .options(selectinload(Place.notices), selectinload(Place.contacts), selectinload(Place.competitor_moves))
    )
    if place is None:
        raise NotFound(f"No place with id {place_id}.", code="place_not_found")
    return place


def zone_of(place: Place) -> ZoneInfo | None:
    return snapshot().zone_for(place.lat, place.lon)


def context_of(place: Place, *, today: date | None = None) -> dict:
    """The context digest shown to reps: recent procurement notices, contacts (consent-aware), competitor moves.

    A contact's background is personal data: without recorded consent only name and role are shown.
    """
    today = today or date.today()
    since = today - timedelta(days=current_app.config["POPUP_NOTICE_DAYS"])
    return {
        "procurement_notices": [
            {
                "id": n.id,
                "title": n.title,
                "date": n.published_on.isoformat(),
                "amount_cny": n.amount_cny,
                "summary": n.summary,
                "source": n.source,
            }
            for n in place.notices
            if n.published_on >= since
        ],
        "contacts": [
            {
                "id": c.id,
                "name": c.name,
                "role": c.role,
                "background": c.background if c.consent else None,
                "consent": c.consent,
                "phone_masked": c.phone_masked if c.consent else None,
            }
            for c in place.contacts
        ],
        "competitor_moves": [
            {"competitor": m.competitor, "move": m.move, "date": m.observed_on.isoformat()}
            for m in place.competitor_moves
        ],
        "stage": place.stage,
        "budget_cny": place.budget_cny,
    }
