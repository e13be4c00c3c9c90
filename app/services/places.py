"""Places: near a point, one with its context, and imports."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.models import Contact, Place, PlaceCategory, Region
from app.schemas.imports import PlaceRowIn
from app.services import consents, versions
from app.services.geo_state import GEO, bump_version, snapshot
from content_packs.engine import PlaceFacts, ZoneFacts
from geo import to_wgs84

PLACE_CARDS = "place_cards"


@dataclass(frozen=True)
class NearbyPlace:
    place: Place
    distance_m: float
    zone: ZoneFacts | None


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


@dataclass(frozen=True)
class PlaceCard:
    """What a popup needs of a place, read from the database once per process and day.

    ``summary`` is the popup's ``place`` object; ``context`` the digest of the last three months; ``facts``
    what the scenario engine sees.
    """

    summary: dict
    radius_m: float
    zone: ZoneFacts | None
    context: dict
    facts: PlaceFacts


def place_card(place_id: int, *, today: date) -> PlaceCard:
    """The cached card of a place (``NotFound`` if there is none). Cards follow the ``geo`` counter, which
    every change to places or their context bumps; the day is part of the key (the notice window moves)."""
    by_day = versions.cached(PLACE_CARDS, lambda version: {}, follows=GEO)
    cards = by_day.get(today)
    if cards is None:
        by_day.clear()
        cards = by_day[today] = {}
    card = cards.get(place_id)
    if card is None:
        card = cards[place_id] = _build_card(get_place(place_id), today)
    return card


def _build_card(place: Place, today: date) -> PlaceCard:
    category_name = db.session.scalar(select(PlaceCategory.name_zh).where(PlaceCategory.key == place.category))
    facts = PlaceFacts(
        id=place.id, name=place.name, category=place.category, category_name=category_name or place.category,
        region_id=place.region_id, tags=frozenset(place.tags or ()), stage=place.stage, budget_cny=place.budget_cny,
        notices=tuple((n.published_on, n.title) for n in place.notices),
        competitors=frozenset(m.competitor for m in place.competitor_moves),
    )
    summary = {"id": place.id, "name": place.name, "category": place.category, "lat": place.lat, "lon": place.lon,
               "address": place.address}
    return PlaceCard(summary=summary, radius_m=place.radius_m, zone=zone_of(place),
                     context=context_of(place, today=today), facts=facts)


def get_place(place_id: int) -> Place:
    """The place with its context loaded; ``NotFound`` if there is none."""
    place = db.session.scalar(
        select(Place)
        .where(Place.id == place_id)
        .options(selectinload(Place.notices), selectinload(Place.contacts).selectinload(Contact.consents),
                 selectinload(Place.competitor_moves))
    )
    if place is None:
        raise NotFound(f"No place with id {place_id}.", code="place_not_found")
    return place


def zone_of(place: Place) -> ZoneFacts | None:
    return snapshot().zone_for(place.lat, place.lon)


def context_of(place: Place, *, today: date | None = None) -> dict:
    """The context digest shown to reps: recent procurement notices, contacts (consent-aware), competitor moves.

    A contact's background and phone are personal data: without a current ``visit_card`` consent record
    (``app.services.consents``) only name and role are shown.
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
                "background": c.background if shown else None,
                "consent": shown,
                "phone_masked": c.phone_masked if shown else None,
            }
            for c in place.contacts
            for shown in (consents.granted(c, consents.VISIT_CARD),)
        ],
        "competitor_moves": [
            {"competitor": m.competitor, "move": m.move, "date": m.observed_on.isoformat()}
            for m in place.competitor_moves
        ],
        "stage": place.stage,
        "budget_cny": place.budget_cny,
    }


def import_places(rows, *, crs: str = "wgs84", region: str | None = None, progress=lambda it: it) -> dict:
    """Create or update places from import rows (dicts), converting ``crs`` coordinates to WGS-84.

    Amap/Tencent export GCJ-02 and Baidu BD-09; phones report WGS-84, so everything is stored in WGS-84.
    All rows are validated first; nothing is written if any row is bad (``InvalidInput`` names the rows).
    Returns counts of created and updated places.
    """
    schema = PlaceRowIn()
    categories = {c.key: c for c in db.session.scalars(select(PlaceCategory))}
    region_id = None
    if region is not None:
        region_id = db.session.scalar(select(Region.id).where(Region.key == region))
        if region_id is None:
            raise InvalidInput(f"Unknown region {region!r}.", fields={"region": ["Unknown region."]})
    loaded, errors = [], {}
    for line, row in enumerate(rows, start=2):
        try:
            data = schema.load(row)
        except ValidationError as err:
            errors[f"line {line}"] = err.messages
            continue
        if data["category"] not in categories:
            errors[f"line {line}"] = {"category": [f"Unknown category {data['category']!r}."]}
            continue
        data["lat"], data["lon"] = to_wgs84(data["lat"], data["lon"], crs)
        loaded.append(data)
    if errors:
        raise InvalidInput(f"{len(errors)} row(s) are not valid; nothing was imported.", fields=errors)
    existing = {p.key: p for p in db.session.scalars(select(Place).where(Place.key.in_([d["key"] for d in loaded])))}
    created = updated = 0
    for data in progress(loaded):
        place = existing.get(data["key"])
        if place is None:
            place = Place(key=data["key"], region_id=region_id)
            db.session.add(place)
            created += 1
        else:
            updated += 1
        radius = data.pop("radius_m") or categories[data["category"]].default_radius_m
        for field_name, value in data.items():
            setattr(place, field_name, value)
        place.radius_m = radius
        if region_id is not None:
            place.region_id = region_id
    bump_version()
    db.session.commit()
    return {"created": created, "updated": updated}
