"""Load the demo (regions, zones, places with context, grids, catalog, packs, users) into an empty database.

Shanghai's data is in ``data/``, Hangzhou's zone types, zones, places and its one new place category in
``data/hangzhou/`` (same formats). Procurement notices and competitor moves carry ``days_ago``, so the demo is
always recent relative to the day it is loaded. Grids take their places by district (``grids.yaml``).
"""

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path

import yaml
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    ROLE_DISCOUNT_LIMITS_CNY,
    CompetitorMove,
    Contact,
    ContactConsent,
    CounterType,
    Grid,
    Place,
    PlaceCategory,
    ProcurementNotice,
    Region,
    ShopperType,
    User,
    UserRegion,
    Zone,
    ZoneType,
)
from app.schemas.rules import RuleIn
from app.services import catalog, geo_state
from app.services.auth import hash_password
from app.services.consents import VISIT_CARD
from app.services.pack_io import import_pack
from app.services.pack_queries import packs_changed
from app.services.rules import add_rule
from content_packs import load_all

DATA_DIR = Path(__file__).parent / "data"
REGION_DIRS = ("", "hangzhou/")
"""Where each region's zone types, zones, places (and new place categories) are: Shanghai's at the top."""
DEMO_PASSWORD = "demo-password"


def _read(name: str):
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _read_all(name: str) -> list:
    """``name`` of every region folder that has it, Shanghai's first."""
    return [row for folder in REGION_DIRS if (DATA_DIR / folder / name).exists()
            for row in _read(folder + name) or ()]


def demo_users() -> list[dict]:
    """The demo accounts (``users.yaml``), every one with the password ``DEMO_PASSWORD``."""
    return _read("users.yaml")


def is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Place))


def load_demo(*, today: date | None = None, progress: Callable[[Iterable], Iterable] = lambda it: it) -> dict:
    """Load every demo file; returns counts. ``progress`` wraps the long loops (the CLI passes a bar)."""
    today = today or date.today()
    regions = {}
    for row in _read("regions.yaml"):
        region = Region(key=row["key"], name=row["name"], second_review=bool(row.get("second_review")))
        db.session.add(region)
        regions[row["key"]] = region
    db.session.flush()

    zone_types = {}
    for row in _read_all("zone_types.yaml"):
        zt = ZoneType(key=row["key"], name_zh=row["name_zh"], name_en=row["name_en"],
                      description=row.get("description", ""), region_id=regions[row["region"]].id)
        db.session.add(zt)
        zone_types[(row["region"], row["key"])] = zt
    for row in _read_all("categories.yaml"):
        db.session.add(PlaceCategory(key=row["key"], name_zh=row["name_zh"], name_en=row["name_en"],
                                     default_radius_m=row.get("default_radius_m", 500)))
    db.session.flush()

    zones = _read_all("zones.yaml")
    for row in zones:
        db.session.add(Zone(key=row["key"], name=row["name"], region_id=regions[row["region"]].id,
                            zone_type_id=zone_types[(row["region"], row["zone_type"])].id,
                            shell=row["polygon"], holes=row.get("holes", [])))

    places = [(folder, row) for folder in REGION_DIRS for row in _read(folder + "places.yaml")]
    folder_region = {"": regions["shanghai"], "hangzhou/": regions["hangzhou"]}
    added = []
    for folder, row in progress(places):
        context = row.get("context") or {}
        place = Place(
            key=row["key"], name=row["name"], category=row["category"], lat=row["lat"], lon=row["lon"],
            radius_m=row.get("radius_m", 500), address=row.get("address", ""), tags=row.get("tags", []),
            stage=row.get("stage"), budget_cny=row.get("budget_cny"),
            region_id=regions.get(row.get("region"), folder_region[folder]).id,
        )
        place.notices = [
            ProcurementNotice(title=n["title"], published_on=today - timedelta(days=n["days_ago"]),
                              amount_cny=n.get("amount_cny"), summary=n.get("summary", ""),
                              source=n.get("source", ""))
            for n in context.get("procurement_notices", [])
        ]
        place.contacts = [
            Contact(name=c["name"], role=c["role"], background=c.get("background", ""),
                    consent=bool(c.get("consent")), phone_masked=c.get("phone_masked"),
                    consents=[ContactConsent(purpose=VISIT_CARD, channel="import", granted=True)]
                    if c.get("consent") else [])
            for c in context.get("contacts", [])
        ]
        place.competitor_moves = [
            CompetitorMove(competitor=m["competitor"], move=m["move"],
                           observed_on=today - timedelta(days=m.get("days_ago", 0)))
            for m in context.get("competitor_moves", [])
        ]
        db.session.add(place)
        added.append(place)

    for row in _read("counter_types.yaml"):
        db.session.add(CounterType(key=row["key"], name_zh=row["name_zh"], name_en=row["name_en"]))
    for row in _read("shopper_types.yaml"):
        db.session.add(ShopperType(key=row["key"], name_zh=row["name_zh"], name_en=row["name_en"],
                                   description=row.get("description", "")))
    db.session.flush()
    rows, problems = catalog.read_yaml((DATA_DIR / "products.yaml").read_text(encoding="utf-8"))
    if problems:
        raise catalog.CatalogInvalid(problems)
    products = catalog.import_rows(rows)["created"]

    packs = load_all()
    for body in packs:
        import_pack(body, publish=True)

    grid_rows = _read("grids.yaml")
    grids = {}
    for row in grid_rows:
        grid = Grid(key=row["key"], name=row["name"], region_id=regions[row["region"]].id,
                    discount_limit_cny=row.get("discount_limit_cny", 50_000))
        db.session.add(grid)
        grids[row["key"]] = grid
    db.session.flush()
    for row in grid_rows:
        grid = grids[row["key"]]
        prefixes = tuple(_city(regions[row["region"]]) + d for d in row.get("districts", ()))
        for place in added:
            if place.region_id == grid.region_id and place.address.startswith(prefixes):
                place.grid_id = grid.id

    users = _load_users(regions, grids)
    for row in grid_rows:
        grids[row["key"]].leader_id = users[row["leader"]].id if row.get("leader") else None
    rules = _read("rules.yaml")
    for row in rules:
        add_rule(user=_first_manager(users, row["region"]), data=RuleIn().load(row))
    geo_state.bump_version()
    catalog.catalog_changed()
    packs_changed()
    db.session.commit()
    return {"places": len(places), "zones": len(zones), "grids": len(grids), "products": products,
            "packs": len(packs), "trigger rules": len(rules), "users": len(users)}


def _city(region: Region) -> str:
    """The city an address of ``region`` starts with (上海大区 → 上海市)."""
    return region.name.removesuffix("大区") + "市"


def _load_users(regions: dict[str, Region], grids: dict[str, Grid]) -> dict[str, User]:
    """Every demo account, with one password hash for all (they share the password; hashing is the slow part)."""
    password_hash = hash_password(DEMO_PASSWORD)
    users = {}
    for row in demo_users():
        user = User(email=row["email"], name=row["name"], role=row["role"], skill_level=row.get("skill_level"),
                    tags=row.get("tags", []), password_hash=password_hash,
                    region_id=regions[row["region"]].id if row.get("region") else None,
                    grid_id=grids[row["grid"]].id if row.get("grid") else None,
                    counter_type=row.get("counter_type"), discount_limit_cny=ROLE_DISCOUNT_LIMITS_CNY[row["role"]])
        db.session.add(user)
        db.session.flush()
        for key in row.get("manages", ()):
            db.session.add(UserRegion(user_id=user.id, region_id=regions[key].id))
        users[row["email"]] = user
    db.session.flush()
    return users


def _first_manager(users: dict[str, User], region_key: str) -> User:
    """The demo's rules are written by the first manager of their region (in ``users.yaml`` order)."""
    return next(u for row, u in zip(demo_users(), users.values(), strict=True)
                if region_key in row.get("manages", ()))
